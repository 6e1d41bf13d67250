package v1

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestTriggerSetDefaults(t *testing.T) {
	ref := func(ns string) *duckv1.KReference {
		return &duckv1.KReference{APIVersion: "serving.knative.dev/v1", Kind: "Service", Name: "svc", Namespace: ns}
	}
	tests := []struct {
		name string
		in   Trigger
		want Trigger
	}{{
		name: "filter, namespaces and label",
		in: Trigger{
			ObjectMeta: metav1.ObjectMeta{Name: "t", Namespace: "ns"},
			Spec: TriggerSpec{
				Broker:     "default",
				Subscriber: duckv1.Destination{Ref: ref("")},
				Delivery:   &duckv1.DeliverySpec{DeadLetterSink: &duckv1.Destination{Ref: ref("")}},
			},
		},
		want: Trigger{
			ObjectMeta: metav1.ObjectMeta{Name: "t", Namespace: "ns", Labels: map[string]string{BrokerLabelKey: "default"}},
			Spec: TriggerSpec{
				Broker:     "default",
				Filter:     &TriggerFilter{},
				Subscriber: duckv1.Destination{Ref: ref("ns")},
				Delivery:   &duckv1.DeliverySpec{DeadLetterSink: &duckv1.Destination{Ref: ref("ns")}},
			},
		},
	}, {
		name: "label follows spec.broker, other labels and filter kept",
		in: Trigger{
			ObjectMeta: metav1.ObjectMeta{Name: "t", Namespace: "ns", Labels: map[string]string{BrokerLabelKey: "stale", "app": "x"}},
			Spec: TriggerSpec{
				Broker: "b",
				Filter: &TriggerFilter{Attributes: TriggerFilterAttributes{"type": "x"}},
			},
		},
		want: Trigger{
			ObjectMeta: metav1.ObjectMeta{Name: "t", Namespace: "ns", Labels: map[string]string{BrokerLabelKey: "b", "app": "x"}},
			Spec: TriggerSpec{
				Broker: "b",
				Filter: &TriggerFilter{Attributes: TriggerFilterAttributes{"type": "x"}},
			},
		},
	}, {
		name: "no broker, no label",
		in:   Trigger{ObjectMeta: metav1.ObjectMeta{Name: "t"}},
		want: Trigger{ObjectMeta: metav1.ObjectMeta{Name: "t"}, Spec: TriggerSpec{Filter: &TriggerFilter{}}},
	}}
	for _, tt := range tests {
		got := tt.in
		got.SetDefaults(ctx)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: SetDefaults() (-want +got):\n%s", tt.name, diff)
		}
		again := clone(t, &got)
		again.SetDefaults(ctx)
		if diff := cmp.Diff(&got, again); diff != "" {
			t.Errorf("%s: SetDefaults() not idempotent (-once +twice):\n%s", tt.name, diff)
		}
	}
}
