package main

import (
	"bytes"
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/skiff-sh/skiff/internal/client"
	"github.com/skiff-sh/skiff/internal/kubeconfig"
)

// fakePublisher is a koPublisher whose build writes a file named after the
// import path and whose upload "stores" it under a digest made from its
// content, counting calls.
func fakePublisher(t *testing.T, progress *bytes.Buffer) (*koPublisher, map[string]int) {
	return fakePublisherIn(t, t.TempDir(), progress)
}

func fakePublisherIn(t *testing.T, dir string, progress *bytes.Buffer) (*koPublisher, map[string]int) {
	builds := map[string]int{}
	return &koPublisher{
		build: func(_ context.Context, importPath string) (string, error) {
			builds[importPath]++
			if strings.Contains(importPath, "broken") {
				return "", fmt.Errorf("build %s: go build failed:\nundefined: x", importPath)
			}
			p := filepath.Join(dir, fmt.Sprintf("bin-%d", len(builds)))
			return p, os.WriteFile(p, []byte(importPath), 0o755)
		},
		upload: func(_ context.Context, path string) (string, error) {
			b, err := os.ReadFile(path)
			if err != nil {
				return "", err
			}
			return "sha256:" + strings.Repeat(fmt.Sprintf("%02x", len(b)), 32), nil
		},
		progress: progress,
	}, builds
}

func digestFor(importPath string) string {
	return "sha256:" + strings.Repeat(fmt.Sprintf("%02x", len(importPath)), 32)
}

