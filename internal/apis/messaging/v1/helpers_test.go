package v1

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/skiff-sh/skiff/internal/apis"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"
)

// summarize turns errs into "path: type" lines, the part of each error the
// tables pin down.
func summarize(errs field.ErrorList) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Field+": "+e.Type.String())
	}
	return out
}

// testNow is the fixed time the lifecycle tests pass in.
var testNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// loadJSON reads a testdata YAML file as JSON.
func loadJSON(t testing.TB, name string) []byte {
	t.Helper()
	y, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	j, err := yaml.YAMLToJSON(y)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return j
}

// decodeFile decodes a testdata YAML file into obj, failing on any unknown
// field.
func decodeFile(t testing.TB, name string, obj apis.Object) {
	t.Helper()
	strict, err := apis.Decode(loadJSON(t, name), obj)
	if err != nil || len(strict) > 0 {
		t.Fatalf("decode %s: %v %v", name, err, strict)
	}
}

// clone deep-copies obj through JSON.
func clone[T any](t testing.TB, obj *T) *T {
	t.Helper()
	b, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	out := new(T)
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatal(err)
	}
	return out
}

var ctx = context.Background()
