package v1

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/skiff-sh/skiff/internal/apis"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"
)

// FuzzDecodeValidate feeds bytes through apis.Decode into each duck type,
// then SetDefaults and the validation helpers, checking that nothing panics
// and that defaulting twice changes nothing. The seeds are the Knative docs
// snippets in testdata.
func FuzzDecodeValidate(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds: %v", err)
	}
	for _, name := range files {
		y, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		j, err := yaml.YAMLToJSON(y)
		if err != nil {
			f.Fatalf("%s: %v", name, err)
		}
		f.Add(j)
	}
	path := field.NewPath("spec")
	f.Fuzz(func(t *testing.T, data []byte) {
		idempotent := func(name string, v any, setDefaults func()) {
			setDefaults()
			once, _ := json.Marshal(v)
			setDefaults()
			twice, _ := json.Marshal(v)
			if string(once) != string(twice) {
				t.Fatalf("%s: SetDefaults not idempotent:\n%s\n%s", name, once, twice)
			}
		}
		var d DeliverySpec
		if _, err := apis.Decode(data, &d); err == nil {
			idempotent("DeliverySpec", &d, func() { d.SetDefaults("ns") })
			ValidateDeliverySpec(&d, path)
		}
		var dest Destination
		if _, err := apis.Decode(data, &dest); err == nil {
			idempotent("Destination", &dest, func() { dest.SetDefaults("ns") })
			ValidateDestination(dest, path)
		}
		var s SourceSpec
		if _, err := apis.Decode(data, &s); err == nil {
			idempotent("SourceSpec", &s, func() { s.Sink.SetDefaults("ns") })
			ValidateSourceSpec(&s, path)
		}
		var r TrackerReference
		if _, err := apis.Decode(data, &r); err == nil {
			ValidateTrackerReference(&r, path)
		}
	})
}
