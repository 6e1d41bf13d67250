package v1

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/skiff-sh/skiff/internal/apis"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
	eventingv1 "github.com/skiff-sh/skiff/internal/apis/eventing/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func validAPIServerSource() *ApiServerSource {
	return &ApiServerSource{
		ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: "ns"},
		Spec: ApiServerSourceSpec{
			SourceSpec:         duckv1.SourceSpec{Sink: sinkRef("ns")},
			Resources:          []APIVersionKindSelector{{APIVersion: "v1", Kind: "Event"}},
			EventMode:          ReferenceMode,
			ServiceAccountName: "default",
		},
	}
}

func TestApiServerSourceSetDefaults(t *testing.T) {
	s := &ApiServerSource{ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: "ns"}, Spec: ApiServerSourceSpec{
		SourceSpec: duckv1.SourceSpec{Sink: sinkRef("")}, Resources: []APIVersionKindSelector{{APIVersion: "v1", Kind: "Event"}}}}
	s.SetDefaults(ctx)
	if diff := cmp.Diff(validAPIServerSource(), s); diff != "" {
		t.Errorf("SetDefaults() (-want +got):\n%s", diff)
	}
	s.Spec.EventMode, s.Spec.ServiceAccountName = ResourceMode, "sa"
	s.SetDefaults(ctx)
	if s.Spec.EventMode != ResourceMode || s.Spec.ServiceAccountName != "sa" {
		t.Errorf("SetDefaults() overwrote mode or service account: %+v", s.Spec)
	}
}

func TestApiServerSourceValidate(t *testing.T) {
	badSelector := &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "a", Operator: "Bogus"}}}
	tests := []struct {
		name   string
		mutate func(s *ApiServerSource)
		want   []string
	}{
		{"valid", func(*ApiServerSource) {}, nil},
		{"resource mode with owner and selectors", func(s *ApiServerSource) {
			s.Spec.EventMode = ResourceMode
			s.Spec.ResourceOwner = &APIVersionKind{APIVersion: "apps/v1", Kind: "Deployment"}
			s.Spec.Resources[0].LabelSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"a": "b"}}
			s.Spec.NamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"env": "test"}}
		}, nil},
		{"bad mode", func(s *ApiServerSource) { s.Spec.EventMode = "Full" }, []string{"spec.mode: Unsupported value"}},
		{"no resources", func(s *ApiServerSource) { s.Spec.Resources = nil }, []string{"spec.resources: Required value"}},
		{"bad resource", func(s *ApiServerSource) {
			s.Spec.Resources = append(s.Spec.Resources, APIVersionKindSelector{APIVersion: "a/b/c", Kind: " "})
		}, []string{"spec.resources[1].apiVersion: Invalid value", "spec.resources[1].kind: Required value"}},
		{"bad resource selector", func(s *ApiServerSource) { s.Spec.Resources[0].LabelSelector = badSelector }, []string{
			"spec.resources[0].selector: Invalid value"}},
		{"bad owner", func(s *ApiServerSource) { s.Spec.ResourceOwner = &APIVersionKind{APIVersion: "x/y/z"} }, []string{
			"spec.owner.apiVersion: Invalid value", "spec.owner.kind: Required value"}},
		{"bad namespace selector", func(s *ApiServerSource) { s.Spec.NamespaceSelector = badSelector }, []string{
			"spec.namespaceSelector: Invalid value"}},
		{"bad filters", func(s *ApiServerSource) {
			s.Spec.Filters = []eventingv1.SubscriptionsAPIFilter{{Exact: map[string]string{"a": "1", "b": "2"}}}
		}, []string{"spec.filters[0].exact: Invalid value"}},
		{"no sink", func(s *ApiServerSource) { s.Spec.Sink = duckv1.Destination{} }, []string{"spec.sink: Required value"}},
	}
	for _, tt := range tests {
		s := validAPIServerSource()
		tt.mutate(s)
		got := summarize(s.Validate(ctx, nil))
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: Validate() (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestApiServerSourceLifecycle(t *testing.T) {
	a := &ApiServerSource{}
	s := &a.Status
	s.InitializeConditions(testNow)
	u, _ := apis.ParseURL("http://display")
	s.MarkSink(testNow, &duckv1.Addressable{URL: u})
	s.MarkDeployed(testNow)
	s.MarkSufficientPermissions(testNow)
	s.MarkOIDCIdentityCreatedSucceededWithReason(testNow, "Disabled", "authentication-oidc feature disabled")
	if !a.IsReady() {
		t.Fatalf("IsReady() = false: %+v", s.Conditions)
	}
	steps := []struct {
		name string
		do   func()
		want apis.ConditionStatus
	}{
		{"no permissions", func() { s.MarkNoSufficientPermissions(testNow, "Forbidden", "") }, apis.ConditionFalse},
		{"permissions", func() { s.MarkSufficientPermissions(testNow) }, apis.ConditionTrue},
		{"oidc failed", func() { s.MarkOIDCIdentityCreatedFailed(testNow, "X", "") }, apis.ConditionFalse},
		{"oidc created", func() { s.MarkOIDCIdentityCreatedSucceeded(testNow) }, apis.ConditionTrue},
		{"deploy unknown", func() { s.MarkDeployedUnknown(testNow, "Wait", "") }, apis.ConditionUnknown},
		{"not deployed", func() { s.MarkNotDeployed(testNow, "Down", "") }, apis.ConditionFalse},
		{"deployed", func() { s.MarkDeployed(testNow) }, apis.ConditionTrue},
		{"no sink", func() { s.MarkNoSink(testNow, "NotFound", "") }, apis.ConditionFalse},
		{"sink", func() { s.MarkSink(testNow, &duckv1.Addressable{URL: u}) }, apis.ConditionTrue},
	}
	for _, st := range steps {
		st.do()
		if got := s.GetTopLevelCondition().Status; got != st.want {
			t.Errorf("%s: Ready = %s, want %s", st.name, got, st.want)
		}
	}
	if a.ConditionSet().Happy != apis.ConditionReady {
		t.Errorf("ConditionSet().Happy = %q", a.ConditionSet().Happy)
	}
}
