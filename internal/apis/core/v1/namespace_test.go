package v1

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestNamespaceDefaults(t *testing.T) {
	n := &Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-a"}}
	n.SetDefaults(context.Background())
	if got, want := n.Status.Phase, NamespaceActive; got != want {
		t.Errorf("Status.Phase = %q, want %q", got, want)
	}
	if got, want := n.Labels[LabelMetadataName], "team-a"; got != want {
		t.Errorf("Labels[%s] = %q, want %q", LabelMetadataName, got, want)
	}
}

func TestNamespaceValidate(t *testing.T) {
	tests := []struct {
		name string
		ns   Namespace
		want []string
	}{{
		name: "valid",
		ns:   Namespace{ObjectMeta: metav1.ObjectMeta{Name: "default"}},
	}, {
		name: "valid with finalizer",
		ns:   Namespace{ObjectMeta: metav1.ObjectMeta{Name: "a"}, Spec: NamespaceSpec{Finalizers: []string{"kubernetes"}}},
	}, {
		name: "missing name",
		ns:   Namespace{},
		want: []string{"metadata.name: Required value: name or generateName is required"},
	}, {
		name: "dots are not a DNS label",
		ns:   Namespace{ObjectMeta: metav1.ObjectMeta{Name: "a.b"}},
		want: []string{`metadata.name: Invalid value: "a.b": must not contain dots`},
	}, {
		name: "uppercase",
		ns:   Namespace{ObjectMeta: metav1.ObjectMeta{Name: "Team"}},
		want: []string{`metadata.name: Invalid value: "Team"`},
	}, {
		name: "namespace not allowed",
		ns:   Namespace{ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: "b"}},
		want: []string{"metadata.namespace: Forbidden: not allowed on this type"},
	}, {
		name: "bad label",
		ns:   Namespace{ObjectMeta: metav1.ObjectMeta{Name: "a", Labels: map[string]string{"a b": "c"}}},
		want: []string{"metadata.labels: Invalid value: \"a b\""},
	}, {
		name: "bad finalizer",
		ns:   Namespace{ObjectMeta: metav1.ObjectMeta{Name: "a"}, Spec: NamespaceSpec{Finalizers: []string{"a b"}}},
		want: []string{"spec.finalizers[0]: Invalid value"},
	}, {
		name: "bad phase",
		ns:   Namespace{ObjectMeta: metav1.ObjectMeta{Name: "a"}, Status: NamespaceStatus{Phase: "Gone"}},
		want: []string{`status.phase: Unsupported value: "Gone"`},
	}}
	for _, tc := range tests {
		checkErrs(t, tc.name, tc.ns.Validate(context.Background(), nil), tc.want)
	}
}
