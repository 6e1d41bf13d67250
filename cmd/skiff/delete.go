package main

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/skiff-sh/skiff/internal/client"
	"github.com/spf13/cobra"
)

func newDeleteCmd(s streams, cf *clientFlags) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "delete (-f FILE | KIND NAME...)",
		Short: "Delete resources (and what they own), as kubectl delete",
		RunE: func(cmd *cobra.Command, args []string) error {
			c, ns, err := cf.newClient()
			if err != nil {
				return err
			}
			type target struct{ kind, apiVersion, ns, name string }
			var targets []target
			switch {
			case file != "" && len(args) == 0:
				ms, err := client.ReadManifests(file, s.in)
				if err != nil {
					return err
				}
				for _, m := range ms {
					targets = append(targets, target{kind: m.Kind, apiVersion: m.APIVersion, ns: m.Namespace, name: m.Name})
				}
			case file == "" && len(args) >= 2:
				for _, name := range args[1:] {
					targets = append(targets, target{kind: args[0], name: name})
				}
			default:
				return errors.New("delete needs -f FILE, or KIND and at least one NAME")
			}
			var failed int
			for _, t := range targets {
				k, err := c.ResolveKind(t.kind)
				if t.apiVersion != "" {
					k, err = c.KindFor(t.apiVersion, t.kind)
				}
				if err != nil {
					return err
				}
				tns := t.ns
				if tns == "" {
					tns = ns
				}
				_, err = c.Do(cmd.Context(), client.Request{
					Method: http.MethodDelete, Path: client.Path(k, tns, t.name),
					Body: []byte(`{"propagationPolicy":"Background"}`),
				})
				if err != nil {
					fmt.Fprintf(s.err, "Error from server (%s): %v\n", reasonOf(err), err)
					failed++
					continue
				}
				id := strings.ToLower(k.Kind)
				if k.Group != "" {
					id += "." + k.Group
				}
				fmt.Fprintf(s.out, "%s \"%s\" deleted\n", id, t.name)
			}
			if failed > 0 {
				return fmt.Errorf("%d of %d deletes failed", failed, len(targets))
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "filename", "f", "", "manifest file, directory, or - for stdin")
	return cmd
}

func reasonOf(err error) string {
	var se *client.StatusError
	if errors.As(err, &se) && se.Status.Reason != "" {
		return string(se.Status.Reason)
	}
	return "Error"
}
