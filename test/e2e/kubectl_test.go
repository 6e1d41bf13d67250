package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const helloYAML = `apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: hello
spec:
  template:
    spec:
      containers:
        - image: /usr/bin/true
          env:
            - name: TARGET
              value: %s
`

const brokerYAML = `apiVersion: eventing.knative.dev/v1
kind: Broker
metadata:
  name: default
`

// kubectlRunner runs the real kubectl against one server.
type kubectlRunner struct {
	t *testing.T
	s *server
}

func (k kubectlRunner) run(stdin string, args ...string) (string, error) {
	k.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return k.s.run(ctx, stdin, "kubectl", args...)
}

func (k kubectlRunner) must(args ...string) string {
	k.t.Helper()
	out, err := k.run("", args...)
	if err != nil {
		k.t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// mustFail runs kubectl, expects it to fail, and checks its message.
func (k kubectlRunner) mustFail(want string, args ...string) {
	k.t.Helper()
	out, err := k.run("", args...)
	if err == nil {
		k.t.Errorf("kubectl %s succeeded, want failure %q:\n%s", strings.Join(args, " "), want, out)
		return
	}
	if !strings.Contains(out, want) {
		k.t.Errorf("kubectl %s printed:\n%s\nwant it to contain %q", strings.Join(args, " "), out, want)
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func containsAll(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s:\n%s\nwant it to contain %q", what, got, w)
		}
	}
}

// TestKubectl drives skiff with the real kubectl through every command the
// API promises, then restarts skiff and checks that everything survived.
func TestKubectl(t *testing.T) {
	if _, err := exec.LookPath("kubectl"); err != nil {
		t.Skip("kubectl is not installed on this machine: skipping the kubectl end-to-end test")
	}
	s := startServer(t)
	k := kubectlRunner{t: t, s: s}
	dir := t.TempDir()
	svc := writeFile(t, dir, "hello.yaml", fmt.Sprintf(helloYAML, "World"))

	// apply: created, unchanged, configured.
	containsAll(t, "first apply", k.must("apply", "-f", svc), "service.serving.knative.dev/hello created")
	containsAll(t, "second apply", k.must("apply", "-f", svc), "service.serving.knative.dev/hello unchanged")
	writeFile(t, dir, "hello.yaml", fmt.Sprintf(helloYAML, "Skiff"))
	containsAll(t, "changed apply", k.must("apply", "-f", svc), "service.serving.knative.dev/hello configured")

	// get: Knative's columns, -o yaml, -A, the knative category.
	containsAll(t, "get ksvc", k.must("get", "ksvc"), "NAME", "URL", "LATESTCREATED", "LATESTREADY", "READY", "REASON", "hello")
	containsAll(t, "get -o yaml", k.must("get", "ksvc", "hello", "-o", "yaml"),
		"name: hello", "namespace: default", "generation: 2", "value: Skiff", "resourceVersion:", "uid:")
	// (kubectl create namespace sends protobuf, which skiff refuses with 415;
	// a manifest goes as JSON.)
	k.must("apply", "-f", writeFile(t, dir, "ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-b\n"))
	k.must("apply", "-n", "team-b", "-f", svc)
	containsAll(t, "get -A", k.must("get", "ksvc", "-A"), "NAMESPACE", "default", "team-b")
	k.must("apply", "-f", writeFile(t, dir, "broker.yaml", brokerYAML))
	containsAll(t, "get knative", k.must("get", "knative"), "service.serving.knative.dev/hello", "broker.eventing.knative.dev/default")
	containsAll(t, "get ns", k.must("get", "ns"), "default", "team-b", "Active")

	// explain reads the OpenAPI schemas.
	containsAll(t, "explain", k.must("explain", "ksvc.spec.template.spec.containers"), "image", "env", "readinessProbe")

	// edit through an editor that rewrites the file.
	editor := "sed -i s/Skiff/Edited/"
	out, err := k.s.runEnv([]string{"KUBE_EDITOR=" + editor}, "kubectl", "edit", "ksvc/hello")
	if err != nil {
		t.Fatalf("kubectl edit: %v\n%s", err, out)
	}
	containsAll(t, "edit", out, "service.serving.knative.dev/hello edited")
	containsAll(t, "after edit", k.must("get", "ksvc", "hello", "-o", "jsonpath={.spec.template.spec.containers[0].env[0].value}"), "Edited")

	t.Run("watch", func(t *testing.T) { testKubectlWatch(t, k) })
	t.Run("wait", func(t *testing.T) { testKubectlWait(t, k) })
	t.Run("errors", func(t *testing.T) { testKubectlErrors(t, k, dir) })

	// Restart: everything is still there and resourceVersions only grew.
	before := resourceVersions(t, s)
	s.restart()
	after := resourceVersions(t, s)
	if len(after) != len(before) {
		t.Errorf("after restart %d objects, before %d:\nbefore %v\nafter %v", len(after), len(before), before, after)
	}
	maxBefore := int64(0)
	for id, rv := range before {
		maxBefore = max(maxBefore, rv)
		if after[id] < rv {
			t.Errorf("%s: resourceVersion %d after restart, %d before", id, after[id], rv)
		}
	}
	k.must("label", "ksvc", "hello", "restarted=yes")
	if rv := resourceVersions(t, s)["services/default/hello"]; rv <= maxBefore {
		t.Errorf("a write after restart got resourceVersion %d, want > %d", rv, maxBefore)
	}

	// delete -f cascades to what the Service owns.
	uid := k.must("get", "ksvc", "hello", "-o", "jsonpath={.metadata.uid}")
	owned := writeFile(t, dir, "owned.yaml", fmt.Sprintf(`apiVersion: v1
kind: ConfigMap
metadata:
  name: owned-by-hello
  ownerReferences:
    - apiVersion: serving.knative.dev/v1
      kind: Service
      name: hello
      uid: %s
data:
  a: b
`, uid))
	k.must("apply", "-f", owned)
	containsAll(t, "delete -f", k.must("delete", "-f", svc), `service.serving.knative.dev "hello" deleted`)
	checkFor(t, 10*time.Second, func() error {
		out, err := k.run("", "get", "configmap", "owned-by-hello")
		if err == nil || !strings.Contains(out, "NotFound") {
			return fmt.Errorf("owned ConfigMap still there: %s", out)
		}
		return nil
	})
	k.mustFail(`services.serving.knative.dev "hello" not found`, "get", "ksvc", "hello")
}

// resourceVersions lists every object the test made, by kind/namespace/name.
func resourceVersions(t *testing.T, s *server) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, path := range []string{
		"/apis/serving.knative.dev/v1/services", "/apis/eventing.knative.dev/v1/brokers",
		"/api/v1/namespaces", "/api/v1/configmaps",
	} {
		code, body := s.api(t, "GET", path, "", "")
		if code != 200 {
			t.Fatalf("GET %s = %d %s", path, code, body)
		}
		var list struct {
			Items []struct {
				Metadata struct{ Name, Namespace, ResourceVersion string }
			}
		}
		if err := json.Unmarshal(body, &list); err != nil {
			t.Fatal(err)
		}
		plural := path[strings.LastIndex(path, "/")+1:]
		for _, it := range list.Items {
			rv, _ := strconv.ParseInt(it.Metadata.ResourceVersion, 10, 64)
			out[plural+"/"+it.Metadata.Namespace+"/"+it.Metadata.Name] = rv
		}
	}
	return out
}

// testKubectlWatch runs `kubectl get -w` and checks that a change shows up
// as a new row while the stream stays open.
func testKubectlWatch(t *testing.T, k kubectlRunner) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, "kubectl", "get", "ksvc", "hello", "-w", "-o", "custom-columns=NAME:.metadata.name,TARGET:.spec.template.spec.containers[0].env[0].value")
	cmd.Env = append(os.Environ(), "KUBECONFIG="+k.s.kubeconfig(), "HOME="+filepath.Join(k.s.dataDir, "home"))
	var mu sync.Mutex
	var buf strings.Builder
	cmd.Stdout = writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return buf.Write(p) })
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); _ = cmd.Wait() }()
	output := func() string { mu.Lock(); defer mu.Unlock(); return buf.String() }
	checkFor(t, 15*time.Second, func() error {
		if !strings.Contains(output(), "Edited") {
			return fmt.Errorf("watch printed %q so far", output())
		}
		return nil
	})
	k.must("patch", "ksvc", "hello", "--type=merge", "-p", `{"spec":{"template":{"spec":{"containers":[{"image":"/usr/bin/true","env":[{"name":"TARGET","value":"Watched"}]}]}}}}`)
	checkFor(t, 15*time.Second, func() error {
		if !strings.Contains(output(), "Watched") {
			return fmt.Errorf("watch printed %q; want the change", output())
		}
		return nil
	})
	if cmd.ProcessState != nil {
		t.Errorf("kubectl get -w exited; want the watch kept open")
	}
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// testKubectlWait checks that kubectl wait honours the Ready condition and
// observedGeneration. No serving reconciler is involved: the test writes the
// status itself through the status subresource, as a reconciler does.
func testKubectlWait(t *testing.T, k kubectlRunner) {
	gen := strings.TrimSpace(k.must("get", "ksvc", "hello", "-o", "jsonpath={.metadata.generation}"))
	g, _ := strconv.Atoi(gen)
	setStatus := func(observed int, ready string) {
		t.Helper()
		body := fmt.Sprintf(`{"status":{"observedGeneration":%d,"conditions":[{"type":"Ready","status":%q}]}}`, observed, ready)
		code, out := k.s.api(t, "PATCH", "/apis/serving.knative.dev/v1/namespaces/default/services/hello/status", "application/merge-patch+json", body)
		if code != 200 {
			t.Fatalf("status patch = %d %s", code, out)
		}
	}
	// Ready but for an older generation: not met.
	setStatus(g-1, "True")
	k.mustFail("timed out waiting for the condition", "wait", "--for=condition=Ready", "ksvc/hello", "--timeout=2s")

	// Met while kubectl waits on its watch.
	done := make(chan string, 1)
	go func() {
		out, err := k.run("", "wait", "--for=condition=Ready", "ksvc/hello", "--timeout=30s")
		if err != nil {
			out = "error: " + err.Error() + "\n" + out
		}
		done <- out
	}()
	time.Sleep(500 * time.Millisecond) // let kubectl reach its watch; the result does not depend on it
	setStatus(g, "True")
	select {
	case out := <-done:
		containsAll(t, "kubectl wait", out, "service.serving.knative.dev/hello condition met")
	case <-time.After(40 * time.Second):
		t.Fatal("kubectl wait did not return")
	}
}

