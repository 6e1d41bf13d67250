package v1

import (
	"time"

	"github.com/skiff-sh/skiff/internal/apis"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
)

// Trigger condition types.
const (
	TriggerConditionReady                  = apis.ConditionReady
	TriggerConditionBroker                 = "BrokerReady"
	TriggerConditionSubscribed             = "SubscriptionReady"
	TriggerConditionDependency             = "DependencyReady"
	TriggerConditionSubscriberResolved     = "SubscriberResolved"
	TriggerConditionDeadLetterSinkResolved = "DeadLetterSinkResolved"
)

// TriggerAnyFilter is the attribute filter value that matches any value.
const TriggerAnyFilter = ""

var triggerCondSet = apis.NewLivingConditionSet(
	TriggerConditionBroker,
	TriggerConditionSubscribed,
	TriggerConditionDependency,
	TriggerConditionSubscriberResolved,
	TriggerConditionDeadLetterSinkResolved,
)

// ConditionSet returns the conditions a Trigger's readiness depends on.
func (*Trigger) ConditionSet() apis.ConditionSet { return triggerCondSet }

// IsReady reports whether the Trigger is Ready at its current generation.
func (t *Trigger) IsReady() bool {
	return t.Status.ObservedGeneration == t.Generation && t.Status.GetCondition(TriggerConditionReady).IsTrue()
}

func (ts *TriggerStatus) manage(now time.Time) *apis.ConditionManager {
	return triggerCondSet.Manage(&ts.Status, now)
}

// GetTopLevelCondition returns the Ready condition.
func (ts *TriggerStatus) GetTopLevelCondition() *apis.Condition {
	return ts.GetCondition(TriggerConditionReady)
}

// InitializeConditions sets every unset condition to Unknown.
func (ts *TriggerStatus) InitializeConditions(now time.Time) { ts.manage(now).InitializeConditions() }

// propagate copies the state of another object's Ready condition c into
// condition t; a nil c leaves t Unknown with the not-configured reason.
func propagate(m *apis.ConditionManager, t string, c *apis.Condition, notConfiguredReason, notConfiguredMessage string) {
	switch {
	case c == nil:
		m.MarkUnknown(t, notConfiguredReason, notConfiguredMessage)
	case c.Status == apis.ConditionTrue:
		m.MarkTrue(t)
	case c.Status == apis.ConditionFalse:
		m.MarkFalse(t, c.Reason, c.Message)
	default:
		m.MarkUnknown(t, c.Reason, c.Message)
	}
}

// PropagateBrokerCondition follows the Broker's Ready condition bc.
func (ts *TriggerStatus) PropagateBrokerCondition(now time.Time, bc *apis.Condition) {
	propagate(ts.manage(now), TriggerConditionBroker, bc, "BrokerNotConfigured", "Broker has not yet been reconciled.")
}

// MarkBrokerFailed marks the Broker failed.
func (ts *TriggerStatus) MarkBrokerFailed(now time.Time, reason, message string) {
	ts.manage(now).MarkFalse(TriggerConditionBroker, reason, message)
}

// MarkBrokerUnknown marks the Broker's state unknown.
func (ts *TriggerStatus) MarkBrokerUnknown(now time.Time, reason, message string) {
	ts.manage(now).MarkUnknown(TriggerConditionBroker, reason, message)
}

// MarkBrokerNotConfigured marks the Broker not yet reconciled.
func (ts *TriggerStatus) MarkBrokerNotConfigured(now time.Time) {
	ts.MarkBrokerUnknown(now, "BrokerNotConfigured", "Broker has not yet been reconciled.")
}

// PropagateSubscriptionCondition follows the Ready condition sc of the
// Trigger's subscription.
func (ts *TriggerStatus) PropagateSubscriptionCondition(now time.Time, sc *apis.Condition) {
	propagate(ts.manage(now), TriggerConditionSubscribed, sc, "SubscriptionNotConfigured", "Subscription has not yet been reconciled.")
}

// MarkSubscribed marks the Trigger subscribed to its Broker.
func (ts *TriggerStatus) MarkSubscribed(now time.Time) {
	ts.manage(now).MarkTrue(TriggerConditionSubscribed)
}

