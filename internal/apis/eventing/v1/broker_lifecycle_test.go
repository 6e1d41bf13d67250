package v1

import (
	"testing"

	"github.com/skiff-sh/skiff/internal/apis"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
)

func TestBrokerLifecycle(t *testing.T) {
	b := &Broker{}
	bs := &b.Status
	bs.InitializeConditions(testNow)
	for _, c := range []string{BrokerConditionReady, BrokerConditionIngress, BrokerConditionTriggerChannel,
		BrokerConditionFilter, BrokerConditionAddressable, BrokerConditionDeadLetterSinkResolved} {
		if got := bs.GetCondition(c); got == nil || got.Status != apis.ConditionUnknown {
			t.Fatalf("InitializeConditions: %s = %+v, want Unknown", c, got)
		}
	}
	bs.MarkIngressReady(testNow)
	bs.MarkTriggerChannelReady(testNow)
	bs.MarkFilterReady(testNow)
	bs.MarkDeadLetterSinkNotConfigured(testNow)
	if b.IsReady() {
		t.Fatal("IsReady() = true before the address is set")
	}
	u, _ := apis.ParseURL("http://broker-ingress.knative-eventing.svc.cluster.local/ns/default")
	bs.SetAddress(testNow, &duckv1.Addressable{URL: u})
	if !b.IsReady() {
		t.Fatalf("IsReady() = false with every condition True: %+v", bs.Conditions)
	}
	if got := *bs.Address.Name; got != "http" {
		t.Errorf("SetAddress: name = %q, want http", got)
	}
	if c := bs.GetCondition(BrokerConditionDeadLetterSinkResolved); c.Reason != "DeadLetterSinkNotConfigured" {
		t.Errorf("MarkDeadLetterSinkNotConfigured: reason = %q", c.Reason)
	}

	b.Generation = 2
	if b.IsReady() {
		t.Error("IsReady() = true with a stale observedGeneration")
	}
	b.Status.ObservedGeneration = 2

	steps := []struct {
		name string
		do   func()
		want apis.ConditionStatus
	}{
		{"filter failed", func() { bs.MarkFilterFailed(testNow, "Down", "filter down") }, apis.ConditionFalse},
		{"filter back", func() { bs.MarkFilterReady(testNow) }, apis.ConditionTrue},
		{"ingress unknown", func() { bs.MarkIngressUnknown(testNow, "Starting", "") }, apis.ConditionUnknown},
		{"ingress failed", func() { bs.MarkIngressFailed(testNow, "Down", "") }, apis.ConditionFalse},
		{"ingress back", func() { bs.MarkIngressReady(testNow) }, apis.ConditionTrue},
		{"channel unknown", func() { bs.MarkTriggerChannelUnknown(testNow, "Wait", "") }, apis.ConditionUnknown},
		{"channel failed", func() { bs.MarkTriggerChannelFailed(testNow, "Down", "") }, apis.ConditionFalse},
		{"channel back", func() { bs.MarkTriggerChannelReady(testNow) }, apis.ConditionTrue},
		{"filter unknown", func() { bs.MarkFilterUnknown(testNow, "Wait", "") }, apis.ConditionUnknown},
		{"filter ready", func() { bs.MarkFilterReady(testNow) }, apis.ConditionTrue},
		{"no address", func() { bs.SetAddress(testNow, nil) }, apis.ConditionFalse},
		{"address", func() { bs.SetAddress(testNow, &duckv1.Addressable{URL: u}) }, apis.ConditionTrue},
		{"dls failed", func() { bs.MarkDeadLetterSinkResolvedFailed(testNow, "NotFound", "") }, apis.ConditionFalse},
		{"dls resolved", func() {
			bs.MarkDeadLetterSinkResolvedSucceeded(testNow, duckv1.DeliveryStatus{DeadLetterSinkURI: u})
		}, apis.ConditionTrue},
	}
	for _, s := range steps {
		s.do()
		if got := bs.GetTopLevelCondition().Status; got != s.want {
			t.Errorf("%s: Ready = %s, want %s", s.name, got, s.want)
		}
	}
	if bs.DeadLetterSinkURI != u {
		t.Errorf("MarkDeadLetterSinkResolvedSucceeded: deadLetterSinkUri = %v, want %v", bs.DeadLetterSinkURI, u)
	}
	if b.ConditionSet().Happy != apis.ConditionReady {
		t.Errorf("ConditionSet().Happy = %q", b.ConditionSet().Happy)
	}
}
