package v1

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/skiff-sh/skiff/internal/apis"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestBrokerSetDefaults(t *testing.T) {
	exponential := duckv1.BackoffPolicyExponential
	linear := duckv1.BackoffPolicyLinear
	defaultConfig := &duckv1.KReference{APIVersion: "v1", Kind: "ConfigMap", Name: "config-br-default-channel", Namespace: "knative-eventing"}
	defaultDelivery := &duckv1.DeliverySpec{Retry: duckv1.Int32(10), BackoffPolicy: &exponential, BackoffDelay: duckv1.String("PT0.2S")}
	tests := []struct {
		name string
		cfg  *apis.Config
		in   Broker
		want Broker
	}{{
		name: "empty broker gets class, config and delivery",
		in:   Broker{ObjectMeta: metav1.ObjectMeta{Name: "b", Namespace: "ns"}},
		want: Broker{
			ObjectMeta: metav1.ObjectMeta{Name: "b", Namespace: "ns", Annotations: map[string]string{BrokerClassAnnotationKey: "MTChannelBasedBroker"}},
			Spec:       BrokerSpec{Config: defaultConfig, Delivery: defaultDelivery},
		},
	}, {
		name: "own config and delivery kept, namespaces filled in",
		in: Broker{
			ObjectMeta: metav1.ObjectMeta{Name: "b", Namespace: "ns"},
			Spec: BrokerSpec{
				Config:   &duckv1.KReference{APIVersion: "v1", Kind: "ConfigMap", Name: "mine"},
				Delivery: &duckv1.DeliverySpec{BackoffPolicy: &linear, DeadLetterSink: &duckv1.Destination{Ref: &duckv1.KReference{Kind: "Service", Name: "dls", APIVersion: "v1"}}},
			},
		},
		want: Broker{
			ObjectMeta: metav1.ObjectMeta{Name: "b", Namespace: "ns", Annotations: map[string]string{BrokerClassAnnotationKey: "MTChannelBasedBroker"}},
			Spec: BrokerSpec{
				Config:   &duckv1.KReference{APIVersion: "v1", Kind: "ConfigMap", Name: "mine", Namespace: "ns"},
				Delivery: &duckv1.DeliverySpec{BackoffPolicy: &linear, DeadLetterSink: &duckv1.Destination{Ref: &duckv1.KReference{Kind: "Service", Name: "dls", APIVersion: "v1", Namespace: "ns"}}},
			},
		},
	}, {
		name: "another class gets no channel config",
		in:   Broker{ObjectMeta: metav1.ObjectMeta{Name: "b", Namespace: "ns", Annotations: map[string]string{BrokerClassAnnotationKey: "Kafka"}}},
		want: Broker{ObjectMeta: metav1.ObjectMeta{Name: "b", Namespace: "ns", Annotations: map[string]string{BrokerClassAnnotationKey: "Kafka"}}},
	}, {
		name: "configured defaults",
		cfg: &apis.Config{
			DefaultBrokerClass:    "Skiff",
			DefaultBrokerConfig:   apis.ObjectRef{APIVersion: "v1", Kind: "ConfigMap", Name: "c"},
			DefaultBrokerDelivery: &apis.DeliveryDefaults{Retry: 2},
		},
		in: Broker{ObjectMeta: metav1.ObjectMeta{Name: "b", Namespace: "ns"}},
		want: Broker{
			ObjectMeta: metav1.ObjectMeta{Name: "b", Namespace: "ns", Annotations: map[string]string{BrokerClassAnnotationKey: "Skiff"}},
			Spec: BrokerSpec{
				Config:   &duckv1.KReference{APIVersion: "v1", Kind: "ConfigMap", Name: "c", Namespace: "ns"},
				Delivery: &duckv1.DeliverySpec{Retry: duckv1.Int32(2)},
			},
		},
	}, {
		name: "no defaults configured",
		cfg:  &apis.Config{},
		in:   Broker{ObjectMeta: metav1.ObjectMeta{Name: "b", Namespace: "ns"}},
		want: Broker{ObjectMeta: metav1.ObjectMeta{Name: "b", Namespace: "ns"}},
	}}
	for _, tt := range tests {
		c := ctx
		if tt.cfg != nil {
			c = apis.WithConfig(ctx, tt.cfg)
		}
		got := tt.in
		got.SetDefaults(c)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: SetDefaults() (-want +got):\n%s", tt.name, diff)
		}
		again := clone(t, &got)
		again.SetDefaults(c)
		if diff := cmp.Diff(&got, again); diff != "" {
			t.Errorf("%s: SetDefaults() not idempotent (-once +twice):\n%s", tt.name, diff)
		}
	}
}
