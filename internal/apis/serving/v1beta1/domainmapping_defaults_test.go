package v1beta1

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestDomainMappingDefaults(t *testing.T) {
	tests := []struct {
		name, ns, ref, want string
	}{
		{name: "namespace from the mapping", ns: "default", want: "default"},
		{name: "explicit namespace kept", ns: "default", ref: "other", want: "other"},
		{name: "no namespace yet", want: ""},
	}
	for _, tc := range tests {
		dm := &DomainMapping{ObjectMeta: metav1.ObjectMeta{Name: "example.org", Namespace: tc.ns}}
		dm.Spec.Ref.Namespace = tc.ref
		dm.SetDefaults(ctx)
		if got := dm.Spec.Ref.Namespace; got != tc.want {
			t.Errorf("%s: Ref.Namespace = %q, want %q", tc.name, got, tc.want)
		}
	}
}
