package v1

import (
	"time"

	"github.com/skiff-sh/skiff/internal/apis"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
)

// Channel condition types.
const (
	ChannelConditionReady                  = apis.ConditionReady
	ChannelConditionBackingChannelReady    = "BackingChannelReady"
	ChannelConditionAddressable            = "Addressable"
	ChannelConditionDeadLetterSinkResolved = "DeadLetterSinkResolved"
)

var channelCondSet = apis.NewLivingConditionSet(
	ChannelConditionBackingChannelReady,
	ChannelConditionAddressable,
	ChannelConditionDeadLetterSinkResolved,
)

// ConditionSet returns the conditions a Channel's readiness depends on.
func (*Channel) ConditionSet() apis.ConditionSet { return channelCondSet }

// IsReady reports whether the Channel is Ready at its current generation.
func (c *Channel) IsReady() bool {
	return c.Status.ObservedGeneration == c.Generation && c.Status.GetCondition(ChannelConditionReady).IsTrue()
}

func (cs *ChannelStatus) manage(now time.Time) *apis.ConditionManager {
	return channelCondSet.Manage(&cs.Status, now)
}

// GetTopLevelCondition returns the Ready condition.
func (cs *ChannelStatus) GetTopLevelCondition() *apis.Condition {
	return cs.GetCondition(ChannelConditionReady)
}

// InitializeConditions sets every unset condition to Unknown.
func (cs *ChannelStatus) InitializeConditions(now time.Time) { cs.manage(now).InitializeConditions() }

// SetAddress sets the Channel's address and the Addressable condition.
func (cs *ChannelStatus) SetAddress(now time.Time, addr *duckv1.Addressable) {
	cs.Address = addr
	if addr == nil || addr.URL == nil || addr.URL.Host == "" {
		cs.manage(now).MarkFalse(ChannelConditionAddressable, "EmptyHostname", "hostname is the empty string")
		return
	}
	cs.manage(now).MarkTrue(ChannelConditionAddressable)
}

// MarkBackingChannelReady marks the backing channel ready.
func (cs *ChannelStatus) MarkBackingChannelReady(now time.Time) {
	cs.manage(now).MarkTrue(ChannelConditionBackingChannelReady)
}

// MarkBackingChannelFailed marks the backing channel failed.
func (cs *ChannelStatus) MarkBackingChannelFailed(now time.Time, reason, message string) {
	cs.manage(now).MarkFalse(ChannelConditionBackingChannelReady, reason, message)
}

// MarkBackingChannelUnknown marks the backing channel's state unknown.
func (cs *ChannelStatus) MarkBackingChannelUnknown(now time.Time, reason, message string) {
	cs.manage(now).MarkUnknown(ChannelConditionBackingChannelReady, reason, message)
}

// MarkBackingChannelNotConfigured marks the backing channel not yet
// reconciled.
func (cs *ChannelStatus) MarkBackingChannelNotConfigured(now time.Time) {
	cs.MarkBackingChannelUnknown(now, "BackingChannelNotConfigured", "BackingChannel has not yet been reconciled.")
}

// PropagateStatuses copies the backing channel's readiness, address and
// subscriber statuses.
func (cs *ChannelStatus) PropagateStatuses(now time.Time, backing *duckv1.ChannelableStatus) {
	switch c := backing.GetCondition(apis.ConditionReady); {
	case c == nil:
		cs.MarkBackingChannelNotConfigured(now)
	case c.Status == apis.ConditionTrue:
		cs.MarkBackingChannelReady(now)
	case c.Status == apis.ConditionFalse:
		cs.MarkBackingChannelFailed(now, c.Reason, c.Message)
	default:
		cs.MarkBackingChannelUnknown(now, c.Reason, c.Message)
	}
	cs.SetAddress(now, backing.Address)
	cs.SubscribableStatus = backing.SubscribableStatus
}

// MarkDeadLetterSinkResolvedSucceeded records the resolved dead letter sink.
func (cs *ChannelStatus) MarkDeadLetterSinkResolvedSucceeded(now time.Time, ds duckv1.DeliveryStatus) {
	cs.DeliveryStatus = ds
	cs.manage(now).MarkTrue(ChannelConditionDeadLetterSinkResolved)
}

// MarkDeadLetterSinkNotConfigured records that there is no dead letter sink.
func (cs *ChannelStatus) MarkDeadLetterSinkNotConfigured(now time.Time) {
	cs.DeliveryStatus = duckv1.DeliveryStatus{}
	cs.manage(now).MarkTrueWithReason(ChannelConditionDeadLetterSinkResolved,
		"DeadLetterSinkNotConfigured", "No dead letter sink is configured.")
}

// MarkDeadLetterSinkResolvedFailed records that the dead letter sink did
// not resolve.
func (cs *ChannelStatus) MarkDeadLetterSinkResolvedFailed(now time.Time, reason, message string) {
	cs.DeliveryStatus = duckv1.DeliveryStatus{}
	cs.manage(now).MarkFalse(ChannelConditionDeadLetterSinkResolved, reason, message)
}
