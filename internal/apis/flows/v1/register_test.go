package v1

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestKinds(t *testing.T) {
	type summary struct {
		Kind, Plural, Singular string
		ShortNames, Categories []string
		Columns                []string
	}
	var got []summary
	for _, k := range Kinds() {
		if k.Group != GroupName || k.Version != "v1" || !k.Namespaced || !k.HasStatus || k.ListKind != k.Kind+"List" {
			t.Errorf("%s: unexpected descriptor %+v", k.Kind, k)
		}
		if obj := k.New(); obj == nil {
			t.Errorf("%s: New() = nil", k.Kind)
		}
		s := summary{Kind: k.Kind, Plural: k.Plural, Singular: k.Singular, ShortNames: k.ShortNames, Categories: k.Categories}
		for _, c := range k.Columns {
			s.Columns = append(s.Columns, c.Name+"="+c.JSONPath)
		}
		got = append(got, s)
	}
	columns := []string{"URL=.status.address.url", "Age=.metadata.creationTimestamp",
		"Ready=.status.conditions[?(@.type=='Ready')].status", "Reason=.status.conditions[?(@.type=='Ready')].reason"}
	categories := []string{"all", "knative", "flows"}
	want := []summary{
		{"Sequence", "sequences", "sequence", nil, categories, columns},
		{"Parallel", "parallels", "parallel", nil, categories, columns},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Kinds() (-want +got):\n%s", diff)
	}
}
