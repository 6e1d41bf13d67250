// Package apistest holds what the API packages' tests share: reading
// testdata manifests, strict decoding, a fixed clock and error summaries.
package apistest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/skiff-sh/skiff/internal/apis"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"
)

// Now is the fixed time lifecycle tests pass in.
var Now = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// Summarize turns errs into "path: type" lines, the part of each error
// tables pin down.
func Summarize(errs field.ErrorList) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Field+": "+e.Type.String())
	}
	return out
}

// LoadJSON reads testdata/name (YAML or JSON) as JSON.
func LoadJSON(t testing.TB, name string) []byte {
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

// DecodeFile decodes testdata/name into obj, failing on any unknown field.
func DecodeFile(t testing.TB, name string, obj apis.Object) {
	t.Helper()
	strict, err := apis.Decode(LoadJSON(t, name), obj)
	if err != nil || len(strict) > 0 {
		t.Fatalf("decode %s: %v %v", name, err, strict)
	}
}

// Clone deep-copies obj through JSON.
func Clone[T any](t testing.TB, obj *T) *T {
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
