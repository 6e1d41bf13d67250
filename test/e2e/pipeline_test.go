package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image/jpeg"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// notifyRecord is one event notify serves at GET /.
type notifyRecord struct {
	ID, Type, Source, Subject, Datacontenttype, Uploadid, Imageid string
	Width, Height                                                 int
	Data                                                          string
}

// TestPipelineExample runs examples/pipeline as its README says: npm ci in
// notify, the manifest applied from the repository root with /REPO_ROOT
// substituted (ko:// builds for ingest and resize), then one pipeline.upload
// event through the broker, which must come out of resize as a 32x32 JPEG
// thumbnail received by the Node.js notify service.
func TestPipelineExample(t *testing.T) {
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the pipeline example needs %s (Node.js) on the PATH: %v", tool, err)
		}
	}
	root, err := filepath.Abs(repoRoot())
	if err != nil {
		t.Fatal(err)
	}
	notifyDir := filepath.Join(root, "examples", "pipeline", "notify")
	npmInstall(t, notifyDir)

	manifest, err := os.ReadFile(filepath.Join(root, "examples", "pipeline", "pipeline.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// What the README's sed "s|/REPO_ROOT|$PWD|" does.
	applied := strings.ReplaceAll(string(manifest), "/REPO_ROOT", root)
	if !strings.Contains(applied, "file://"+filepath.Join(notifyDir, "run.sh")) {
		t.Fatalf("pipeline.yaml has no file:///REPO_ROOT/examples/pipeline/notify/run.sh image to substitute")
	}
	file := filepath.Join(t.TempDir(), "pipeline.yaml")
	if err := os.WriteFile(file, []byte(applied), 0o644); err != nil {
		t.Fatal(err)
	}

	s := startServer(t)
	out, err := s.skiffInDir(t, root, 3*time.Minute, "apply", "-f", file)
	if err != nil {
		t.Fatalf("skiff apply: %v\n%s", err, out)
	}
	containsAll(t, "skiff apply", out,
		"Published skiff.local/github.com/skiff-sh/skiff/examples/pipeline/ingest@sha256:",
		"Published skiff.local/github.com/skiff-sh/skiff/examples/pipeline/resize@sha256:",
		"broker.eventing.knative.dev/pipeline created", "service.serving.knative.dev/notify created",
		"trigger.eventing.knative.dev/notify created")
	for _, name := range []string{"ingest", "resize", "notify"} {
		s.waitKsvcReady(t, name)
	}
	broker := s.brokerURL(t, "pipeline")
	for _, name := range []string{"ingest", "resize", "notify"} {
		s.waitTriggerReady(t, name)
	}

	if res := sendEvent(context.Background(), broker, "upload-1", "pipeline.upload", map[string]string{"name": "cat"}); statusOf(res) != http.StatusAccepted {
		t.Fatalf("send pipeline.upload = %v, want 202", res)
	}
	var got notifyRecord
	checkFor(t, 30*time.Second, func() error {
		code, body, err := s.ingressGet("notify.default.localhost", "/")
		if err != nil || code != 200 {
			return fmt.Errorf("GET notify = %d %q %v", code, body, err)
		}
		var r struct{ Events []notifyRecord }
		if err := json.Unmarshal([]byte(body), &r); err != nil {
			return fmt.Errorf("GET notify: %v: %q", err, body)
		}
		if len(r.Events) == 0 {
			return fmt.Errorf("notify has received nothing yet")
		}
		got = r.Events[0]
		return nil
	})

	// The chain: upload-1 -> ingest's upload-1-image -> resize's thumbnail.
	want := notifyRecord{
		ID: "upload-1-image-thumbnail", Type: "pipeline.thumbnail", Source: "/pipeline/resize", Subject: "cat",
		Datacontenttype: "image/jpeg", Uploadid: "upload-1", Imageid: "upload-1-image", Width: 32, Height: 32,
	}
	data := got.Data
	got.Data = ""
	if got != want {
		t.Errorf("notify received %+v\nwant %+v", got, want)
	}
	raw, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		t.Fatalf("notify's data is not base64: %v", err)
	}
	img, err := jpeg.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("the thumbnail is not a JPEG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 32 || b.Dy() != 32 {
		t.Errorf("thumbnail is %dx%d, want 32x32", b.Dx(), b.Dy())
	}

	// The README's way to see it.
	checkFor(t, 10*time.Second, func() error {
		out, err := s.skiff(t, "", "logs", "ksvc/notify", "--tail", "20")
		if err != nil || !strings.Contains(out, "notify: pipeline.thumbnail upload-1-image-thumbnail from /pipeline/resize subject=cat") {
			return fmt.Errorf("skiff logs ksvc/notify = %q, %v", out, err)
		}
		return nil
	})
}

// npmInstall installs notify's locked dependencies with npm ci, unless
// node_modules already holds what package-lock.json names (npm's own
// node_modules/.package-lock.json is then at least as new as the lock).
func npmInstall(t *testing.T, dir string) {
	t.Helper()
	lock, err := os.Stat(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	if hidden, err := os.Stat(filepath.Join(dir, "node_modules", ".package-lock.json")); err == nil && !hidden.ModTime().Before(lock.ModTime()) {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", "cloudevents", "package.json")); err == nil {
			return
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("npm ci in %s failed (is the npm registry reachable?): %v\n%s", dir, err, out)
	}
}
