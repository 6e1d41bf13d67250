package v1

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func TestValidateCloudEventOverrides(t *testing.T) {
	tests := []struct {
		name string
		ext  map[string]string
		want []string
	}{
		{"valid", map[string]string{"foo": "bar", "abc123": "x"}, nil},
		{"empty key", map[string]string{"": "x"}, []string{"spec.ceOverrides.extensions[]: Invalid value"}},
		{"upper case", map[string]string{"Foo": "x"}, []string{"spec.ceOverrides.extensions[Foo]: Invalid value"}},
		{"dash", map[string]string{"foo-bar": "x"}, []string{"spec.ceOverrides.extensions[foo-bar]: Invalid value"}},
		{"reserved", map[string]string{"type": "x", "id": "y"}, []string{
			"spec.ceOverrides.extensions[id]: Invalid value", "spec.ceOverrides.extensions[type]: Invalid value"}},
	}
	for _, tt := range tests {
		o := &CloudEventOverrides{Extensions: tt.ext}
		got := summarize(ValidateCloudEventOverrides(o, field.NewPath("spec", "ceOverrides")))
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: ValidateCloudEventOverrides() (-want +got):\n%s", tt.name, diff)
		}
	}
	if errs := ValidateCloudEventOverrides(nil, field.NewPath("x")); errs != nil {
		t.Errorf("ValidateCloudEventOverrides(nil) = %v, want none", errs)
	}
}

func TestValidateSourceSpec(t *testing.T) {
	tests := []struct {
		name string
		s    SourceSpec
		want []string
	}{
		{"valid", SourceSpec{Sink: Destination{URI: mustURL(t, "http://sink")}}, nil},
		{"no sink", SourceSpec{}, []string{"spec.sink: Required value"}},
		{"bad override", SourceSpec{
			Sink:                Destination{URI: mustURL(t, "http://sink")},
			CloudEventOverrides: &CloudEventOverrides{Extensions: map[string]string{"A": "b"}},
		}, []string{"spec.ceOverrides.extensions[A]: Invalid value"}},
	}
	for _, tt := range tests {
		got := summarize(ValidateSourceSpec(&tt.s, field.NewPath("spec")))
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: ValidateSourceSpec() (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestIsCloudEventsAttributeName(t *testing.T) {
	for name, want := range map[string]bool{"a": true, "abc09": true, "": false, "A": false, "a_b": false, "é": false} {
		if got := IsCloudEventsAttributeName(name); got != want {
			t.Errorf("IsCloudEventsAttributeName(%q) = %v, want %v", name, got, want)
		}
	}
}
