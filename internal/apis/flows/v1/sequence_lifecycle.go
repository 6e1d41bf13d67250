package v1

import (
	"time"

	"github.com/skiff-sh/skiff/internal/apis"
	corev1 "github.com/skiff-sh/skiff/internal/apis/core/v1"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
	messagingv1 "github.com/skiff-sh/skiff/internal/apis/messaging/v1"
)

// Sequence condition types.
const (
	SequenceConditionReady              = apis.ConditionReady
	SequenceConditionChannelsReady      = "ChannelsReady"
	SequenceConditionSubscriptionsReady = "SubscriptionsReady"
	SequenceConditionAddressable        = "Addressable"
)

var sequenceCondSet = apis.NewLivingConditionSet(
	SequenceConditionChannelsReady,
	SequenceConditionSubscriptionsReady,
	SequenceConditionAddressable,
)

// ConditionSet returns the conditions a Sequence's readiness depends on.
func (*Sequence) ConditionSet() apis.ConditionSet { return sequenceCondSet }

// IsReady reports whether the Sequence is Ready at its current generation.
func (s *Sequence) IsReady() bool {
	return s.Status.ObservedGeneration == s.Generation && s.Status.GetCondition(SequenceConditionReady).IsTrue()
}

func (ss *SequenceStatus) manage(now time.Time) *apis.ConditionManager {
	return sequenceCondSet.Manage(&ss.Status, now)
}

// GetTopLevelCondition returns the Ready condition.
func (ss *SequenceStatus) GetTopLevelCondition() *apis.Condition {
	return ss.GetCondition(SequenceConditionReady)
}

// InitializeConditions sets every unset condition to Unknown.
func (ss *SequenceStatus) InitializeConditions(now time.Time) { ss.manage(now).InitializeConditions() }

// PropagateSubscriptionStatuses records the Subscriptions of the steps, in
// order, and marks SubscriptionsReady when all of them are Ready (and there
// is at least one).
func (ss *SequenceStatus) PropagateSubscriptionStatuses(now time.Time, subs []*messagingv1.Subscription) {
	ss.SubscriptionStatuses = make([]SequenceSubscriptionStatus, len(subs))
	ss.Auth = nil
	allReady := len(subs) > 0
	for i, s := range subs {
		st := SequenceSubscriptionStatus{Subscription: subscriptionRef(s)}
		if c := s.Status.GetCondition(apis.ConditionReady); c != nil {
			st.ReadyCondition = *c
			allReady = allReady && c.IsTrue()
		} else {
			st.ReadyCondition = noReady(now, "Subscription does not have Ready condition")
			allReady = false
		}
		ss.SubscriptionStatuses[i] = st
		if a := s.Status.Auth; a != nil && a.ServiceAccountName != nil {
			if ss.Auth == nil {
				ss.Auth = &duckv1.AuthStatus{}
			}
			ss.Auth.ServiceAccountNames = append(ss.Auth.ServiceAccountNames, *a.ServiceAccountName)
		}
	}
	if allReady {
		ss.manage(now).MarkTrue(SequenceConditionSubscriptionsReady)
	} else {
		ss.MarkSubscriptionsNotReady(now, "SubscriptionsNotReady", "Subscriptions are not ready yet, or there are none")
	}
}

// PropagateChannelStatuses records the channels of the steps, in order,
// takes the first channel's address as the Sequence's, and marks
// ChannelsReady when all of them are Ready (and there is at least one).
func (ss *SequenceStatus) PropagateChannelStatuses(now time.Time, channels []*duckv1.Channelable) {
	ss.ChannelStatuses = make([]SequenceChannelStatus, len(channels))
	allReady := len(channels) > 0
	for i, c := range channels {
		if i == 0 {
			ss.setAddress(now, c.Status.Address)
		}
		st := SequenceChannelStatus{Channel: corev1.ObjectReference{
			APIVersion: c.APIVersion, Kind: c.Kind, Name: c.Name, Namespace: c.Namespace}}
		if r := c.Status.GetCondition(apis.ConditionReady); r != nil {
			st.ReadyCondition = *r
			allReady = allReady && r.IsTrue()
		} else {
			st.ReadyCondition = noReady(now, "Channel does not have Ready condition")
			allReady = false
		}
		ss.ChannelStatuses[i] = st
	}
	if allReady {
		ss.manage(now).MarkTrue(SequenceConditionChannelsReady)
	} else {
		ss.MarkChannelsNotReady(now, "ChannelsNotReady", "Channels are not ready yet, or there are none")
	}
}

// MarkChannelsNotReady marks the channels not ready yet.
func (ss *SequenceStatus) MarkChannelsNotReady(now time.Time, reason, message string) {
	ss.manage(now).MarkUnknown(SequenceConditionChannelsReady, reason, message)
}

// MarkSubscriptionsNotReady marks the subscriptions not ready yet.
func (ss *SequenceStatus) MarkSubscriptionsNotReady(now time.Time, reason, message string) {
	ss.manage(now).MarkUnknown(SequenceConditionSubscriptionsReady, reason, message)
}

// MarkAddressableNotReady marks the Sequence without an address yet.
func (ss *SequenceStatus) MarkAddressableNotReady(now time.Time, reason, message string) {
	ss.manage(now).MarkUnknown(SequenceConditionAddressable, reason, message)
}

func (ss *SequenceStatus) setAddress(now time.Time, addr *duckv1.Addressable) {
	if addr == nil || addr.URL == nil {
		ss.Address = duckv1.Addressable{}
		ss.MarkAddressableNotReady(now, "emptyAddress", "addressable is nil")
		return
	}
	ss.Address = duckv1.Addressable{URL: addr.URL, CACerts: addr.CACerts, Audience: addr.Audience}
	ss.manage(now).MarkTrue(SequenceConditionAddressable)
}

// subscriptionRef refers to s, filling in its type when the object lacks
// it.
func subscriptionRef(s *messagingv1.Subscription) corev1.ObjectReference {
	ref := corev1.ObjectReference{APIVersion: s.APIVersion, Kind: s.Kind, Name: s.Name, Namespace: s.Namespace}
	if ref.APIVersion == "" && ref.Kind == "" {
		ref.APIVersion, ref.Kind = messagingv1.GroupName+"/"+messagingv1.Version, "Subscription"
	}
	return ref
}

// noReady is the stand-in condition of an object without a Ready
// condition.
func noReady(now time.Time, message string) apis.Condition {
	c := apis.Condition{Type: apis.ConditionReady, Status: apis.ConditionUnknown, Reason: "NoReady", Message: message}
	c.LastTransitionTime.Time = now.UTC().Truncate(time.Second)
	return c
}
