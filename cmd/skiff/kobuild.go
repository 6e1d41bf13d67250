package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	goruntime "runtime"
	"strings"

	"github.com/skiff-sh/skiff/internal/client"
	"github.com/skiff-sh/skiff/internal/runtime/images"
	"github.com/skiff-sh/skiff/internal/runtime/ko"
)

// storedImageHost names the images skiff builds, as ko names its ko.local.
const storedImageHost = "skiff.local/"

// koPublisher builds ko:// images and uploads them to the server's image
// store, as `ko apply` builds and pushes them, each import path once per
// run of the command.
type koPublisher struct {
	// build compiles an import path and returns the binary's path, a file
	// the publisher removes once uploaded.
	build func(ctx context.Context, importPath string) (string, error)
	// upload stores a binary and returns its digest, "sha256:<hex>".
	upload func(ctx context.Context, path string) (string, error)
	// progress receives ko's "Building" and "Published" lines.
	progress io.Writer

	done map[string]koResult // by import path
}

type koResult struct {
	image string
	err   error
}

// newKoPublisher returns the publisher of `skiff apply`: it builds in the
// Go module of dir and uploads through c.
func newKoPublisher(c *client.Client, dir string, progress io.Writer) *koPublisher {
	return &koPublisher{
		build: func(ctx context.Context, importPath string) (string, error) {
			return ko.Build(ctx, dir, importPath)
		},
		upload: func(ctx context.Context, path string) (string, error) {
			f, err := os.Open(path)
			if err != nil {
				return "", err
			}
			defer f.Close()
			body, err := c.Upload(ctx, images.UploadPath, f)
			if client.IsNotFound(err) {
				return "", fmt.Errorf("upload: the server has no image store at %s (is it an older skiff?): %w", images.UploadPath, err)
			}
			if err != nil {
				return "", fmt.Errorf("upload: %w", err)
			}
			var reply images.UploadReply
			if err := json.Unmarshal(body, &reply); err != nil || !strings.HasPrefix(reply.Digest, "sha256:") {
				return "", fmt.Errorf("upload: the server's reply %q has no digest", body)
			}
			return reply.Digest, nil
		},
		progress: progress,
	}
}

// publish returns the stored image reference of a ko:// import path,
// building and uploading it on first use.
func (p *koPublisher) publish(ctx context.Context, importPath string) (string, error) {
	if r, ok := p.done[importPath]; ok {
		return r.image, r.err
	}
	image, err := p.buildAndUpload(ctx, importPath)
	if p.done == nil {
		p.done = map[string]koResult{}
	}
	p.done[importPath] = koResult{image: image, err: err}
	return image, err
}

func (p *koPublisher) buildAndUpload(ctx context.Context, importPath string) (string, error) {
	fmt.Fprintf(p.progress, "Building %s for %s/%s\n", importPath, goruntime.GOOS, goruntime.GOARCH)
	bin, err := p.build(ctx, importPath)
	if err != nil {
		return "", err
	}
	defer os.Remove(bin)
	digest, err := p.upload(ctx, bin)
	if err != nil {
		return "", fmt.Errorf("publish %s: %w", importPath, err)
	}
	image := storedImageHost + importPath + "@" + digest
	fmt.Fprintf(p.progress, "Published %s\n", image)
	return image, nil
}

// resolveKoImages returns manifest (JSON) with every ko:// container image
// of its pod spec replaced by the stored image that publish returns, as
// `ko resolve` does. The pod spec is spec.template.spec (Service,
// Configuration, ContainerSource) or spec (Revision); both are looked at,
// containers and initContainers. A manifest without ko:// images is
// returned as it is.
func resolveKoImages(ctx context.Context, manifest []byte, publish func(ctx context.Context, importPath string) (string, error)) ([]byte, error) {
	if !strings.Contains(string(manifest), ko.Scheme) {
		return manifest, nil
	}
	var obj map[string]any
	if err := json.Unmarshal(manifest, &obj); err != nil {
		return nil, err
	}
	spec, _ := obj["spec"].(map[string]any)
	if spec == nil {
		return manifest, nil
	}
	podSpecs := []map[string]any{spec}
	if tmpl, ok := spec["template"].(map[string]any); ok {
		if ps, ok := tmpl["spec"].(map[string]any); ok {
			podSpecs = append(podSpecs, ps)
		}
	}
	changed := false
	for _, ps := range podSpecs {
		for _, field := range []string{"initContainers", "containers"} {
			list, _ := ps[field].([]any)
			for _, c := range list {
				c, _ := c.(map[string]any)
				image, _ := c["image"].(string)
				importPath, ok := strings.CutPrefix(image, ko.Scheme)
				if !ok {
					continue
				}
				ref, err := publish(ctx, importPath)
				if err != nil {
					return nil, err
				}
				c["image"] = ref
				changed = true
			}
		}
	}
	if !changed {
		return manifest, nil
	}
	return json.Marshal(obj)
}
