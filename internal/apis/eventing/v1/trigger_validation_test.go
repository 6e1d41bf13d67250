package v1

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/skiff-sh/skiff/internal/apis"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func validTrigger() *Trigger {
	return &Trigger{
		ObjectMeta: metav1.ObjectMeta{Name: "t", Namespace: "ns"},
		Spec: TriggerSpec{
			Broker: "default",
			Filter: &TriggerFilter{Attributes: TriggerFilterAttributes{"type": "dev.knative.foo", "source": ""}},
			Subscriber: duckv1.Destination{Ref: &duckv1.KReference{
				APIVersion: "serving.knative.dev/v1", Kind: "Service", Name: "svc", Namespace: "ns"}},
		},
	}
}

func TestTriggerValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(tr *Trigger)
		want   []string
	}{
		{"valid", func(*Trigger) {}, nil},
		{"no broker", func(tr *Trigger) { tr.Spec.Broker = "" }, []string{"spec.broker: Required value"}},
		{"no subscriber", func(tr *Trigger) { tr.Spec.Subscriber = duckv1.Destination{} }, []string{"spec.subscriber: Required value"}},
		{"subscriber uri", func(tr *Trigger) {
			u, _ := apis.ParseURL("http://example.com")
			tr.Spec.Subscriber = duckv1.Destination{URI: u}
		}, nil},
		{"bad attribute names", func(tr *Trigger) {
			tr.Spec.Filter.Attributes = TriggerFilterAttributes{"Type": "x", "1abc": "y", "ok1": "z"}
		}, []string{"spec.filter.attributes[1abc]: Invalid value", "spec.filter.attributes[Type]: Invalid value"}},
		{"bad delivery", func(tr *Trigger) {
			tr.Spec.Delivery = &duckv1.DeliverySpec{Timeout: duckv1.String("PT0S")}
		}, []string{"spec.delivery.timeout: Invalid value"}},
		{"bad filters", func(tr *Trigger) {
			tr.Spec.Filters = []SubscriptionsAPIFilter{{Exact: map[string]string{"type": "a", "source": "b"}}}
		}, []string{"spec.filters[0].exact: Invalid value"}},
		{"dependency annotation", func(tr *Trigger) {
			tr.Annotations = map[string]string{DependencyAnnotation: `{"kind":"PingSource","name":"p","apiVersion":"sources.knative.dev/v1"}`}
		}, nil},
		{"dependency annotation not JSON", func(tr *Trigger) {
			tr.Annotations = map[string]string{DependencyAnnotation: `nope`}
		}, []string{"metadata.annotations[knative.dev/dependency]: Invalid value"}},
		{"dependency annotation incomplete", func(tr *Trigger) {
			tr.Annotations = map[string]string{DependencyAnnotation: `{"namespace":"other"}`}
		}, []string{
			"metadata.annotations[knative.dev/dependency].namespace: Invalid value",
			"metadata.annotations[knative.dev/dependency].kind: Required value",
			"metadata.annotations[knative.dev/dependency].name: Required value",
			"metadata.annotations[knative.dev/dependency].apiVersion: Required value",
		}},
		{"injection on default broker", func(tr *Trigger) {
			tr.Annotations = map[string]string{InjectionAnnotation: "enabled"}
		}, nil},
		{"injection bad value", func(tr *Trigger) {
			tr.Annotations = map[string]string{InjectionAnnotation: "yes"}
		}, []string{"metadata.annotations[eventing.knative.dev/injection]: Invalid value"}},
		{"injection on another broker", func(tr *Trigger) {
			tr.Spec.Broker = "other"
			tr.Annotations = map[string]string{InjectionAnnotation: "disabled"}
		}, []string{"metadata.annotations[eventing.knative.dev/injection]: Invalid value"}},
		{"bad name", func(tr *Trigger) { tr.Name = "-t" }, []string{"metadata.name: Invalid value"}},
	}
	for _, tt := range tests {
		tr := validTrigger()
		tt.mutate(tr)
		got := summarize(tr.Validate(ctx, nil))
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: Validate() (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestTriggerValidateUpdate(t *testing.T) {
	old := validTrigger()
	tr := validTrigger()
	tr.Spec.Filter = nil
	tr.Spec.Subscriber.Ref.Name = "other"
	if errs := tr.Validate(ctx, old); len(errs) != 0 {
		t.Errorf("Validate(update of subscriber and filter) = %v, want none", errs)
	}
	tr.Spec.Broker = "other"
	got := summarize(tr.Validate(ctx, old))
	if diff := cmp.Diff([]string{"spec.broker: Forbidden"}, got); diff != "" {
		t.Errorf("Validate(broker changed) (-want +got):\n%s", diff)
	}
}

func TestValidateSubscriptionsAPIFilters(t *testing.T) {
	tests := []struct {
		name    string
		filters []SubscriptionsAPIFilter
		want    []string
	}{
		{"each dialect", []SubscriptionsAPIFilter{
			{Exact: map[string]string{"type": "a"}},
			{Prefix: map[string]string{"source": "/a"}},
			{Suffix: map[string]string{"subject": ".md"}},
			{All: []SubscriptionsAPIFilter{{Exact: map[string]string{"type": "a"}}}},
			{Any: []SubscriptionsAPIFilter{{Exact: map[string]string{"type": "a"}}, {Exact: map[string]string{"type": "b"}}}},
			{Not: &SubscriptionsAPIFilter{Prefix: map[string]string{"type": "x"}}},
			{SQL: "type = 'a'"},
		}, nil},
		{"empty entry and empty maps set no dialect", []SubscriptionsAPIFilter{{}, {Exact: map[string]string{}}}, nil},
		{"two dialects", []SubscriptionsAPIFilter{{Exact: map[string]string{"type": "a"}, SQL: "true"}}, []string{"spec.filters[0]: Invalid value"}},
		{"two keys in prefix", []SubscriptionsAPIFilter{{Prefix: map[string]string{"type": "a", "source": "b"}}}, []string{"spec.filters[0].prefix: Invalid value"}},
		{"two keys in suffix", []SubscriptionsAPIFilter{{Suffix: map[string]string{"type": "a", "source": "b"}}}, []string{"spec.filters[0].suffix: Invalid value"}},
		{"bad key", []SubscriptionsAPIFilter{{Exact: map[string]string{"Type": "a"}}}, []string{"spec.filters[0].exact[Type]: Invalid value"}},
		{"nested all", []SubscriptionsAPIFilter{{All: []SubscriptionsAPIFilter{{}, {Suffix: map[string]string{"a-b": "c"}}}}}, []string{
			"spec.filters[0].all[1].suffix[a-b]: Invalid value"}},
		{"nested any", []SubscriptionsAPIFilter{{Any: []SubscriptionsAPIFilter{{Exact: map[string]string{"a": "1"}, Prefix: map[string]string{"b": "2"}}}}}, []string{
			"spec.filters[0].any[0]: Invalid value"}},
		{"nested not", []SubscriptionsAPIFilter{{Not: &SubscriptionsAPIFilter{Exact: map[string]string{"_": "1"}}}}, []string{
			"spec.filters[0].not.exact[_]: Invalid value"}},
		{"blank cesql", []SubscriptionsAPIFilter{{SQL: "   "}}, []string{"spec.filters[0].cesql: Invalid value"}},
	}
	for _, tt := range tests {
		got := summarize(ValidateSubscriptionsAPIFilters(tt.filters, field.NewPath("spec", "filters")))
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: ValidateSubscriptionsAPIFilters() (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestTriggerExamples(t *testing.T) {
	for _, name := range []string{"trigger-attributes.yaml", "trigger-filters.yaml", "trigger-cesql.yaml"} {
		tr := &Trigger{}
		decodeFile(t, name, tr)
		tr.SetDefaults(ctx)
		if errs := tr.Validate(ctx, nil); len(errs) != 0 {
			t.Errorf("%s: Validate() = %v, want none", name, errs)
		}
		if tr.Labels[BrokerLabelKey] != "default" {
			t.Errorf("%s: broker label = %q, want default", name, tr.Labels[BrokerLabelKey])
		}
	}
}

func TestTriggerDependencyRef(t *testing.T) {
	tr := validTrigger()
	if _, ok, err := tr.DependencyRef(); ok || err != nil {
		t.Errorf("DependencyRef() without annotation = %v, %v; want false, nil", ok, err)
	}
	tr.Annotations = map[string]string{DependencyAnnotation: `{"kind":"PingSource","name":"p","apiVersion":"sources.knative.dev/v1"}`}
	ref, ok, err := tr.DependencyRef()
	want := duckv1.KReference{Kind: "PingSource", Name: "p", APIVersion: "sources.knative.dev/v1"}
	if !ok || err != nil || ref != want {
		t.Errorf("DependencyRef() = %+v, %v, %v; want %+v", ref, ok, err, want)
	}
}
