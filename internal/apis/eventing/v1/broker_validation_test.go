package v1

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/skiff-sh/skiff/internal/apis"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func validBroker() *Broker {
	return &Broker{
		ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: "ns", Annotations: map[string]string{BrokerClassAnnotationKey: "MTChannelBasedBroker"}},
		Spec: BrokerSpec{
			Config: &duckv1.KReference{APIVersion: "v1", Kind: "ConfigMap", Name: "cfg", Namespace: "knative-eventing"},
		},
	}
}

func TestBrokerValidate(t *testing.T) {
	bogus := duckv1.BackoffPolicyType("never")
	tests := []struct {
		name   string
		mutate func(b *Broker)
		want   []string
	}{
		{"valid", func(*Broker) {}, nil},
		{"no config", func(b *Broker) { b.Spec.Config = nil }, nil},
		{"no class", func(b *Broker) { b.Annotations = nil }, []string{
			"metadata.annotations[eventing.knative.dev/broker.class]: Required value"}},
		{"bad name", func(b *Broker) { b.Name = "Bad_Name" }, []string{"metadata.name: Invalid value"}},
		{"subdomain name", func(b *Broker) { b.Name = "a.b" }, nil},
		{"config without kind", func(b *Broker) { b.Spec.Config.Kind = "" }, []string{"spec.config.kind: Required value"}},
		{"bad delivery", func(b *Broker) {
			b.Spec.Delivery = &duckv1.DeliverySpec{Retry: duckv1.Int32(-2), BackoffPolicy: &bogus}
		}, []string{"spec.delivery.retry: Invalid value", "spec.delivery.backoffPolicy: Unsupported value"}},
		{"docs interval as backoffDelay", func(b *Broker) {
			b.Spec.Delivery = &duckv1.DeliverySpec{BackoffDelay: duckv1.String("2007-03-01T13:00:00Z/P1Y2M10DT2H30M")}
		}, []string{"spec.delivery.backoffDelay: Invalid value"}},
	}
	for _, tt := range tests {
		b := validBroker()
		tt.mutate(b)
		got := summarize(b.Validate(ctx, nil))
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: Validate() (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestBrokerValidateUpdate(t *testing.T) {
	linear := duckv1.BackoffPolicyLinear
	tests := []struct {
		name   string
		mutate func(b *Broker)
		want   []string
	}{
		{"unchanged", func(*Broker) {}, nil},
		{"delivery may change", func(b *Broker) { b.Spec.Delivery = &duckv1.DeliverySpec{BackoffPolicy: &linear} }, nil},
		{"labels may change", func(b *Broker) { b.Labels = map[string]string{"a": "b"} }, nil},
		{"config is immutable", func(b *Broker) { b.Spec.Config.Name = "other" }, []string{"spec.config: Forbidden"}},
		{"class is immutable", func(b *Broker) { b.Annotations[BrokerClassAnnotationKey] = "Kafka" }, []string{
			"metadata.annotations[eventing.knative.dev/broker.class]: Forbidden"}},
	}
	for _, tt := range tests {
		old := validBroker()
		b := validBroker()
		tt.mutate(b)
		got := summarize(b.Validate(ctx, old))
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: Validate(update) (-want +got):\n%s", tt.name, diff)
		}
	}
	// Another kind as old is not an update of a Broker.
	var other apis.Object = &Trigger{}
	if errs := validBroker().Validate(ctx, other); len(errs) != 0 {
		t.Errorf("Validate(old Trigger) = %v, want none", errs)
	}
}

func TestBrokerExamples(t *testing.T) {
	for _, name := range []string{"broker.yaml", "broker-minimal.yaml"} {
		b := &Broker{}
		decodeFile(t, name, b)
		b.SetDefaults(ctx)
		if errs := b.Validate(ctx, nil); len(errs) != 0 {
			t.Errorf("%s: Validate() = %v, want none", name, errs)
		}
	}
}
