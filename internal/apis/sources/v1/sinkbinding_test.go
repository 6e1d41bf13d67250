package v1

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/skiff-sh/skiff/internal/apis"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func validSinkBinding() *SinkBinding {
	return &SinkBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "b", Namespace: "ns"},
		Spec: SinkBindingSpec{
			SourceSpec:  duckv1.SourceSpec{Sink: sinkRef("ns")},
			BindingSpec: duckv1.BindingSpec{Subject: duckv1.TrackerReference{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "ns", Name: "d"}},
		},
	}
}

func TestSinkBindingSetDefaults(t *testing.T) {
	b := validSinkBinding()
	b.Spec.Subject.Namespace = ""
	b.Spec.Sink = sinkRef("")
	b.SetDefaults(ctx)
	if diff := cmp.Diff(validSinkBinding(), b); diff != "" {
		t.Errorf("SetDefaults() (-want +got):\n%s", diff)
	}
}

func TestSinkBindingValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(b *SinkBinding)
		want   []string
	}{
		{"valid", func(*SinkBinding) {}, nil},
		{"selector", func(b *SinkBinding) {
			b.Spec.Subject.Name = ""
			b.Spec.Subject.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "x"}}
		}, nil},
		{"other namespace", func(b *SinkBinding) { b.Spec.Subject.Namespace = "other" }, []string{"spec.subject.namespace: Invalid value"}},
		{"no subject", func(b *SinkBinding) { b.Spec.Subject = duckv1.TrackerReference{Namespace: "ns"} }, []string{
			"spec.subject.apiVersion: Required value", "spec.subject.kind: Required value", "spec.subject: Required value"}},
		{"no sink", func(b *SinkBinding) { b.Spec.Sink = duckv1.Destination{} }, []string{"spec.sink: Required value"}},
	}
	for _, tt := range tests {
		b := validSinkBinding()
		tt.mutate(b)
		got := summarize(b.Validate(ctx, nil))
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: Validate() (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestSinkBindingLifecycle(t *testing.T) {
	b := &SinkBinding{}
	s := &b.Status
	s.InitializeConditions(testNow)
	u, _ := apis.ParseURL("http://display")
	s.MarkSink(testNow, &duckv1.Addressable{URL: u})
	s.MarkOIDCIdentityCreatedSucceededWithReason(testNow, "Disabled", "")
	s.MarkOIDCTokenSecretCreatedSucceededWithReason(testNow, "Disabled", "")
	if !b.IsReady() {
		t.Fatalf("IsReady() = false: %+v", s.Conditions)
	}
	steps := []struct {
		name string
		do   func()
		want apis.ConditionStatus
	}{
		{"unavailable", func() { s.MarkBindingUnavailable(testNow, "SubjectMissing", "") }, apis.ConditionFalse},
		{"available", func() { s.MarkBindingAvailable(testNow) }, apis.ConditionTrue},
		{"oidc failed", func() { s.MarkOIDCIdentityCreatedFailed(testNow, "X", "") }, apis.ConditionFalse},
		{"oidc", func() { s.MarkOIDCIdentityCreatedSucceeded(testNow) }, apis.ConditionTrue},
		{"token failed", func() { s.MarkOIDCTokenSecretCreatedFailed(testNow, "X", "") }, apis.ConditionFalse},
		{"token", func() { s.MarkOIDCTokenSecretCreatedSucceeded(testNow) }, apis.ConditionTrue},
		{"sink empty", func() { s.MarkSink(testNow, nil) }, apis.ConditionFalse},
	}
	for _, st := range steps {
		st.do()
		if got := s.GetTopLevelCondition().Status; got != st.want {
			t.Errorf("%s: Ready = %s, want %s", st.name, got, st.want)
		}
	}
	if b.ConditionSet().Happy != apis.ConditionReady {
		t.Errorf("ConditionSet().Happy = %q", b.ConditionSet().Happy)
	}
}
