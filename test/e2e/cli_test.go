package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCLI drives the skiff CLI's apply, get and delete against a server.
func TestCLI(t *testing.T) {
	s := startServer(t)
	dir := t.TempDir()
	manifests := writeFile(t, dir, "all.yaml", fmt.Sprintf(helloYAML, "World")+"---\n"+brokerYAML+`---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  a: "1"
`)
	out, err := s.skiff(t, "", "apply", "-f", manifests)
	if err != nil {
		t.Fatalf("skiff apply: %v\n%s", err, out)
	}
	containsAll(t, "skiff apply", out, "service.serving.knative.dev/hello created", "broker.eventing.knative.dev/default created", "configmap/settings created")

	out, err = s.skiff(t, "", "apply", "-f", manifests)
	if err != nil {
		t.Fatalf("skiff apply again: %v\n%s", err, out)
	}
	containsAll(t, "skiff apply again", out, "service.serving.knative.dev/hello unchanged", "configmap/settings unchanged")

	// From stdin, as JSON, with a change.
	out, err = s.skiff(t, `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"settings"},"data":{"a":"2"}}`, "apply", "-f", "-")
	if err != nil {
		t.Fatalf("skiff apply -f -: %v\n%s", err, out)
	}
	containsAll(t, "skiff apply -f -", out, "configmap/settings configured")

	out, err = s.skiff(t, "", "get", "ksvc")
	if err != nil {
		t.Fatalf("skiff get ksvc: %v\n%s", err, out)
	}
	containsAll(t, "skiff get ksvc", out, "NAME", "URL", "READY", "hello")

	out, err = s.skiff(t, "", "get", "cm", "settings", "-o", "yaml")
	if err != nil {
		t.Fatalf("skiff get -o yaml: %v\n%s", err, out)
	}
	containsAll(t, "skiff get -o yaml", out, "kind: ConfigMap", `a: "2"`)

	out, err = s.skiff(t, "", "get", "brokers", "-o", "json")
	if err != nil {
		t.Fatalf("skiff get -o json: %v\n%s", err, out)
	}
	containsAll(t, "skiff get -o json", out, `"kind": "BrokerList"`, `"name": "default"`)

	// A bad manifest fails with the server's message and stores nothing.
	bad := writeFile(t, dir, "bad.yaml", strings.Replace(fmt.Sprintf(helloYAML, "x"), "name: hello", "name: Bad_Name", 1))
	out, err = s.skiff(t, "", "apply", "-f", bad)
	if err == nil || !strings.Contains(out, "metadata.name") {
		t.Errorf("skiff apply of an invalid name: err %v, output %q; want a failure naming metadata.name", err, out)
	}

	out, err = s.skiff(t, "", "delete", "-f", manifests)
	if err != nil {
		t.Fatalf("skiff delete -f: %v\n%s", err, out)
	}
	containsAll(t, "skiff delete", out, `service.serving.knative.dev "hello" deleted`, `configmap "settings" deleted`)
	out, err = s.skiff(t, "", "delete", "ksvc", "hello")
	if err == nil || !strings.Contains(out, "NotFound") {
		t.Errorf("second delete: err %v, output %q; want NotFound", err, out)
	}
}

// TestTwoNodesShareNATS starts one skiff with its NATS client port open and
// a second skiff on that NATS (--nats-url), as two nodes of one
// installation: an object written through one node's API is read through
// the other's.
func TestTwoNodesShareNATS(t *testing.T) {
	natsAddr := freePort(t)
	a := startServer(t, "--nats-listen", natsAddr)
	b := startServer(t, "--nats-url", "nats://"+natsAddr)
	dir := t.TempDir()
	cm := writeFile(t, dir, "cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\ndata:\n  from: a\n")
	if out, err := a.skiff(t, "", "apply", "-f", cm); err != nil {
		t.Fatalf("apply on node a: %v\n%s", err, out)
	}
	checkFor(t, 10*time.Second, func() error {
		out, err := b.skiff(t, "", "get", "cm", "shared", "-o", "yaml")
		if err != nil || !strings.Contains(out, "from: a") {
			return fmt.Errorf("node b: %v %s", err, out)
		}
		return nil
	})
}

// TestServerApplyAtStart is the README's run command: `skiff server --apply
// examples/hello` builds the example (ko://), deploys it, and it answers
// through the ingress.
func TestServerApplyAtStart(t *testing.T) {
	s := startServer(t, "--apply", filepath.Join(repoRoot(), "examples", "hello"))
	checkFor(t, 3*time.Minute, func() error {
		code, body, err := s.ingressGet("hello.default.localhost", "/")
		if err != nil || code != 200 || !strings.HasPrefix(body, "Hello World! (revision hello-00001)") {
			return fmt.Errorf("GET hello = %d %q %v", code, body, err)
		}
		return nil
	})
}
