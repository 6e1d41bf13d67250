package v1

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/skiff-sh/skiff/internal/apis"
	corev1 "github.com/skiff-sh/skiff/internal/apis/core/v1"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func validContainerSource() *ContainerSource {
	return &ContainerSource{
		ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "ns"},
		Spec: ContainerSourceSpec{
			SourceSpec: duckv1.SourceSpec{Sink: sinkRef("ns")},
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{
				{Name: "heartbeats", Image: "example.com/heartbeats"}}}},
		},
	}
}

func TestContainerSourceSetDefaults(t *testing.T) {
	s := validContainerSource()
	s.Spec.Sink = sinkRef("")
	s.Spec.Template.Spec.Containers = append(s.Spec.Template.Spec.Containers, corev1.Container{Image: "b"})
	s.SetDefaults(ctx)
	want := validContainerSource()
	want.Spec.Template.Spec.Containers = append(want.Spec.Template.Spec.Containers, corev1.Container{Name: "c-1", Image: "b"})
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("SetDefaults() (-want +got):\n%s", diff)
	}
}

func TestContainerSourceValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(s *ContainerSource)
		want   []string
	}{
		{"valid", func(*ContainerSource) {}, nil},
		{"no containers", func(s *ContainerSource) { s.Spec.Template.Spec.Containers = nil }, []string{
			"spec.template.spec.containers: Required value"}},
		{"container without name and image", func(s *ContainerSource) {
			s.Spec.Template.Spec.Containers = append(s.Spec.Template.Spec.Containers, corev1.Container{})
		}, []string{"spec.template.spec.containers[1].name: Required value", "spec.template.spec.containers[1].image: Required value"}},
		{"no sink", func(s *ContainerSource) { s.Spec.Sink = duckv1.Destination{} }, []string{"spec.sink: Required value"}},
	}
	for _, tt := range tests {
		s := validContainerSource()
		tt.mutate(s)
		got := summarize(s.Validate(ctx, nil))
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: Validate() (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestContainerSourceLifecycle(t *testing.T) {
	c := &ContainerSource{}
	s := &c.Status
	s.InitializeConditions(testNow)
	s.ObservedGeneration = 3
	u, _ := apis.ParseURL("http://display")
	sb := &SinkBindingStatus{}
	sb.InitializeConditions(testNow)
	sb.MarkSink(testNow, &duckv1.Addressable{URL: u})
	sb.MarkBindingAvailable(testNow)
	sb.ObservedGeneration = 7
	s.PropagateSinkBindingStatus(testNow, sb)
	s.MarkReceiveAdapterReady(testNow)
	if got := s.GetTopLevelCondition().Status; got != apis.ConditionTrue {
		t.Fatalf("Ready = %s, want True: %+v", got, s.Conditions)
	}
	if s.SinkURI != u || s.ObservedGeneration != 3 || s.GetCondition(SinkBindingConditionSinkProvided) != nil {
		t.Errorf("PropagateSinkBindingStatus copied the wrong fields: %+v", s)
	}
	c.Generation = 3
	if !c.IsReady() {
		t.Error("IsReady() = false")
	}
	steps := []struct {
		name string
		do   func()
		want apis.ConditionStatus
	}{
		{"binding without Ready", func() { s.PropagateSinkBindingStatus(testNow, &SinkBindingStatus{}) }, apis.ConditionUnknown},
		{"binding unknown", func() {
			u := &SinkBindingStatus{}
			u.InitializeConditions(testNow)
			s.PropagateSinkBindingStatus(testNow, u)
		}, apis.ConditionUnknown},
		{"binding unavailable", func() {
			sb.MarkBindingUnavailable(testNow, "NoSubject", "")
			s.PropagateSinkBindingStatus(testNow, sb)
		}, apis.ConditionFalse},
		{"binding back", func() {
			sb.MarkBindingAvailable(testNow)
			s.PropagateSinkBindingStatus(testNow, sb)
		}, apis.ConditionTrue},
		{"adapter unknown", func() { s.MarkReceiveAdapterUnknown(testNow, "Starting", "") }, apis.ConditionUnknown},
		{"adapter failed", func() { s.MarkReceiveAdapterFailed(testNow, "CrashLoop", "") }, apis.ConditionFalse},
		{"adapter ready", func() { s.MarkReceiveAdapterReady(testNow) }, apis.ConditionTrue},
	}
	for _, st := range steps {
		st.do()
		if got := s.GetTopLevelCondition().Status; got != st.want {
			t.Errorf("%s: Ready = %s, want %s", st.name, got, st.want)
		}
	}
	if c.ConditionSet().Happy != apis.ConditionReady {
		t.Errorf("ConditionSet().Happy = %q", c.ConditionSet().Happy)
	}
}