// MarkNotSubscribed marks the subscription failed.
func (ts *TriggerStatus) MarkNotSubscribed(now time.Time, reason, message string) {
	ts.manage(now).MarkFalse(TriggerConditionSubscribed, reason, message)
}

// MarkSubscribedUnknown marks the subscription's state unknown.
func (ts *TriggerStatus) MarkSubscribedUnknown(now time.Time, reason, message string) {
	ts.manage(now).MarkUnknown(TriggerConditionSubscribed, reason, message)
}

// MarkSubscriberResolvedSucceeded records the resolved subscriber address.
func (ts *TriggerStatus) MarkSubscriberResolvedSucceeded(now time.Time, addr *duckv1.Addressable) {
	if addr != nil {
		ts.SubscriberURI, ts.SubscriberCACerts, ts.SubscriberAudience = addr.URL, addr.CACerts, addr.Audience
	}
	ts.manage(now).MarkTrue(TriggerConditionSubscriberResolved)
}

// MarkSubscriberResolvedFailed records that the subscriber did not resolve.
func (ts *TriggerStatus) MarkSubscriberResolvedFailed(now time.Time, reason, message string) {
	ts.SubscriberURI, ts.SubscriberCACerts, ts.SubscriberAudience = nil, nil, nil
	ts.manage(now).MarkFalse(TriggerConditionSubscriberResolved, reason, message)
}

// MarkSubscriberResolvedUnknown marks the subscriber's resolution unknown.
func (ts *TriggerStatus) MarkSubscriberResolvedUnknown(now time.Time, reason, message string) {
	ts.manage(now).MarkUnknown(TriggerConditionSubscriberResolved, reason, message)
}

// MarkDeadLetterSinkResolvedSucceeded records the resolved dead letter sink.
func (ts *TriggerStatus) MarkDeadLetterSinkResolvedSucceeded(now time.Time, ds duckv1.DeliveryStatus) {
	ts.DeliveryStatus = ds
	ts.manage(now).MarkTrue(TriggerConditionDeadLetterSinkResolved)
}

// MarkDeadLetterSinkNotConfigured records that there is no dead letter sink.
func (ts *TriggerStatus) MarkDeadLetterSinkNotConfigured(now time.Time) {
	ts.DeliveryStatus = duckv1.DeliveryStatus{}
	ts.manage(now).MarkTrueWithReason(TriggerConditionDeadLetterSinkResolved,
		"DeadLetterSinkNotConfigured", "No dead letter sink is configured.")
}

// MarkDeadLetterSinkResolvedFailed records that the dead letter sink did
// not resolve.
func (ts *TriggerStatus) MarkDeadLetterSinkResolvedFailed(now time.Time, reason, message string) {
	ts.DeliveryStatus = duckv1.DeliveryStatus{}
	ts.manage(now).MarkFalse(TriggerConditionDeadLetterSinkResolved, reason, message)
}

// PropagateDependencyStatus follows the Ready condition dc of the source
// named by the dependency annotation.
func (ts *TriggerStatus) PropagateDependencyStatus(now time.Time, dc *apis.Condition) {
	propagate(ts.manage(now), TriggerConditionDependency, dc, "DependencyNotConfigured", "Dependency has not yet been reconciled.")
}

// MarkDependencySucceeded marks the dependency ready, or absent.
func (ts *TriggerStatus) MarkDependencySucceeded(now time.Time) {
	ts.manage(now).MarkTrue(TriggerConditionDependency)
}

// MarkDependencyFailed marks the dependency failed.
func (ts *TriggerStatus) MarkDependencyFailed(now time.Time, reason, message string) {
	ts.manage(now).MarkFalse(TriggerConditionDependency, reason, message)
}

// MarkDependencyUnknown marks the dependency's state unknown.
func (ts *TriggerStatus) MarkDependencyUnknown(now time.Time, reason, message string) {
	ts.manage(now).MarkUnknown(TriggerConditionDependency, reason, message)
}

// MarkDependencyNotConfigured marks the dependency not yet reconciled.
func (ts *TriggerStatus) MarkDependencyNotConfigured(now time.Time) {
	ts.MarkDependencyUnknown(now, "DependencyNotConfigured", "Dependency has not yet been reconciled.")
}
