package v1

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func TestValidateTrackerReference(t *testing.T) {
	sel := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "x"}}
	bad := &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: "Near"}}}
	tests := []struct {
		name string
		r    TrackerReference
		want []string
	}{
		{"by name", TrackerReference{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "ns", Name: "d"}, nil},
		{"by selector", TrackerReference{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "ns", Selector: sel}, nil},
		{"empty", TrackerReference{}, []string{
			"spec.subject.apiVersion: Required value", "spec.subject.kind: Required value",
			"spec.subject.namespace: Required value", "spec.subject: Required value"}},
		{"both", TrackerReference{APIVersion: "v1", Kind: "Pod", Namespace: "ns", Name: "p", Selector: sel}, []string{"spec.subject: Invalid value"}},
		{"bad selector", TrackerReference{APIVersion: "v1", Kind: "Pod", Namespace: "ns", Selector: bad}, []string{"spec.subject.selector: Invalid value"}},
		{"bad name", TrackerReference{APIVersion: "v1", Kind: "Pod", Namespace: "ns", Name: "a.b"}, []string{"spec.subject.name: Invalid value"}},
		{"bad kind", TrackerReference{APIVersion: "v1", Kind: "Pod-x", Namespace: "ns", Name: "a"}, []string{"spec.subject.kind: Invalid value"}},
		{"bad apiVersion", TrackerReference{APIVersion: "a/b/c", Kind: "Pod", Namespace: "ns", Name: "a"}, []string{"spec.subject.apiVersion: Invalid value"}},
		{"bad namespace", TrackerReference{APIVersion: "v1", Kind: "Pod", Namespace: "NS", Name: "a"}, []string{"spec.subject.namespace: Invalid value"}},
	}
	for _, tt := range tests {
		got := summarize(ValidateTrackerReference(&tt.r, field.NewPath("spec", "subject")))
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: ValidateTrackerReference() (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestValidateKReferenceNil(t *testing.T) {
	got := summarize(ValidateKReference(nil, field.NewPath("spec", "config")))
	want := []string{"spec.config.name: Required value", "spec.config.apiVersion: Required value", "spec.config.kind: Required value"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ValidateKReference(nil) (-want +got):\n%s", diff)
	}
}

func TestValidateObjectMeta(t *testing.T) {
	tests := []struct {
		name, generateName string
		label              bool
		want               []string
	}{
		{"good", "", false, nil},
		{"a.b", "", false, nil},
		{"a.b", "", true, []string{"metadata.name: Invalid value"}},
		{"Bad", "", false, []string{"metadata.name: Invalid value"}},
		{"", "", false, []string{"metadata.name: Required value"}},
		{"", "gen-", false, []string{"metadata.name: Required value"}}, // the API server generates the name first
		{"", "Bad-", false, []string{"metadata.generateName: Invalid value", "metadata.name: Required value"}},
	}
	for _, tt := range tests {
		m := &metav1.ObjectMeta{Name: tt.name, GenerateName: tt.generateName}
		got := summarize(ValidateObjectMeta(m, tt.label))
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ValidateObjectMeta(%q, label=%v) (-want +got):\n%s", tt.name, tt.label, diff)
		}
	}
}

func TestCheckImmutable(t *testing.T) {
	p := field.NewPath("spec", "broker")
	if errs := CheckImmutable(p, "a", "a"); errs != nil {
		t.Errorf("CheckImmutable(equal) = %v, want none", errs)
	}
	errs := CheckImmutable(p, "a", "b")
	if got, want := errs.ToAggregate().Error(), `spec.broker: Forbidden: Immutable fields changed (-old +new): -"a" +"b"`; got != want {
		t.Errorf("CheckImmutable(a, b) = %q, want %q", got, want)
	}
	if errs := CheckImmutable(p, (*KReference)(nil), (*KReference)(nil)); errs != nil {
		t.Errorf("CheckImmutable(nil, nil) = %v, want none", errs)
	}
}
