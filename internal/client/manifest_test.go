package client

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadManifests(t *testing.T) {
	dir := t.TempDir()
	_ = os.WriteFile(filepath.Join(dir, "a.yaml"), []byte(`# two services
apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: one
---
# only a comment
---
apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: two
  namespace: other
`), 0o600)
	_ = os.WriteFile(filepath.Join(dir, "b.json"), []byte(`{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm"}}]}`), 0o600)
	_ = os.WriteFile(filepath.Join(dir, "ignored.txt"), []byte("not a manifest"), 0o600)

	ms, err := ReadManifests(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range ms {
		got = append(got, m.Kind+"/"+m.Namespace+"/"+m.Name)
	}
	want := "Service//one,Service/other/two,ConfigMap//cm"
	if strings.Join(got, ",") != want {
		t.Errorf("ReadManifests() = %v, want %s", got, want)
	}

	ms, err = ReadManifests("-", strings.NewReader("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n"))
	if err != nil || len(ms) != 1 || ms[0].Name != "x" {
		t.Errorf("ReadManifests(stdin) = %v, %v", ms, err)
	}
}

func TestReadManifestsErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"no kind", "metadata:\n  name: x\n", "apiVersion and kind are required"},
		{"bad yaml", "a: [\n", "stdin (document 1)"},
		{"scalar", "just a string\n", "not an object"},
	}
	for _, tt := range tests {
		_, err := ReadManifests("-", strings.NewReader(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: ReadManifests() error = %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}
