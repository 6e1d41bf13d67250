package v1

import (
	"testing"

	"github.com/skiff-sh/skiff/internal/apis"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
)

func TestTriggerLifecycle(t *testing.T) {
	tr := &Trigger{}
	ts := &tr.Status
	ts.InitializeConditions(testNow)
	if got := ts.GetTopLevelCondition(); got == nil || got.Status != apis.ConditionUnknown {
		t.Fatalf("InitializeConditions: Ready = %+v, want Unknown", got)
	}
	u, _ := apis.ParseURL("http://svc.ns.svc.cluster.local")
	ts.PropagateBrokerCondition(testNow, &apis.Condition{Type: apis.ConditionReady, Status: apis.ConditionTrue})
	ts.PropagateSubscriptionCondition(testNow, &apis.Condition{Type: apis.ConditionReady, Status: apis.ConditionTrue})
	ts.MarkDependencySucceeded(testNow)
	ts.MarkSubscriberResolvedSucceeded(testNow, &duckv1.Addressable{URL: u})
	ts.MarkDeadLetterSinkNotConfigured(testNow)
	if !tr.IsReady() {
		t.Fatalf("IsReady() = false with every condition True: %+v", ts.Conditions)
	}
	if ts.SubscriberURI != u {
		t.Errorf("subscriberUri = %v, want %v", ts.SubscriberURI, u)
	}

	steps := []struct {
		name      string
		do        func()
		condition string
		want      apis.ConditionStatus
		reason    string
	}{
		{"broker missing", func() { ts.PropagateBrokerCondition(testNow, nil) }, TriggerConditionBroker, apis.ConditionUnknown, "BrokerNotConfigured"},
		{"broker failed", func() {
			ts.PropagateBrokerCondition(testNow, &apis.Condition{Status: apis.ConditionFalse, Reason: "Bad"})
		}, TriggerConditionBroker, apis.ConditionFalse, "Bad"},
		{"broker unknown", func() {
			ts.PropagateBrokerCondition(testNow, &apis.Condition{Status: apis.ConditionUnknown, Reason: "Wait"})
		}, TriggerConditionBroker, apis.ConditionUnknown, "Wait"},
		{"broker marked failed", func() { ts.MarkBrokerFailed(testNow, "Gone", "") }, TriggerConditionBroker, apis.ConditionFalse, "Gone"},
		{"broker not configured", func() { ts.MarkBrokerNotConfigured(testNow) }, TriggerConditionBroker, apis.ConditionUnknown, "BrokerNotConfigured"},
		{"subscription missing", func() { ts.PropagateSubscriptionCondition(testNow, nil) }, TriggerConditionSubscribed, apis.ConditionUnknown, "SubscriptionNotConfigured"},
		{"not subscribed", func() { ts.MarkNotSubscribed(testNow, "No", "") }, TriggerConditionSubscribed, apis.ConditionFalse, "No"},
		{"subscribed unknown", func() { ts.MarkSubscribedUnknown(testNow, "Hm", "") }, TriggerConditionSubscribed, apis.ConditionUnknown, "Hm"},
		{"subscribed", func() { ts.MarkSubscribed(testNow) }, TriggerConditionSubscribed, apis.ConditionTrue, ""},
		{"subscriber failed", func() { ts.MarkSubscriberResolvedFailed(testNow, "NotFound", "") }, TriggerConditionSubscriberResolved, apis.ConditionFalse, "NotFound"},
		{"subscriber unknown", func() { ts.MarkSubscriberResolvedUnknown(testNow, "Wait", "") }, TriggerConditionSubscriberResolved, apis.ConditionUnknown, "Wait"},
		{"dls failed", func() { ts.MarkDeadLetterSinkResolvedFailed(testNow, "NotFound", "") }, TriggerConditionDeadLetterSinkResolved, apis.ConditionFalse, "NotFound"},
		{"dls resolved", func() {
			ts.MarkDeadLetterSinkResolvedSucceeded(testNow, duckv1.DeliveryStatus{DeadLetterSinkURI: u})
		}, TriggerConditionDeadLetterSinkResolved, apis.ConditionTrue, ""},
		{"dependency failed", func() { ts.MarkDependencyFailed(testNow, "Bad", "") }, TriggerConditionDependency, apis.ConditionFalse, "Bad"},
		{"dependency unknown", func() { ts.MarkDependencyUnknown(testNow, "Wait", "") }, TriggerConditionDependency, apis.ConditionUnknown, "Wait"},
		{"dependency not configured", func() { ts.MarkDependencyNotConfigured(testNow) }, TriggerConditionDependency, apis.ConditionUnknown, "DependencyNotConfigured"},
		{"dependency propagated", func() {
			ts.PropagateDependencyStatus(testNow, &apis.Condition{Status: apis.ConditionTrue})
		}, TriggerConditionDependency, apis.ConditionTrue, ""},
	}
	for _, s := range steps {
		s.do()
		c := ts.GetCondition(s.condition)
		if c == nil || c.Status != s.want || c.Reason != s.reason {
			t.Errorf("%s: %s = %+v, want %s/%q", s.name, s.condition, c, s.want, s.reason)
		}
	}
	if ts.SubscriberURI != nil {
		t.Errorf("MarkSubscriberResolvedFailed left subscriberUri %v", ts.SubscriberURI)
	}
	if tr.ConditionSet().Happy != apis.ConditionReady {
		t.Errorf("ConditionSet().Happy = %q", tr.ConditionSet().Happy)
	}
}
