package v1

import (
	"slices"
	"testing"
)

func TestKinds(t *testing.T) {
	want := map[string][]string{
		"services":       {"kservice", "ksvc"},
		"configurations": {"config", "cfg"},
		"revisions":      {"rev"},
		"routes":         {"rt"},
	}
	for _, k := range Kinds() {
		short, ok := want[k.Plural]
		if !ok {
			t.Errorf("unexpected kind %s", k.Plural)
			continue
		}
		if !slices.Equal(k.ShortNames, short) {
			t.Errorf("%s: ShortNames = %v, want %v", k.Plural, k.ShortNames, short)
		}
		if k.GroupVersion() != "serving.knative.dev/v1" || !k.Namespaced || !k.HasStatus {
			t.Errorf("%s: %s namespaced=%v status=%v", k.Plural, k.GroupVersion(), k.Namespaced, k.HasStatus)
		}
		if !slices.Equal(k.Categories, []string{"all", "knative", "serving"}) {
			t.Errorf("%s: Categories = %v", k.Plural, k.Categories)
		}
		if k.New() == nil {
			t.Errorf("%s: New() = nil", k.Plural)
		}
		delete(want, k.Plural)
	}
	if len(want) > 0 {
		t.Errorf("missing kinds %v", want)
	}
}
