package v1

import (
	"time"

	"github.com/skiff-sh/skiff/internal/apis"
)

// ContainerSource condition types.
const (
	ContainerSourceConditionReady               = apis.ConditionReady
	ContainerSourceConditionSinkBindingReady    = "SinkBindingReady"
	ContainerSourceConditionReceiveAdapterReady = "ReceiveAdapterReady"
)

var containerCondSet = apis.NewLivingConditionSet(
	ContainerSourceConditionSinkBindingReady,
	ContainerSourceConditionReceiveAdapterReady,
)

// ConditionSet returns the conditions a ContainerSource's readiness depends
// on.
func (*ContainerSource) ConditionSet() apis.ConditionSet { return containerCondSet }

// IsReady reports whether the source is Ready at its current generation.
func (s *ContainerSource) IsReady() bool {
	return s.Status.ObservedGeneration == s.Generation && s.Status.GetCondition(ContainerSourceConditionReady).IsTrue()
}

func (s *ContainerSourceStatus) manage(now time.Time) *apis.ConditionManager {
	return containerCondSet.Manage(&s.Status, now)
}

// GetTopLevelCondition returns the Ready condition.
func (s *ContainerSourceStatus) GetTopLevelCondition() *apis.Condition {
	return s.GetCondition(ContainerSourceConditionReady)
}

// InitializeConditions sets every unset condition to Unknown.
func (s *ContainerSourceStatus) InitializeConditions(now time.Time) {
	s.manage(now).InitializeConditions()
}

// PropagateSinkBindingStatus copies the sink, attributes and auth of the
// source's SinkBinding and follows its Ready condition.
func (s *ContainerSourceStatus) PropagateSinkBindingStatus(now time.Time, sb *SinkBindingStatus) {
	conditions, generation := s.Conditions, s.ObservedGeneration
	s.SourceStatus = sb.SourceStatus
	s.Conditions, s.ObservedGeneration = conditions, generation
	m := s.manage(now)
	switch c := sb.GetCondition(apis.ConditionReady); {
	case c == nil:
		m.MarkUnknown(ContainerSourceConditionSinkBindingReady, "", "")
	case c.Status == apis.ConditionTrue:
		m.MarkTrue(ContainerSourceConditionSinkBindingReady)
	case c.Status == apis.ConditionFalse:
		m.MarkFalse(ContainerSourceConditionSinkBindingReady, c.Reason, c.Message)
	default:
		m.MarkUnknown(ContainerSourceConditionSinkBindingReady, c.Reason, c.Message)
	}
}

// MarkReceiveAdapterReady marks the container running.
func (s *ContainerSourceStatus) MarkReceiveAdapterReady(now time.Time) {
	s.manage(now).MarkTrue(ContainerSourceConditionReceiveAdapterReady)
}

// MarkReceiveAdapterFailed marks the container failed.
func (s *ContainerSourceStatus) MarkReceiveAdapterFailed(now time.Time, reason, message string) {
	s.manage(now).MarkFalse(ContainerSourceConditionReceiveAdapterReady, reason, message)
}

// MarkReceiveAdapterUnknown marks the container's state unknown.
func (s *ContainerSourceStatus) MarkReceiveAdapterUnknown(now time.Time, reason, message string) {
	s.manage(now).MarkUnknown(ContainerSourceConditionReceiveAdapterReady, reason, message)
}
