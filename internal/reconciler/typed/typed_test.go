package typed

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "github.com/skiff-sh/skiff/internal/apis/core/v1"
	servingv1 "github.com/skiff-sh/skiff/internal/apis/serving/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

func TestCloneIsDeep(t *testing.T) {
	cc := int64(3)
	orig := &servingv1.Revision{
		ObjectMeta: metav1.ObjectMeta{Name: "r", Labels: map[string]string{"a": "1"}},
		Spec:       servingv1.RevisionSpec{ContainerConcurrency: &cc},
	}
	orig.Spec.Containers = []corev1.Container{{Image: "/bin/true", Args: []string{"a"}}}
	got := Clone(orig)
	if got == orig {
		t.Fatal("Clone(pointer) returned the same pointer")
	}
	if diff := cmp.Diff(orig, got); diff != "" {
		t.Errorf("Clone() differs (-orig +clone):\n%s", diff)
	}
	got.Labels["a"] = "changed"
	*got.Spec.ContainerConcurrency = 9
	if orig.Labels["a"] != "1" {
		t.Errorf("Clone shares the labels map: orig label a = %q, want %q", orig.Labels["a"], "1")
	}
	got.Spec.Containers[0].Args[0] = "b"
	if orig.Spec.Containers[0].Args[0] != "a" {
		t.Errorf("Clone shares slices: orig args = %v, want [a]", orig.Spec.Containers[0].Args)
	}
	if *orig.Spec.ContainerConcurrency != 3 {
		t.Errorf("Clone shares pointers: orig containerConcurrency = %d, want 3", *orig.Spec.ContainerConcurrency)
	}

	// Values too.
	st := servingv1.RevisionStatus{}
	st.Annotations = map[string]string{"k": "v"}
	st2 := Clone(st)
	st2.Annotations["k"] = "w"
	if st.Annotations["k"] != "v" {
		t.Errorf("Clone(value) shares maps: annotation k = %q, want %q", st.Annotations["k"], "v")
	}

	// A nil pointer clones to nil.
	var nilRev *servingv1.Revision
	if c := Clone(nilRev); c != nil {
		t.Errorf("Clone(nil) = %+v, want nil", c)
	}
}

func TestClonePanicsOnUnencodable(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Clone(chan) did not panic")
		}
	}()
	Clone(make(chan int))
}

func TestEqual(t *testing.T) {
	one, two := int64(1), int64(2)
	tests := []struct {
		name string
		a, b any
		want bool
	}{
		{"same maps, different insertion", map[string]string{"a": "1", "b": "2"}, map[string]string{"b": "2", "a": "1"}, true},
		{"different values", map[string]string{"a": "1"}, map[string]string{"a": "2"}, false},
		{"nil and empty map encode differently", map[string]string(nil), map[string]string{}, false},
		{"pointers compared by value", &servingv1.RevisionSpec{ContainerConcurrency: &one}, &servingv1.RevisionSpec{ContainerConcurrency: &one}, true},
		{"pointed-to values differ", &servingv1.RevisionSpec{ContainerConcurrency: &one}, &servingv1.RevisionSpec{ContainerConcurrency: &two}, false},
		{"omitempty fields ignored", servingv1.RevisionStatus{}, servingv1.RevisionStatus{ContainerStatuses: []servingv1.ContainerStatus{}}, true},
		{"unencodable is never equal", make(chan int), make(chan int), false},
		{"both nil", nil, nil, true},
	}
	for _, tt := range tests {
		if got := Equal(tt.a, tt.b); got != tt.want {
			t.Errorf("%s: Equal(%v, %v) = %t, want %t", tt.name, tt.a, tt.b, got, tt.want)
		}
	}
}

func TestOwnerReference(t *testing.T) {
	cfg := &servingv1.Configuration{ObjectMeta: metav1.ObjectMeta{Name: "hello", Namespace: "default", UID: "uid-1"}}
	got := OwnerReference(cfg, "serving.knative.dev/v1", "Configuration")
	tr := true
	want := metav1.OwnerReference{
		APIVersion: "serving.knative.dev/v1", Kind: "Configuration", Name: "hello", UID: "uid-1",
		Controller: &tr, BlockOwnerDeletion: &tr,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("OwnerReference() (-want +got):\n%s", diff)
	}
}

func TestIsControlledBy(t *testing.T) {
	owner := &servingv1.Configuration{ObjectMeta: metav1.ObjectMeta{Name: "hello", UID: "owner"}}
	tr, f := true, false
	ref := func(uid types.UID, controller *bool) metav1.OwnerReference {
		return metav1.OwnerReference{APIVersion: "serving.knative.dev/v1", Kind: "Configuration", Name: "hello", UID: uid, Controller: controller}
	}
	tests := []struct {
		name string
		refs []metav1.OwnerReference
		want bool
	}{
		{"no owner references", nil, false},
		{"controller reference to owner", []metav1.OwnerReference{ref("owner", &tr)}, true},
		{"built by OwnerReference", []metav1.OwnerReference{OwnerReference(owner, "serving.knative.dev/v1", "Configuration")}, true},
		{"controller reference to another object", []metav1.OwnerReference{ref("other", &tr)}, false},
		{"non-controller reference to owner", []metav1.OwnerReference{ref("owner", &f)}, false},
		{"reference without controller field", []metav1.OwnerReference{ref("owner", nil)}, false},
		{"plain reference then controller to owner", []metav1.OwnerReference{ref("other", nil), ref("owner", &tr)}, true},
		{"first controller decides", []metav1.OwnerReference{ref("other", &tr), ref("owner", &tr)}, false},
	}
	for _, tt := range tests {
		obj := &servingv1.Revision{ObjectMeta: metav1.ObjectMeta{Name: "hello-00001", OwnerReferences: tt.refs}}
		if got := IsControlledBy(obj, owner); got != tt.want {
			t.Errorf("%s: IsControlledBy(%v) = %t, want %t", tt.name, tt.refs, got, tt.want)
		}
	}
}

func TestKey(t *testing.T) {
	got := Key("serving.knative.dev", "revisions", "ns", "r")
	if got.Group != "serving.knative.dev" || got.Resource != "revisions" || got.Namespace != "ns" || got.Name != "r" {
		t.Errorf("Key() = %+v", got)
	}
}
