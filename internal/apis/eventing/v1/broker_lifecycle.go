package v1

import (
	"time"

	"github.com/skiff-sh/skiff/internal/apis"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
)

// Broker condition types.
const (
	BrokerConditionReady                  = apis.ConditionReady
	BrokerConditionIngress                = "IngressReady"
	BrokerConditionTriggerChannel         = "TriggerChannelReady"
	BrokerConditionFilter                 = "FilterReady"
	BrokerConditionAddressable            = "Addressable"
	BrokerConditionDeadLetterSinkResolved = "DeadLetterSinkResolved"
)

var brokerCondSet = apis.NewLivingConditionSet(
	BrokerConditionIngress,
	BrokerConditionTriggerChannel,
	BrokerConditionFilter,
	BrokerConditionAddressable,
	BrokerConditionDeadLetterSinkResolved,
)

// ConditionSet returns the conditions a Broker's readiness depends on.
func (*Broker) ConditionSet() apis.ConditionSet { return brokerCondSet }

// IsReady reports whether the Broker is Ready at its current generation.
func (b *Broker) IsReady() bool {
	return b.Status.ObservedGeneration == b.Generation && b.Status.GetCondition(BrokerConditionReady).IsTrue()
}

func (bs *BrokerStatus) manage(now time.Time) *apis.ConditionManager {
	return brokerCondSet.Manage(&bs.Status, now)
}

// GetTopLevelCondition returns the Ready condition.
func (bs *BrokerStatus) GetTopLevelCondition() *apis.Condition {
	return bs.GetCondition(BrokerConditionReady)
}

// InitializeConditions sets every unset condition to Unknown.
func (bs *BrokerStatus) InitializeConditions(now time.Time) { bs.manage(now).InitializeConditions() }

// SetAddress sets the Broker's address and the Addressable condition: True
// with a URL, False without.
func (bs *BrokerStatus) SetAddress(now time.Time, addr *duckv1.Addressable) {
	if addr != nil && addr.URL != nil {
		a := *addr
		if a.Name == nil {
			name := a.URL.Scheme
			a.Name = &name
		}
		bs.AddressStatus = duckv1.AddressStatus{Address: &a}
		bs.manage(now).MarkTrue(BrokerConditionAddressable)
		return
	}
	bs.AddressStatus = duckv1.AddressStatus{}
	bs.manage(now).MarkFalse(BrokerConditionAddressable, "NoAddress", "The Broker has no address.")
}

// MarkIngressReady marks the ingress ready.
func (bs *BrokerStatus) MarkIngressReady(now time.Time) {
	bs.manage(now).MarkTrue(BrokerConditionIngress)
}

// MarkIngressFailed marks the ingress failed.
func (bs *BrokerStatus) MarkIngressFailed(now time.Time, reason, message string) {
	bs.manage(now).MarkFalse(BrokerConditionIngress, reason, message)
}

// MarkIngressUnknown marks the ingress state unknown.
func (bs *BrokerStatus) MarkIngressUnknown(now time.Time, reason, message string) {
	bs.manage(now).MarkUnknown(BrokerConditionIngress, reason, message)
}

// MarkTriggerChannelReady marks the channel that feeds Triggers ready.
func (bs *BrokerStatus) MarkTriggerChannelReady(now time.Time) {
	bs.manage(now).MarkTrue(BrokerConditionTriggerChannel)
}

// MarkTriggerChannelFailed marks the channel that feeds Triggers failed.
func (bs *BrokerStatus) MarkTriggerChannelFailed(now time.Time, reason, message string) {
	bs.manage(now).MarkFalse(BrokerConditionTriggerChannel, reason, message)
}

// MarkTriggerChannelUnknown marks the trigger channel's state unknown.
func (bs *BrokerStatus) MarkTriggerChannelUnknown(now time.Time, reason, message string) {
	bs.manage(now).MarkUnknown(BrokerConditionTriggerChannel, reason, message)
}

// MarkFilterReady marks the filter (the dispatcher to Triggers) ready.
func (bs *BrokerStatus) MarkFilterReady(now time.Time) {
	bs.manage(now).MarkTrue(BrokerConditionFilter)
}

// MarkFilterFailed marks the filter failed.
func (bs *BrokerStatus) MarkFilterFailed(now time.Time, reason, message string) {
	bs.manage(now).MarkFalse(BrokerConditionFilter, reason, message)
}

// MarkFilterUnknown marks the filter's state unknown.
func (bs *BrokerStatus) MarkFilterUnknown(now time.Time, reason, message string) {
	bs.manage(now).MarkUnknown(BrokerConditionFilter, reason, message)
}

// MarkDeadLetterSinkResolvedSucceeded records the resolved dead letter sink.
func (bs *BrokerStatus) MarkDeadLetterSinkResolvedSucceeded(now time.Time, ds duckv1.DeliveryStatus) {
	bs.DeliveryStatus = ds
	bs.manage(now).MarkTrue(BrokerConditionDeadLetterSinkResolved)
}

// MarkDeadLetterSinkNotConfigured records that there is no dead letter
// sink, which is not an error.
func (bs *BrokerStatus) MarkDeadLetterSinkNotConfigured(now time.Time) {
	bs.DeliveryStatus = duckv1.DeliveryStatus{}
	bs.manage(now).MarkTrueWithReason(BrokerConditionDeadLetterSinkResolved,
		"DeadLetterSinkNotConfigured", "No dead letter sink is configured.")
}

// MarkDeadLetterSinkResolvedFailed records that the dead letter sink did
// not resolve.
func (bs *BrokerStatus) MarkDeadLetterSinkResolvedFailed(now time.Time, reason, message string) {
	bs.DeliveryStatus = duckv1.DeliveryStatus{}
	bs.manage(now).MarkFalse(BrokerConditionDeadLetterSinkResolved, reason, message)
}
