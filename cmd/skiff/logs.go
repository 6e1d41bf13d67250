package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/skiff-sh/skiff/internal/client"
	"github.com/spf13/cobra"
)

const servingGroup = "serving.knative.dev"

func newLogsCmd(s streams, cf *clientFlags) *cobra.Command {
	var (
		follow   bool
		revision string
		tail     int
		instance int
	)
	cmd := &cobra.Command{
		Use:   "logs (ksvc/NAME | rev/NAME) [-f] [--revision R] [--tail N]",
		Short: "Print the logs of a Knative service's or revision's instances, as kubectl logs",
		Long: `Print the output of a revision's instances: of a revision (rev/NAME), or of
the latest ready revision of a service (ksvc/NAME, or just NAME) or
configuration (config/NAME) unless --revision names another. With several
instances, each line starts with its instance number.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, ns, err := cf.newClient()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			rev, err := logsRevision(ctx, c, ns, args[0], revision)
			if err != nil {
				return err
			}
			q := url.Values{}
			if follow {
				q.Set("follow", "true")
			}
			if tail >= 0 {
				q.Set("tail", strconv.Itoa(tail))
			}
			if instance > 0 {
				q.Set("instance", strconv.Itoa(instance))
			}
			path := "/skiff/v1/namespaces/" + url.PathEscape(ns) + "/revisions/" + url.PathEscape(rev) + "/logs"
			if len(q) > 0 {
				path += "?" + q.Encode()
			}
			body, err := c.Stream(ctx, path)
			if err != nil {
				return err
			}
			defer body.Close()
			_, err = io.Copy(s.out, body)
			if ctx.Err() != nil {
				return nil // interrupted while following
			}
			return err
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&follow, "follow", "f", false, "keep printing new output until interrupted")
	f.StringVar(&revision, "revision", "", "the revision of the service or configuration to show (default: its latest ready one)")
	f.IntVar(&tail, "tail", -1, "lines of recent output to show per instance; -1 shows all")
	f.IntVar(&instance, "instance", 0, "show only this instance (1, 2, ...)")
	return cmd
}

// logsRevision finds the revision whose logs arg (TYPE/NAME, or a service's
// NAME) asks for.
func logsRevision(ctx context.Context, c *client.Client, ns, arg, revision string) (string, error) {
	kind, name, ok := strings.Cut(arg, "/")
	if !ok {
		kind, name = "ksvc", arg
	}
	if name == "" {
		return "", fmt.Errorf("logs needs TYPE/NAME, such as ksvc/hello or rev/hello-00001; got %q", arg)
	}
	k, err := c.ResolveKind(kind)
	if err != nil {
		return "", err
	}
	if k.Group != servingGroup || (k.Kind != "Service" && k.Kind != "Configuration" && k.Kind != "Revision") {
		return "", fmt.Errorf("skiff keeps logs of Knative services, configurations and revisions, not of %s", k.Plural)
	}
	if k.Kind == "Revision" {
		if revision != "" && revision != name {
			return "", errors.New("--revision is for a service or configuration; name the revision as rev/NAME")
		}
		return name, nil
	}
	if revision != "" {
		return revision, nil
	}
	body, err := c.Do(ctx, client.Request{Method: http.MethodGet, Path: client.Path(k, ns, name)})
	if err != nil {
		return "", err
	}
	var obj struct {
		Status struct {
			LatestReadyRevisionName   string `json:"latestReadyRevisionName"`
			LatestCreatedRevisionName string `json:"latestCreatedRevisionName"`
		} `json:"status"`
	}
	if err := json.Unmarshal(body, &obj); err != nil {
		return "", fmt.Errorf("decode %s %s: %w", k.Singular, name, err)
	}
	switch {
	case obj.Status.LatestReadyRevisionName != "":
		return obj.Status.LatestReadyRevisionName, nil
	case obj.Status.LatestCreatedRevisionName != "":
		return obj.Status.LatestCreatedRevisionName, nil
	}
	return "", fmt.Errorf("%s %q has no revision yet", k.Singular, name)
}
