package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// repoRoot is the root of the skiff module.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// skiffInDir runs the skiff CLI against the server with its working
// directory at dir, where it builds ko:// images. The go command keeps the
// test's build and module caches (run gives skiff a HOME of its own).
func (s *server) skiffInDir(t *testing.T, dir string, timeout time.Duration, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.bin, append([]string{"--data-dir", s.dataDir}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "KUBECONFIG="+s.kubeconfig(), "HOME="+filepath.Join(s.dataDir, "home"))
	for _, v := range []string{"GOCACHE", "GOMODCACHE", "GOPATH"} {
		out, err := exec.Command("go", "env", v).Output()
		if err == nil && strings.TrimSpace(string(out)) != "" {
			cmd.Env = append(cmd.Env, v+"="+strings.TrimSpace(string(out)))
		}
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestKoApply applies examples/hello/service.yaml, whose image is
// ko://github.com/skiff-sh/skiff/examples/hello, as a user does from the
// repository: skiff builds it, stores it in the image store, applies the
// Service with the stored image, runs it, and shows its logs.
func TestKoApply(t *testing.T) {
	s := startServer(t)
	root := repoRoot()
	const importPath = "github.com/skiff-sh/skiff/examples/hello"
	imageRE := regexp.MustCompile(`^skiff\.local/` + regexp.QuoteMeta(importPath) + `@(sha256:[0-9a-f]{64})$`)

	out, err := s.skiffInDir(t, root, 3*time.Minute, "apply", "-f", "examples/hello/service.yaml")
	if err != nil {
		t.Fatalf("skiff apply: %v\n%s", err, out)
	}
	containsAll(t, "skiff apply", out, "Building "+importPath, "Published skiff.local/"+importPath+"@sha256:",
		"service.serving.knative.dev/hello created")

	image := koServiceImage(t, s, "hello")
	m := imageRE.FindStringSubmatch(image)
	if m == nil {
		t.Fatalf("stored image = %q, want skiff.local/%s@sha256:<hex>", image, importPath)
	}
	digest := m[1]

	// The same source builds the same digest: nothing changes.
	out, err = s.skiffInDir(t, root, 3*time.Minute, "apply", "-f", "examples/hello/service.yaml")
	if err != nil {
		t.Fatalf("skiff apply again: %v\n%s", err, out)
	}
	containsAll(t, "skiff apply again", out, "Published "+image, "service.serving.knative.dev/hello unchanged")

	// The revision runs the stored binary.
	var rev string
	checkFor(t, 60*time.Second, func() error {
		var err error
		rev, err = koReadyRevision(t, s, "hello")
		return err
	})
	code, body := s.api(t, "GET", "/apis/serving.knative.dev/v1/namespaces/default/revisions/"+rev, "", "")
	if code != 200 || !strings.Contains(string(body), `"imageDigest":"`+digest+`"`) {
		t.Errorf("revision %s = %d %s; want containerStatuses with imageDigest %s", rev, code, body, digest)
	}
	checkFor(t, 30*time.Second, func() error {
		req, _ := http.NewRequest("GET", "http://"+s.httpAddr+"/", nil)
		req.Host = "hello.default.localhost"
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || !strings.Contains(string(b), "Hello World!") {
			return fmt.Errorf("GET hello = %d %q", resp.StatusCode, b)
		}
		return nil
	})

	// Its output is in skiff logs.
	checkFor(t, 10*time.Second, func() error {
		out, err := s.skiff(t, "", "logs", "ksvc/hello", "--tail", "10")
		if err != nil || !strings.Contains(out, "hello listening on") {
			return fmt.Errorf("skiff logs ksvc/hello = %q, %v", out, err)
		}
		return nil
	})
	out, err = s.skiff(t, "", "logs", "rev/"+rev)
	if err != nil || !strings.Contains(out, "hello listening on") {
		t.Errorf("skiff logs rev/%s = %q, %v; want the instance's output", rev, out, err)
	}
	out, err = s.skiff(t, "", "logs", "rev/hello-99999")
	if err == nil || !strings.Contains(out, "has no logs") {
		t.Errorf("skiff logs of a revision that never ran = %q, %v; want an error saying it has no logs", out, err)
	}
}

// koServiceImage returns the image of a stored Service's first container.
func koServiceImage(t *testing.T, s *server, name string) string {
	t.Helper()
	code, body := s.api(t, "GET", "/apis/serving.knative.dev/v1/namespaces/default/services/"+name, "", "")
	if code != 200 {
		t.Fatalf("get ksvc %s = %d %s", name, code, body)
	}
	var svc struct {
		Spec struct {
			Template struct {
				Spec struct {
					Containers []struct{ Image string }
				}
			}
		}
	}
	if err := json.Unmarshal(body, &svc); err != nil {
		t.Fatal(err)
	}
	if len(svc.Spec.Template.Spec.Containers) == 0 {
		t.Fatalf("ksvc %s has no containers: %s", name, body)
	}
	return svc.Spec.Template.Spec.Containers[0].Image
}

// koReadyRevision returns the latest ready revision of a ready Service.
func koReadyRevision(t *testing.T, s *server, name string) (string, error) {
	t.Helper()
	code, body := s.api(t, "GET", "/apis/serving.knative.dev/v1/namespaces/default/services/"+name, "", "")
	if code != 200 {
		return "", fmt.Errorf("get ksvc %s = %d %s", name, code, body)
	}
	var svc struct {
		Status struct {
			LatestReadyRevisionName string
			Conditions              []struct{ Type, Status, Message string }
		}
	}
	if err := json.Unmarshal(body, &svc); err != nil {
		return "", err
	}
	for _, c := range svc.Status.Conditions {
		if c.Type == "Ready" && c.Status == "True" && svc.Status.LatestReadyRevisionName != "" {
			return svc.Status.LatestReadyRevisionName, nil
		}
	}
	return "", fmt.Errorf("ksvc %s not ready: %s", name, body)
}
