package apistest

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/skiff-sh/skiff/internal/apis"
	"sigs.k8s.io/yaml"
)

// AddSeeds adds every testdata file matching pattern ("*.json",
// "*.yaml"), as JSON, to the fuzz corpus; it fails when there are none.
func AddSeeds(f *testing.F, pattern string) {
	f.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", pattern))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds matching %s: %v", pattern, err)
	}
	for _, name := range files {
		f.Add(LoadJSON(f, filepath.Base(name)))
	}
}

// DecodeDefaultValidate runs data through strict decoding into every kind,
// defaulting and validation (on create, and on update against the same
// object decoded anew). Nothing may panic, and defaulting twice must give
// the same JSON.
func DecodeDefaultValidate(t *testing.T, kinds []apis.Kind, data []byte) {
	t.Helper()
	ctx := context.Background()
	for _, k := range kinds {
		obj := k.New()
		if _, err := apis.Decode(data, obj); err != nil {
			continue
		}
		obj.SetDefaults(ctx)
		once, err := json.Marshal(obj)
		if err != nil {
			t.Fatalf("%s: marshal after SetDefaults: %v", k.Kind, err)
		}
		obj.SetDefaults(ctx)
		twice, err := json.Marshal(obj)
		if err != nil {
			t.Fatalf("%s: marshal after second SetDefaults: %v", k.Kind, err)
		}
		if string(once) != string(twice) {
			t.Fatalf("%s: SetDefaults is not idempotent:\nonce:  %s\ntwice: %s", k.Kind, once, twice)
		}
		_ = obj.Validate(ctx, nil)
		old := k.New()
		if _, err := apis.Decode(once, old); err == nil {
			_ = obj.Validate(ctx, old)
		}
	}
}

// CheckTestdata checks that every testdata file matching pattern decodes
// strictly into its kind and is valid after defaulting.
func CheckTestdata(t *testing.T, kinds []apis.Kind, pattern string) {
	t.Helper()
	byKind := map[string]apis.Kind{}
	for _, k := range kinds {
		byKind[k.Kind] = k
	}
	files, _ := filepath.Glob(filepath.Join("testdata", pattern))
	if len(files) == 0 {
		t.Fatal("no testdata")
	}
	ctx := context.Background()
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(name, ".json") {
			if b, err = yaml.YAMLToJSON(b); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		var tm struct{ Kind string }
		if err := json.Unmarshal(b, &tm); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		k, ok := byKind[tm.Kind]
		if !ok {
			t.Fatalf("%s: unknown kind %q", name, tm.Kind)
		}
		obj := k.New()
		strict, err := apis.Decode(b, obj)
		if err != nil || len(strict) > 0 {
			t.Fatalf("%s: Decode() = %v, %v", name, strict, err)
		}
		obj.SetDefaults(ctx)
		if errs := obj.Validate(ctx, nil); len(errs) > 0 {
			t.Errorf("%s: Validate() = %v, want no errors", name, errs)
		}
	}
}