func TestResolveKoImages(t *testing.T) {
	const a, b = "github.com/x/a", "github.com/x/bb"
	refA := "skiff.local/" + a + "@" + digestFor(a)
	refB := "skiff.local/" + b + "@" + digestFor(b)
	tests := []struct {
		name     string
		manifest string
		want     string // "" means the manifest unchanged, byte for byte
		wantErr  string
	}{
		{
			name:     "service",
			manifest: `{"apiVersion":"serving.knative.dev/v1","kind":"Service","metadata":{"name":"s"},"spec":{"template":{"spec":{"containers":[{"image":"ko://` + a + `","env":[{"name":"T","value":"ko://not-an-image"}]}]}}}}`,
			want:     `{"apiVersion":"serving.knative.dev/v1","kind":"Service","metadata":{"name":"s"},"spec":{"template":{"spec":{"containers":[{"env":[{"name":"T","value":"ko://not-an-image"}],"image":"` + refA + `"}]}}}}`,
		},
		{
			name:     "configuration with an init container",
			manifest: `{"kind":"Configuration","spec":{"template":{"spec":{"initContainers":[{"image":"ko://` + b + `"}],"containers":[{"image":"ko://` + a + `"}]}}}}`,
			want:     `{"kind":"Configuration","spec":{"template":{"spec":{"containers":[{"image":"` + refA + `"}],"initContainers":[{"image":"` + refB + `"}]}}}}`,
		},
		{
			name:     "revision",
			manifest: `{"kind":"Revision","spec":{"containers":[{"image":"ko://` + b + `"},{"image":"/bin/sidecar"}]}}`,
			want:     `{"kind":"Revision","spec":{"containers":[{"image":"` + refB + `"},{"image":"/bin/sidecar"}]}}`,
		},
		{
			name:     "container source",
			manifest: `{"kind":"ContainerSource","spec":{"template":{"spec":{"containers":[{"image":"ko://` + a + `"}]}}}}`,
			want:     `{"kind":"ContainerSource","spec":{"template":{"spec":{"containers":[{"image":"` + refA + `"}]}}}}`,
		},
		{
			name:     "no ko images",
			manifest: `{"kind":"Service","spec":{"template":{"spec":{"containers":[{"image":"/usr/bin/app"}]}}}}`,
		},
		{
			name:     "ko:// outside an image",
			manifest: `{"kind":"ConfigMap","data":{"x":"ko://github.com/x/a"}}`,
		},
		{
			name:     "already resolved",
			manifest: `{"kind":"Service","spec":{"template":{"spec":{"containers":[{"image":"` + refA + `"}]}}}}`,
		},
		{
			name:     "build failure",
			manifest: `{"kind":"Service","spec":{"template":{"spec":{"containers":[{"image":"ko://github.com/x/broken"}]}}}}`,
			wantErr:  "go build failed",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pub, _ := fakePublisher(t, &bytes.Buffer{})
			got, err := resolveKoImages(context.Background(), []byte(tt.manifest), pub.publish)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("resolveKoImages() error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			if want == "" {
				want = tt.manifest
			}
			if diff := cmp.Diff(want, string(got)); diff != "" {
				t.Errorf("resolveKoImages() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestKoPublisherBuildsEachImportPathOnce(t *testing.T) {
	var progress bytes.Buffer
	dir := t.TempDir()
	pub, builds := fakePublisherIn(t, dir, &progress)
	ctx := context.Background()
	manifests := []string{
		`{"kind":"Service","spec":{"template":{"spec":{"containers":[{"image":"ko://github.com/x/a"}]}}}}`,
		`{"kind":"Service","spec":{"template":{"spec":{"containers":[{"image":"ko://github.com/x/a"}]}}}}`,
		`{"kind":"Revision","spec":{"containers":[{"image":"ko://github.com/x/broken"}]}}`,
		`{"kind":"Revision","spec":{"containers":[{"image":"ko://github.com/x/broken"}]}}`,
	}
	var errs int
	for _, m := range manifests {
		if _, err := resolveKoImages(ctx, []byte(m), pub.publish); err != nil {
			errs++
		}
	}
	if want := map[string]int{"github.com/x/a": 1, "github.com/x/broken": 1}; !cmp.Equal(builds, want) {
		t.Errorf("builds = %v, want %v", builds, want)
	}
	if errs != 2 {
		t.Errorf("%d manifests failed, want the 2 with the broken import path", errs)
	}
	want := "Building github.com/x/a for "
	if got := progress.String(); !strings.HasPrefix(got, want) ||
		!strings.Contains(got, "\nPublished skiff.local/github.com/x/a@"+digestFor("github.com/x/a")+"\n") {
		t.Errorf("progress = %q, want a Building and a Published line", got)
	}
	// The built binary is removed once uploaded.
	entries, _ := filepath.Glob(filepath.Join(dir, "bin-*"))
	if len(entries) != 0 {
		t.Errorf("binaries left: %v", entries)
	}
}

func TestKoPublisherUploadError(t *testing.T) {
	pub, _ := fakePublisher(t, &bytes.Buffer{})
	boom := errors.New("connection refused")
	pub.upload = func(context.Context, string) (string, error) { return "", boom }
	_, err := resolveKoImages(context.Background(), []byte(`{"spec":{"containers":[{"image":"ko://github.com/x/a"}]}}`), pub.publish)
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "publish github.com/x/a") {
		t.Errorf("error = %v, want the upload's error, naming the import path", err)
	}
}

// TestKoPublisherUploads runs the real upload through the client against
// a server that answers as the image endpoint does.
func TestKoPublisherUploads(t *testing.T) {
	var gotAuth, gotBody, gotPath string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth, gotPath = r.Header.Get("Authorization"), r.URL.Path
		b, _ := io.ReadAll(r.Body)
		gotBody = string(b)
		_, _ = io.WriteString(w, `{"digest":"sha256:`+strings.Repeat("ab", 32)+`"}`)
	}))
	defer srv.Close()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	c := client.New(kubeconfig.Config{Server: srv.URL, Token: "secret", CAData: ca}, nil)

	bin := filepath.Join(t.TempDir(), "bin")
	if err := os.WriteFile(bin, []byte("the binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	var progress bytes.Buffer
	pub := newKoPublisher(c, t.TempDir(), &progress)
	pub.build = func(context.Context, string) (string, error) { return bin, nil }
	got, err := pub.publish(context.Background(), "github.com/x/a")
	if err != nil {
		t.Fatal(err)
	}
	if want := "skiff.local/github.com/x/a@sha256:" + strings.Repeat("ab", 32); got != want {
		t.Errorf("publish() = %s, want %s", got, want)
	}
	if gotAuth != "Bearer secret" || gotPath != "/skiff/v1/images" || gotBody != "the binary" {
		t.Errorf("server saw auth %q, path %q, body %q; want the token, the images path and the binary", gotAuth, gotPath, gotBody)
	}
	if _, err := os.Stat(bin); !os.IsNotExist(err) {
		t.Errorf("the built binary is still there after its upload (%v)", err)
	}
}
