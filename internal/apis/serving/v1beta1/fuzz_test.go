package v1beta1

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/skiff-sh/skiff/internal/apis"
)

// FuzzDecodeValidate feeds bytes through decoding, defaulting and validation
// of every kind: none may panic, and defaulting must be idempotent.
func FuzzDecodeValidate(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, k := range Kinds() {
			obj := k.New()
			if _, err := apis.Decode(data, obj); err != nil {
				continue
			}
			obj.SetDefaults(ctx)
			once, err := json.Marshal(obj)
			if err != nil {
				t.Fatalf("%s: marshal after SetDefaults: %v", k.Kind, err)
			}
			_ = obj.Validate(ctx, nil)
			_ = obj.Validate(ctx, obj)
			obj.SetDefaults(ctx)
			twice, err := json.Marshal(obj)
			if err != nil {
				t.Fatalf("%s: marshal after second SetDefaults: %v", k.Kind, err)
			}
			if !bytes.Equal(once, twice) {
				t.Errorf("%s: SetDefaults is not idempotent:\nonce:  %s\ntwice: %s", k.Kind, once, twice)
			}
		}
	})
}

// TestTestdata checks that every seed file decodes strictly and is valid
// after defaulting.
func TestTestdata(t *testing.T) {
	kinds := map[string]apis.Kind{}
	for _, k := range Kinds() {
		kinds[k.Kind] = k
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	if len(files) == 0 {
		t.Fatal("no testdata")
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var tm struct{ Kind string }
		if err := json.Unmarshal(b, &tm); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		k, ok := kinds[tm.Kind]
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
