package v1

import (
	"fmt"
	"time"

	"github.com/skiff-sh/skiff/internal/apis"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
)

// PingSource condition types.
const (
	PingSourceConditionReady        = apis.ConditionReady
	PingSourceConditionSinkProvided = duckv1.SourceConditionSinkProvided
	PingSourceConditionDeployed     = "Deployed"
)

// PingSourceEventType is the CloudEvents type of the events a PingSource
// sends.
const PingSourceEventType = "dev.knative.sources.ping"

// PingSourceSource returns the CloudEvents source of the events of the
// PingSource namespace/name.
func PingSourceSource(namespace, name string) string {
	return fmt.Sprintf("/apis/v1/namespaces/%s/pingsources/%s", namespace, name)
}

var pingCondSet = apis.NewLivingConditionSet(PingSourceConditionSinkProvided, PingSourceConditionDeployed)

// ConditionSet returns the conditions a PingSource's readiness depends on.
func (*PingSource) ConditionSet() apis.ConditionSet { return pingCondSet }

// IsReady reports whether the PingSource is Ready at its current
// generation.
func (s *PingSource) IsReady() bool {
	return s.Status.ObservedGeneration == s.Generation && s.Status.GetCondition(PingSourceConditionReady).IsTrue()
}

func (s *PingSourceStatus) manage(now time.Time) *apis.ConditionManager {
	return pingCondSet.Manage(&s.Status, now)
}

// GetTopLevelCondition returns the Ready condition.
func (s *PingSourceStatus) GetTopLevelCondition() *apis.Condition {
	return s.GetCondition(PingSourceConditionReady)
}

// InitializeConditions sets every unset condition to Unknown.
func (s *PingSourceStatus) InitializeConditions(now time.Time) { s.manage(now).InitializeConditions() }

// MarkSink records the resolved sink; nil marks the sink missing.
func (s *PingSourceStatus) MarkSink(now time.Time, addr *duckv1.Addressable) {
	markSink(&s.SourceStatus, s.manage(now), addr)
}

// MarkNoSink marks the sink unresolvable.
func (s *PingSourceStatus) MarkNoSink(now time.Time, reason, message string) {
	s.manage(now).MarkFalse(PingSourceConditionSinkProvided, reason, message)
}

// MarkDeployed marks the PingSource scheduled.
func (s *PingSourceStatus) MarkDeployed(now time.Time) {
	s.manage(now).MarkTrue(PingSourceConditionDeployed)
}

// MarkNotDeployed marks the PingSource not scheduled.
func (s *PingSourceStatus) MarkNotDeployed(now time.Time, reason, message string) {
	s.manage(now).MarkFalse(PingSourceConditionDeployed, reason, message)
}

// MarkDeployedUnknown marks the scheduling state unknown.
func (s *PingSourceStatus) MarkDeployedUnknown(now time.Time, reason, message string) {
	s.manage(now).MarkUnknown(PingSourceConditionDeployed, reason, message)
}

// markSink records addr in a source status and sets SinkProvided.
func markSink(s *duckv1.SourceStatus, m *apis.ConditionManager, addr *duckv1.Addressable) {
	if addr == nil || addr.URL == nil {
		s.SinkURI, s.SinkCACerts, s.SinkAudience = nil, nil, nil
		m.MarkFalse(duckv1.SourceConditionSinkProvided, "SinkEmpty", "Sink has resolved to empty.")
		return
	}
	s.SinkURI, s.SinkCACerts, s.SinkAudience = addr.URL, addr.CACerts, addr.Audience
	m.MarkTrue(duckv1.SourceConditionSinkProvided)
}