func testKubectlErrors(t *testing.T, k kubectlRunner, dir string) {
	k.mustFail(`Error from server (NotFound): services.serving.knative.dev "nope" not found`, "get", "ksvc", "nope")
	k.mustFail(`Error from server (AlreadyExists): error when creating`, "create", "-f", filepath.Join(dir, "hello.yaml"))
	bad := writeFile(t, dir, "bad.yaml", `apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: bad
spec:
  template:
    spec:
      containers:
        - env:
            - name: A
              value: b
`)
	k.mustFail(`The Service "bad" is invalid: spec.template.spec.containers[0].image: Required value`, "apply", "-f", bad)
	split := writeFile(t, dir, "split.yaml", `apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: split
spec:
  template:
    spec:
      containers:
        - image: /usr/bin/true
  traffic:
    - latestRevision: true
      percent: 90
`)
	k.mustFail(`The Service "split" is invalid: spec.traffic`, "apply", "-f", split)
	unknown := writeFile(t, dir, "unknown.yaml", strings.Replace(fmt.Sprintf(helloYAML, "x"), "spec:\n  template:", "spec:\n  bogus: 1\n  template:", 1))
	k.mustFail(`unknown field "spec.bogus"`, "apply", "-f", unknown)

	// Conflict: replace with a stale resourceVersion.
	stale := k.must("get", "ksvc", "hello", "-o", "json")
	k.must("label", "ksvc", "hello", "bump=1")
	k.s.t.Helper()
	out, err := k.run(stale, "replace", "-f", "-")
	if err == nil || !strings.Contains(out, "Error from server (Conflict)") {
		t.Errorf("kubectl replace with a stale object: err %v, output %q; want a Conflict", err, out)
	}

	// Unauthorized: the same kubeconfig with a wrong token.
	kc, _ := os.ReadFile(k.s.kubeconfig())
	tok, _ := os.ReadFile(filepath.Join(k.s.dataDir, "token"))
	wrong := writeFile(t, dir, "wrong-kubeconfig", strings.Replace(string(kc), strings.TrimSpace(string(tok)), "not-the-token", 1))
	k.mustFail("You must be logged in to the server", "--kubeconfig", wrong, "get", "ksvc")

	// Server-side apply is refused cleanly.
	k.mustFail("Server-side apply not available on the server", "apply", "--server-side", "-f", filepath.Join(dir, "hello.yaml"))
}
