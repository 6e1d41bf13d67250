package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/skiff-sh/skiff/internal/client"
	"github.com/spf13/cobra"
)

func newApplyCmd(s streams, cf *clientFlags) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "apply -f FILE|DIR|-",
		Short: "Create or update resources from YAML or JSON manifests, as kubectl apply",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if file == "" {
				return errors.New("apply needs -f FILE, DIR or -")
			}
			c, ns, err := cf.newClient()
			if err != nil {
				return err
			}
			return applyPath(cmd.Context(), c, ns, file, s)
		},
	}
	cmd.Flags().StringVarP(&file, "filename", "f", "", "manifest file, directory, or - for stdin")
	return cmd
}

// applyPath applies every manifest in path (a file, a directory or "-"),
// printing a line per object as kubectl does.
func applyPath(ctx context.Context, c *client.Client, ns, path string, s streams) error {
	ms, err := client.ReadManifests(path, s.in)
	if err != nil {
		return err
	}
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	// ko:// images are built in the Go module of the current directory, as
	// ko builds them.
	pub := newKoPublisher(c, wd, s.err)
	var failed []string
	for _, m := range ms {
		res, err := applyOne(ctx, c, ns, m, pub)
		if err != nil {
			fmt.Fprintf(s.err, "error: %s: %v\n", m.Source, err)
			failed = append(failed, m.Source)
			continue
		}
		fmt.Fprintln(s.out, res)
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d objects failed", len(failed), len(ms))
	}
	return nil
}

// applyOne creates or three-way patches one object and says which, in
// kubectl's words. Its ko:// images are built and published first, and
// applied as the stored images they become.
func applyOne(ctx context.Context, c *client.Client, defaultNS string, m client.Manifest, pub *koPublisher) (string, error) {
	k, err := c.KindFor(m.APIVersion, m.Kind)
	if err != nil {
		return "", err
	}
	if m.JSON, err = resolveKoImages(ctx, m.JSON, pub.publish); err != nil {
		return "", err
	}
	ns := m.Namespace
	if !k.Namespaced {
		ns = ""
	} else if ns == "" {
		ns = defaultNS
	}
	// The manifest as applied, with the annotation that remembers it.
	var obj map[string]any
	if err := json.Unmarshal(m.JSON, &obj); err != nil {
		return "", err
	}
	modified, err := withLastApplied(obj, m.JSON)
	if err != nil {
		return "", err
	}
	id := strings.ToLower(k.Kind)
	if k.Group != "" {
		id += "." + k.Group
	}
	id += "/" + m.Name
	if m.Name == "" {
		return "", errors.New("metadata.name is required")
	}
	current, err := c.Do(ctx, client.Request{Method: http.MethodGet, Path: client.Path(k, ns, m.Name)})
	if client.IsNotFound(err) {
		_, err = c.Do(ctx, client.Request{Method: http.MethodPost, Path: client.Path(k, ns, "") + "?fieldManager=skiff&fieldValidation=Strict", Body: modified})
		if err != nil {
			return "", err
		}
		return id + " created", nil
	}
	if err != nil {
		return "", err
	}
	var cur struct {
		Metadata struct {
			Annotations map[string]string `json:"annotations"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(current, &cur); err != nil {
		return "", err
	}
	original := []byte(cur.Metadata.Annotations[client.LastAppliedAnnotation])
	patch, err := client.ThreeWayMergePatch(original, modified, current)
	if err != nil {
		return "", err
	}
	if string(patch) == "{}" {
		return id + " unchanged", nil
	}
	_, err = c.Do(ctx, client.Request{
		Method: http.MethodPatch, Path: client.Path(k, ns, m.Name) + "?fieldManager=skiff&fieldValidation=Strict",
		Body: patch, ContentType: "application/merge-patch+json",
	})
	if err != nil {
		return "", err
	}
	return id + " configured", nil
}

// withLastApplied returns obj with the last-applied annotation set to the
// manifest itself, as kubectl apply records it.
func withLastApplied(obj map[string]any, manifest []byte) ([]byte, error) {
	md, _ := obj["metadata"].(map[string]any)
	if md == nil {
		md = map[string]any{}
		obj["metadata"] = md
	}
	ann, _ := md["annotations"].(map[string]any)
	if ann == nil {
		ann = map[string]any{}
		md["annotations"] = ann
	}
	// The recorded manifest never contains the annotation itself.
	delete(ann, client.LastAppliedAnnotation)
	clean, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	ann[client.LastAppliedAnnotation] = string(clean) + "\n"
	return json.Marshal(obj)
}
