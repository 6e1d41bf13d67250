package v1

import (
	"time"

	"github.com/skiff-sh/skiff/internal/apis"
	corev1 "github.com/skiff-sh/skiff/internal/apis/core/v1"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
	messagingv1 "github.com/skiff-sh/skiff/internal/apis/messaging/v1"
)

// Parallel condition types.
const (
	ParallelConditionReady              = apis.ConditionReady
	ParallelConditionChannelsReady      = "ChannelsReady"
	ParallelConditionSubscriptionsReady = "SubscriptionsReady"
	ParallelConditionAddressable        = "Addressable"
)

var parallelCondSet = apis.NewLivingConditionSet(
	ParallelConditionChannelsReady,
	ParallelConditionSubscriptionsReady,
	ParallelConditionAddressable,
)

// ConditionSet returns the conditions a Parallel's readiness depends on.
func (*Parallel) ConditionSet() apis.ConditionSet { return parallelCondSet }

// IsReady reports whether the Parallel is Ready at its current generation.
func (p *Parallel) IsReady() bool {
	return p.Status.ObservedGeneration == p.Generation && p.Status.GetCondition(ParallelConditionReady).IsTrue()
}

func (ps *ParallelStatus) manage(now time.Time) *apis.ConditionManager {
	return parallelCondSet.Manage(&ps.Status, now)
}

// GetTopLevelCondition returns the Ready condition.
func (ps *ParallelStatus) GetTopLevelCondition() *apis.Condition {
	return ps.GetCondition(ParallelConditionReady)
}

// InitializeConditions sets every unset condition to Unknown.
func (ps *ParallelStatus) InitializeConditions(now time.Time) { ps.manage(now).InitializeConditions() }

// PropagateSubscriptionStatuses records each branch's filter and subscriber
// Subscriptions (filterSubs[i] and subs[i] belong to branch i) and marks
// SubscriptionsReady when all are Ready (and there is at least one branch).
func (ps *ParallelStatus) PropagateSubscriptionStatuses(now time.Time, filterSubs, subs []*messagingv1.Subscription) {
	if len(ps.BranchStatuses) != len(subs) {
		ps.BranchStatuses = make([]ParallelBranchStatus, len(subs))
	}
	ps.Auth = nil
	allReady := len(subs) > 0
	record := func(s *messagingv1.Subscription) ParallelSubscriptionStatus {
		st := ParallelSubscriptionStatus{Subscription: subscriptionRef(s)}
		if c := s.Status.GetCondition(apis.ConditionReady); c != nil {
			st.ReadyCondition = *c
			allReady = allReady && c.IsTrue()
		} else {
			allReady = false
		}
		if a := s.Status.Auth; a != nil && a.ServiceAccountName != nil {
			if ps.Auth == nil {
				ps.Auth = &duckv1.AuthStatus{}
			}
			ps.Auth.ServiceAccountNames = append(ps.Auth.ServiceAccountNames, *a.ServiceAccountName)
		}
		return st
	}
	for i, s := range subs {
		if i < len(filterSubs) && filterSubs[i] != nil {
			ps.BranchStatuses[i].FilterSubscriptionStatus = record(filterSubs[i])
		} else {
			allReady = false
		}
		ps.BranchStatuses[i].SubscriptionStatus = record(s)
	}
	if allReady {
		ps.manage(now).MarkTrue(ParallelConditionSubscriptionsReady)
	} else {
		ps.MarkSubscriptionsNotReady(now, "SubscriptionsNotReady", "Subscriptions are not ready yet, or there are none")
	}
}

// PropagateChannelStatuses records the ingress channel, whose address
// becomes the Parallel's, and each branch's filter channel, and marks
// ChannelsReady when all of them are addressable.
func (ps *ParallelStatus) PropagateChannelStatuses(now time.Time, ingress *duckv1.Channelable, channels []*duckv1.Channelable) {
	if len(ps.BranchStatuses) != len(channels) {
		ps.BranchStatuses = make([]ParallelBranchStatus, len(channels))
	}
	allReady := true
	ps.IngressChannelStatus = channelStatus(ingress)
	if !ps.IngressChannelStatus.ReadyCondition.IsTrue() {
		allReady = false
	}
	ps.setAddress(now, ingress.Status.Address)
	for i, c := range channels {
		ps.BranchStatuses[i].FilterChannelStatus = channelStatus(c)
		if !ps.BranchStatuses[i].FilterChannelStatus.ReadyCondition.IsTrue() {
			allReady = false
		}
	}
	if allReady {
		ps.manage(now).MarkTrue(ParallelConditionChannelsReady)
	} else {
		ps.MarkChannelsNotReady(now, "ChannelsNotReady", "Channels are not ready yet, or there are none")
	}
}

// channelStatus reports a channel ready once it has an address, as Knative
// does.
func channelStatus(c *duckv1.Channelable) ParallelChannelStatus {
	st := ParallelChannelStatus{Channel: corev1.ObjectReference{
		APIVersion: c.APIVersion, Kind: c.Kind, Name: c.Name, Namespace: c.Namespace}}
	if c.Status.Address != nil {
		st.ReadyCondition = apis.Condition{Type: apis.ConditionReady, Status: apis.ConditionTrue}
	} else {
		st.ReadyCondition = apis.Condition{Type: apis.ConditionReady, Status: apis.ConditionFalse,
			Reason: "NotAddressable", Message: "Channel is not addressable"}
	}
	return st
}

// MarkChannelsNotReady marks the channels not ready.
func (ps *ParallelStatus) MarkChannelsNotReady(now time.Time, reason, message string) {
	ps.manage(now).MarkFalse(ParallelConditionChannelsReady, reason, message)
}

// MarkSubscriptionsNotReady marks the subscriptions not ready.
func (ps *ParallelStatus) MarkSubscriptionsNotReady(now time.Time, reason, message string) {
	ps.manage(now).MarkFalse(ParallelConditionSubscriptionsReady, reason, message)
}

// MarkAddressableNotReady marks the Parallel without an address.
func (ps *ParallelStatus) MarkAddressableNotReady(now time.Time, reason, message string) {
	ps.manage(now).MarkFalse(ParallelConditionAddressable, reason, message)
}

func (ps *ParallelStatus) setAddress(now time.Time, addr *duckv1.Addressable) {
	ps.Address = addr
	if addr == nil {
		ps.MarkAddressableNotReady(now, "emptyAddress", "addressable is nil")
		return
	}
	ps.manage(now).MarkTrue(ParallelConditionAddressable)
}
