package v1beta1

import (
	"slices"
	"testing"
)

func TestKinds(t *testing.T) {
	ks := Kinds()
	if len(ks) != 1 {
		t.Fatalf("Kinds() = %d kinds, want 1", len(ks))
	}
	k := ks[0]
	if k.GroupVersion() != "serving.knative.dev/v1beta1" || k.Plural != "domainmappings" || !slices.Equal(k.ShortNames, []string{"dm"}) {
		t.Errorf("Kinds()[0] = %s %s %v", k.GroupVersion(), k.Plural, k.ShortNames)
	}
	if !k.Namespaced || !k.HasStatus || k.New() == nil {
		t.Errorf("Kinds()[0] namespaced=%v status=%v", k.Namespaced, k.HasStatus)
	}
}
