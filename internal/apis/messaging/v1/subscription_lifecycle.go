package v1

import (
	"time"

	"github.com/skiff-sh/skiff/internal/apis"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
)

// Subscription condition types.
const (
	SubscriptionConditionReady              = apis.ConditionReady
	SubscriptionConditionReferencesResolved = "ReferencesResolved"
	SubscriptionConditionAddedToChannel     = "AddedToChannel"
	SubscriptionConditionChannelReady       = "ChannelReady"
)

var subscriptionCondSet = apis.NewLivingConditionSet(
	SubscriptionConditionReferencesResolved,
	SubscriptionConditionAddedToChannel,
	SubscriptionConditionChannelReady,
)

// ConditionSet returns the conditions a Subscription's readiness depends
// on.
func (*Subscription) ConditionSet() apis.ConditionSet { return subscriptionCondSet }

// IsReady reports whether the Subscription is Ready at its current
// generation.
func (s *Subscription) IsReady() bool {
	return s.Status.ObservedGeneration == s.Generation && s.Status.GetCondition(SubscriptionConditionReady).IsTrue()
}

func (ss *SubscriptionStatus) manage(now time.Time) *apis.ConditionManager {
	return subscriptionCondSet.Manage(&ss.Status, now)
}

// GetTopLevelCondition returns the Ready condition.
func (ss *SubscriptionStatus) GetTopLevelCondition() *apis.Condition {
	return ss.GetCondition(SubscriptionConditionReady)
}

// InitializeConditions sets every unset condition to Unknown.
func (ss *SubscriptionStatus) InitializeConditions(now time.Time) {
	ss.manage(now).InitializeConditions()
}

// IsAddedToChannel reports whether the channel lists the subscriber.
func (ss *SubscriptionStatus) IsAddedToChannel() bool {
	return ss.GetCondition(SubscriptionConditionAddedToChannel).IsTrue()
}

// AreReferencesResolved reports whether every destination resolved.
func (ss *SubscriptionStatus) AreReferencesResolved() bool {
	return ss.GetCondition(SubscriptionConditionReferencesResolved).IsTrue()
}

// MarkReferencesResolved marks every destination resolved.
func (ss *SubscriptionStatus) MarkReferencesResolved(now time.Time) {
	ss.manage(now).MarkTrue(SubscriptionConditionReferencesResolved)
}

// MarkReferencesNotResolved marks a destination unresolvable.
func (ss *SubscriptionStatus) MarkReferencesNotResolved(now time.Time, reason, message string) {
	ss.manage(now).MarkFalse(SubscriptionConditionReferencesResolved, reason, message)
}

// MarkReferencesResolvedUnknown marks the resolution unknown.
func (ss *SubscriptionStatus) MarkReferencesResolvedUnknown(now time.Time, reason, message string) {
	ss.manage(now).MarkUnknown(SubscriptionConditionReferencesResolved, reason, message)
}

// MarkAddedToChannel marks the subscriber listed on the channel.
func (ss *SubscriptionStatus) MarkAddedToChannel(now time.Time) {
	ss.manage(now).MarkTrue(SubscriptionConditionAddedToChannel)
}

// MarkNotAddedToChannel marks the subscriber not listed on the channel.
func (ss *SubscriptionStatus) MarkNotAddedToChannel(now time.Time, reason, message string) {
	ss.manage(now).MarkFalse(SubscriptionConditionAddedToChannel, reason, message)
}

// MarkChannelReady marks the channel ready for this subscriber.
func (ss *SubscriptionStatus) MarkChannelReady(now time.Time) {
	ss.manage(now).MarkTrue(SubscriptionConditionChannelReady)
}

// MarkChannelFailed marks the channel failed for this subscriber.
func (ss *SubscriptionStatus) MarkChannelFailed(now time.Time, reason, message string) {
	ss.manage(now).MarkFalse(SubscriptionConditionChannelReady, reason, message)
}

// MarkChannelUnknown marks the channel's state unknown.
func (ss *SubscriptionStatus) MarkChannelUnknown(now time.Time, reason, message string) {
	ss.manage(now).MarkUnknown(SubscriptionConditionChannelReady, reason, message)
}

// SetPhysicalSubscription records the resolved subscriber, reply and dead
// letter sink; nil addresses clear their fields.
func (ss *SubscriptionStatus) SetPhysicalSubscription(subscriber, reply *duckv1.Addressable, ds duckv1.DeliveryStatus) {
	p := SubscriptionStatusPhysicalSubscription{DeliveryStatus: ds}
	if subscriber != nil {
		p.SubscriberURI, p.SubscriberCACerts, p.SubscriberAudience = subscriber.URL, subscriber.CACerts, subscriber.Audience
	}
	if reply != nil {
		p.ReplyURI, p.ReplyCACerts, p.ReplyAudience = reply.URL, reply.CACerts, reply.Audience
	}
	ss.PhysicalSubscription = p
}
