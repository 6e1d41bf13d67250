package v1

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestKinds(t *testing.T) {
	type summary struct {
		Plural     string
		ShortNames []string
		Namespaced bool
		HasStatus  bool
		Columns    []string
	}
	var got []summary
	for _, k := range Kinds() {
		if k.GroupVersion() != "v1" || k.New() == nil {
			t.Errorf("%s: GroupVersion() = %q, New() = %v", k.Kind, k.GroupVersion(), k.New())
		}
		s := summary{Plural: k.Plural, ShortNames: k.ShortNames, Namespaced: k.Namespaced, HasStatus: k.HasStatus}
		for _, c := range k.Columns {
			s.Columns = append(s.Columns, c.Name)
		}
		got = append(got, s)
	}
	want := []summary{
		{Plural: "namespaces", ShortNames: []string{"ns"}, HasStatus: true, Columns: []string{"Status", "Age"}},
		{Plural: "configmaps", ShortNames: []string{"cm"}, Namespaced: true, Columns: []string{"Age"}},
		{Plural: "secrets", Namespaced: true, Columns: []string{"Type", "Age"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Kinds() (-want +got):\n%s", diff)
	}
}
