package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/tabwriter"

	"github.com/skiff-sh/skiff/internal/client"
	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

const tableAccept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"

func newGetCmd(s streams, cf *clientFlags) *cobra.Command {
	var output string
	var all bool
	cmd := &cobra.Command{
		Use:   "get KIND [NAME] [-o yaml|json]",
		Short: "Show resources, as kubectl get",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, ns, err := cf.newClient()
			if err != nil {
				return err
			}
			k, err := c.ResolveKind(args[0])
			if err != nil {
				return err
			}
			if all {
				ns = ""
			}
			name := ""
			if len(args) == 2 {
				name = args[1]
				if ns == "" {
					ns = c.Namespace()
				}
			}
			path := client.Path(k, ns, name)
			switch output {
			case "", "wide":
				body, err := c.Do(cmd.Context(), client.Request{Method: http.MethodGet, Path: path, Accept: tableAccept})
				if err != nil {
					return err
				}
				var t metav1.Table
				if err := json.Unmarshal(body, &t); err != nil {
					return fmt.Errorf("decode table: %w", err)
				}
				if len(t.Rows) == 0 {
					where := "namespace " + ns
					if ns == "" || !k.Namespaced {
						where = "any namespace"
					}
					fmt.Fprintf(s.err, "No resources found in %s.\n", where)
					return nil
				}
				return printTable(s.out, &t, all && k.Namespaced, output == "wide")
			case "json", "yaml":
				body, err := c.Do(cmd.Context(), client.Request{Method: http.MethodGet, Path: path})
				if err != nil {
					return err
				}
				if output == "yaml" {
					y, err := yaml.JSONToYAML(body)
					if err != nil {
						return err
					}
					_, err = s.out.Write(y)
					return err
				}
				var v any
				if err := json.Unmarshal(body, &v); err != nil {
					return err
				}
				enc := json.NewEncoder(s.out)
				enc.SetIndent("", "    ")
				return enc.Encode(v)
			default:
				return fmt.Errorf("unknown output format %q: use yaml, json or wide", output)
			}
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "output format: yaml, json or wide")
	cmd.Flags().BoolVarP(&all, "all-namespaces", "A", false, "list across all namespaces")
	return cmd
}

// printTable prints a Table as kubectl does: upper-case headers, columns of
// priority 0 unless wide, NAMESPACE first when listing every namespace.
func printTable(w io.Writer, t *metav1.Table, withNamespace, wide bool) error {
	tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	var head []string
	if withNamespace {
		head = append(head, "NAMESPACE")
	}
	var cols []int
	for i, c := range t.ColumnDefinitions {
		if c.Priority > 0 && !wide {
			continue
		}
		cols = append(cols, i)
		head = append(head, strings.ToUpper(c.Name))
	}
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	for _, row := range t.Rows {
		var cells []string
		if withNamespace {
			var pom metav1.PartialObjectMetadata
			_ = json.Unmarshal(row.Object.Raw, &pom)
			cells = append(cells, pom.Namespace)
		}
		for _, i := range cols {
			v := ""
			if i < len(row.Cells) && row.Cells[i] != nil {
				v = fmt.Sprint(row.Cells[i])
			}
			cells = append(cells, v)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}
