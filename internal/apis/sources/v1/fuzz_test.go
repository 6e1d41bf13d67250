package v1

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/skiff-sh/skiff/internal/apis"
)

// FuzzDecodeValidate feeds bytes through apis.Decode into every kind, then
// SetDefaults and Validate, checking that nothing panics and that
// defaulting twice changes nothing. The seeds are the Knative docs examples
// in testdata.
func FuzzDecodeValidate(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds: %v", err)
	}
	for _, name := range files {
		f.Add(loadJSON(f, filepath.Base(name)))
	}
	f.Add([]byte(`{"spec":{"schedule":"CRON_TZ=UTC 1-5/2 * * jan-mar *","subject":{"selector":{"matchExpressions":[{"key":"a","operator":"In"}]}},"template":{"spec":{"containers":[{"image":"x"}]}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, k := range Kinds() {
			obj := k.New()
			if _, err := apis.Decode(data, obj); err != nil {
				continue
			}
			obj.SetDefaults(ctx)
			once, err := json.Marshal(obj)
			if err != nil {
				t.Fatalf("%s: marshal: %v", k.Kind, err)
			}
			obj.SetDefaults(ctx)
			twice, _ := json.Marshal(obj)
			if string(once) != string(twice) {
				t.Fatalf("%s: SetDefaults not idempotent:\n%s\n%s", k.Kind, once, twice)
			}
			obj.Validate(ctx, nil)
			old := k.New()
			if _, err := apis.Decode(once, old); err == nil {
				obj.Validate(ctx, old)
			}
		}
	})
}
