package v1

import (
	"time"

	"github.com/skiff-sh/skiff/internal/apis"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
)

// SinkBinding condition types.
const (
	SinkBindingConditionReady                  = apis.ConditionReady
	SinkBindingConditionSinkProvided           = duckv1.SourceConditionSinkProvided
	SinkBindingConditionOIDCIdentityCreated    = "OIDCIdentityCreated"
	SinkBindingConditionOIDCTokenSecretCreated = "OIDCTokenSecretCreated"
)

var sinkBindingCondSet = apis.NewLivingConditionSet(
	SinkBindingConditionSinkProvided,
	SinkBindingConditionOIDCIdentityCreated,
	SinkBindingConditionOIDCTokenSecretCreated,
)

// ConditionSet returns the conditions a SinkBinding's readiness depends on.
func (*SinkBinding) ConditionSet() apis.ConditionSet { return sinkBindingCondSet }

// IsReady reports whether the SinkBinding is Ready at its current
// generation.
func (b *SinkBinding) IsReady() bool {
	return b.Status.ObservedGeneration == b.Generation && b.Status.GetCondition(SinkBindingConditionReady).IsTrue()
}

func (s *SinkBindingStatus) manage(now time.Time) *apis.ConditionManager {
	return sinkBindingCondSet.Manage(&s.Status, now)
}

// GetTopLevelCondition returns the Ready condition.
func (s *SinkBindingStatus) GetTopLevelCondition() *apis.Condition {
	return s.GetCondition(SinkBindingConditionReady)
}

// InitializeConditions sets every unset condition to Unknown.
func (s *SinkBindingStatus) InitializeConditions(now time.Time) { s.manage(now).InitializeConditions() }

// MarkBindingAvailable marks the subject bound (Ready True).
func (s *SinkBindingStatus) MarkBindingAvailable(now time.Time) {
	s.manage(now).MarkTrue(SinkBindingConditionReady)
}

// MarkBindingUnavailable marks the subject not bound (Ready False).
func (s *SinkBindingStatus) MarkBindingUnavailable(now time.Time, reason, message string) {
	s.manage(now).MarkFalse(SinkBindingConditionReady, reason, message)
}

// MarkSink records the resolved sink; nil marks the sink missing.
func (s *SinkBindingStatus) MarkSink(now time.Time, addr *duckv1.Addressable) {
	markSink(&s.SourceStatus, s.manage(now), addr)
}

// MarkOIDCIdentityCreatedSucceeded marks the OIDC identity created.
func (s *SinkBindingStatus) MarkOIDCIdentityCreatedSucceeded(now time.Time) {
	s.manage(now).MarkTrue(SinkBindingConditionOIDCIdentityCreated)
}

// MarkOIDCIdentityCreatedSucceededWithReason marks the OIDC identity
// condition True with a reason, as when authentication is off.
func (s *SinkBindingStatus) MarkOIDCIdentityCreatedSucceededWithReason(now time.Time, reason, message string) {
	s.manage(now).MarkTrueWithReason(SinkBindingConditionOIDCIdentityCreated, reason, message)
}

// MarkOIDCIdentityCreatedFailed marks the OIDC identity not created.
func (s *SinkBindingStatus) MarkOIDCIdentityCreatedFailed(now time.Time, reason, message string) {
	s.manage(now).MarkFalse(SinkBindingConditionOIDCIdentityCreated, reason, message)
}

// MarkOIDCTokenSecretCreatedSucceeded marks the OIDC token secret created.
func (s *SinkBindingStatus) MarkOIDCTokenSecretCreatedSucceeded(now time.Time) {
	s.manage(now).MarkTrue(SinkBindingConditionOIDCTokenSecretCreated)
}

// MarkOIDCTokenSecretCreatedSucceededWithReason marks the token secret
// condition True with a reason, as when authentication is off.
func (s *SinkBindingStatus) MarkOIDCTokenSecretCreatedSucceededWithReason(now time.Time, reason, message string) {
	s.manage(now).MarkTrueWithReason(SinkBindingConditionOIDCTokenSecretCreated, reason, message)
}

// MarkOIDCTokenSecretCreatedFailed marks the OIDC token secret not created.
func (s *SinkBindingStatus) MarkOIDCTokenSecretCreatedFailed(now time.Time, reason, message string) {
	s.manage(now).MarkFalse(SinkBindingConditionOIDCTokenSecretCreated, reason, message)
}
