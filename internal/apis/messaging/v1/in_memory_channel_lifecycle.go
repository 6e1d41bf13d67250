package v1

import (
	"time"

	"github.com/skiff-sh/skiff/internal/apis"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
)

// InMemoryChannel condition types. DispatcherReady is reported but, as in
// Knative, not part of Ready.
const (
	InMemoryChannelConditionReady                  = apis.ConditionReady
	InMemoryChannelConditionDispatcherReady        = "DispatcherReady"
	InMemoryChannelConditionServiceReady           = "ServiceReady"
	InMemoryChannelConditionEndpointsReady         = "EndpointsReady"
	InMemoryChannelConditionAddressable            = "Addressable"
	InMemoryChannelConditionChannelServiceReady    = "ChannelServiceReady"
	InMemoryChannelConditionDeadLetterSinkResolved = "DeadLetterSinkResolved"
)

var imcCondSet = apis.NewLivingConditionSet(
	InMemoryChannelConditionServiceReady,
	InMemoryChannelConditionEndpointsReady,
	InMemoryChannelConditionAddressable,
	InMemoryChannelConditionChannelServiceReady,
	InMemoryChannelConditionDeadLetterSinkResolved,
)

// ConditionSet returns the conditions an InMemoryChannel's readiness
// depends on.
func (*InMemoryChannel) ConditionSet() apis.ConditionSet { return imcCondSet }

// IsReady reports whether the channel is Ready at its current generation.
func (imc *InMemoryChannel) IsReady() bool {
	return imc.Status.ObservedGeneration == imc.Generation && imc.Status.GetCondition(InMemoryChannelConditionReady).IsTrue()
}

func (s *InMemoryChannelStatus) manage(now time.Time) *apis.ConditionManager {
	return imcCondSet.Manage(&s.Status, now)
}

// GetTopLevelCondition returns the Ready condition.
func (s *InMemoryChannelStatus) GetTopLevelCondition() *apis.Condition {
	return s.GetCondition(InMemoryChannelConditionReady)
}

// InitializeConditions sets every unset condition to Unknown.
func (s *InMemoryChannelStatus) InitializeConditions(now time.Time) {
	s.manage(now).InitializeConditions()
}

// SetAddress sets the channel's address and the Addressable condition.
func (s *InMemoryChannelStatus) SetAddress(now time.Time, addr *duckv1.Addressable) {
	s.Address = addr
	if addr == nil || addr.URL == nil {
		s.manage(now).MarkFalse(InMemoryChannelConditionAddressable, "emptyHostname", "hostname is the empty string")
		return
	}
	s.manage(now).MarkTrue(InMemoryChannelConditionAddressable)
}

// MarkDispatcherReady marks the dispatcher ready.
func (s *InMemoryChannelStatus) MarkDispatcherReady(now time.Time) {
	s.manage(now).MarkTrue(InMemoryChannelConditionDispatcherReady)
}

// MarkDispatcherFailed marks the dispatcher failed.
func (s *InMemoryChannelStatus) MarkDispatcherFailed(now time.Time, reason, message string) {
	s.manage(now).MarkFalse(InMemoryChannelConditionDispatcherReady, reason, message)
}

// MarkDispatcherUnknown marks the dispatcher's state unknown.
func (s *InMemoryChannelStatus) MarkDispatcherUnknown(now time.Time, reason, message string) {
	s.manage(now).MarkUnknown(InMemoryChannelConditionDispatcherReady, reason, message)
}

// MarkServiceTrue marks the dispatcher's service ready.
func (s *InMemoryChannelStatus) MarkServiceTrue(now time.Time) {
	s.manage(now).MarkTrue(InMemoryChannelConditionServiceReady)
}

// MarkServiceFailed marks the dispatcher's service failed.
func (s *InMemoryChannelStatus) MarkServiceFailed(now time.Time, reason, message string) {
	s.manage(now).MarkFalse(InMemoryChannelConditionServiceReady, reason, message)
}

// MarkServiceUnknown marks the dispatcher's service state unknown.
func (s *InMemoryChannelStatus) MarkServiceUnknown(now time.Time, reason, message string) {
	s.manage(now).MarkUnknown(InMemoryChannelConditionServiceReady, reason, message)
}

// MarkEndpointsTrue marks the dispatcher's endpoints ready.
func (s *InMemoryChannelStatus) MarkEndpointsTrue(now time.Time) {
	s.manage(now).MarkTrue(InMemoryChannelConditionEndpointsReady)
}

// MarkEndpointsFailed marks the dispatcher's endpoints failed.
func (s *InMemoryChannelStatus) MarkEndpointsFailed(now time.Time, reason, message string) {
	s.manage(now).MarkFalse(InMemoryChannelConditionEndpointsReady, reason, message)
}

// MarkEndpointsUnknown marks the dispatcher's endpoints state unknown.
func (s *InMemoryChannelStatus) MarkEndpointsUnknown(now time.Time, reason, message string) {
	s.manage(now).MarkUnknown(InMemoryChannelConditionEndpointsReady, reason, message)
}

// MarkChannelServiceTrue marks the channel's own service ready.
func (s *InMemoryChannelStatus) MarkChannelServiceTrue(now time.Time) {
	s.manage(now).MarkTrue(InMemoryChannelConditionChannelServiceReady)
}

// MarkChannelServiceFailed marks the channel's own service failed.
func (s *InMemoryChannelStatus) MarkChannelServiceFailed(now time.Time, reason, message string) {
	s.manage(now).MarkFalse(InMemoryChannelConditionChannelServiceReady, reason, message)
}

// MarkChannelServiceUnknown marks the channel's own service state unknown.
func (s *InMemoryChannelStatus) MarkChannelServiceUnknown(now time.Time, reason, message string) {
	s.manage(now).MarkUnknown(InMemoryChannelConditionChannelServiceReady, reason, message)
}

// MarkDeadLetterSinkResolvedSucceeded records the resolved dead letter sink.
func (s *InMemoryChannelStatus) MarkDeadLetterSinkResolvedSucceeded(now time.Time, ds duckv1.DeliveryStatus) {
	s.DeliveryStatus = ds
	s.manage(now).MarkTrue(InMemoryChannelConditionDeadLetterSinkResolved)
}

// MarkDeadLetterSinkNotConfigured records that there is no dead letter sink.
func (s *InMemoryChannelStatus) MarkDeadLetterSinkNotConfigured(now time.Time) {
	s.DeliveryStatus = duckv1.DeliveryStatus{}
	s.manage(now).MarkTrueWithReason(InMemoryChannelConditionDeadLetterSinkResolved,
		"DeadLetterSinkNotConfigured", "No dead letter sink is configured.")
}

// MarkDeadLetterSinkResolvedFailed records that the dead letter sink did
// not resolve.
func (s *InMemoryChannelStatus) MarkDeadLetterSinkResolvedFailed(now time.Time, reason, message string) {
	s.DeliveryStatus = duckv1.DeliveryStatus{}
	s.manage(now).MarkFalse(InMemoryChannelConditionDeadLetterSinkResolved, reason, message)
}
