package v1

import (
	"time"

	"github.com/skiff-sh/skiff/internal/apis"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
)

// ApiServerSource condition types.
const (
	ApiServerConditionReady                 = apis.ConditionReady
	ApiServerConditionSinkProvided          = duckv1.SourceConditionSinkProvided
	ApiServerConditionDeployed              = "Deployed"
	ApiServerConditionSufficientPermissions = "SufficientPermissions"
	ApiServerConditionOIDCIdentityCreated   = "OIDCIdentityCreated"
)

// CloudEvents types of the events an ApiServerSource sends: resource events
// in Resource mode, reference events in Reference mode.
const (
	ApiServerSourceAddEventType       = "dev.knative.apiserver.resource.add"
	ApiServerSourceUpdateEventType    = "dev.knative.apiserver.resource.update"
	ApiServerSourceDeleteEventType    = "dev.knative.apiserver.resource.delete"
	ApiServerSourceAddRefEventType    = "dev.knative.apiserver.ref.add"
	ApiServerSourceUpdateRefEventType = "dev.knative.apiserver.ref.update"
	ApiServerSourceDeleteRefEventType = "dev.knative.apiserver.ref.delete"
)

var apiServerCondSet = apis.NewLivingConditionSet(
	ApiServerConditionSinkProvided,
	ApiServerConditionDeployed,
	ApiServerConditionSufficientPermissions,
	ApiServerConditionOIDCIdentityCreated,
)

// ConditionSet returns the conditions an ApiServerSource's readiness
// depends on.
func (*ApiServerSource) ConditionSet() apis.ConditionSet { return apiServerCondSet }

// IsReady reports whether the source is Ready at its current generation.
func (s *ApiServerSource) IsReady() bool {
	return s.Status.ObservedGeneration == s.Generation && s.Status.GetCondition(ApiServerConditionReady).IsTrue()
}

func (s *ApiServerSourceStatus) manage(now time.Time) *apis.ConditionManager {
	return apiServerCondSet.Manage(&s.Status, now)
}

// GetTopLevelCondition returns the Ready condition.
func (s *ApiServerSourceStatus) GetTopLevelCondition() *apis.Condition {
	return s.GetCondition(ApiServerConditionReady)
}

// InitializeConditions sets every unset condition to Unknown.
func (s *ApiServerSourceStatus) InitializeConditions(now time.Time) {
	s.manage(now).InitializeConditions()
}

// MarkSink records the resolved sink; nil marks the sink missing.
func (s *ApiServerSourceStatus) MarkSink(now time.Time, addr *duckv1.Addressable) {
	markSink(&s.SourceStatus, s.manage(now), addr)
}

// MarkNoSink marks the sink unresolvable.
func (s *ApiServerSourceStatus) MarkNoSink(now time.Time, reason, message string) {
	s.manage(now).MarkFalse(ApiServerConditionSinkProvided, reason, message)
}

// MarkDeployed marks the watch running.
func (s *ApiServerSourceStatus) MarkDeployed(now time.Time) {
	s.manage(now).MarkTrue(ApiServerConditionDeployed)
}

// MarkNotDeployed marks the watch failed.
func (s *ApiServerSourceStatus) MarkNotDeployed(now time.Time, reason, message string) {
	s.manage(now).MarkFalse(ApiServerConditionDeployed, reason, message)
}

// MarkDeployedUnknown marks the watch's state unknown.
func (s *ApiServerSourceStatus) MarkDeployedUnknown(now time.Time, reason, message string) {
	s.manage(now).MarkUnknown(ApiServerConditionDeployed, reason, message)
}

// MarkSufficientPermissions marks the service account allowed to watch the
// resources.
func (s *ApiServerSourceStatus) MarkSufficientPermissions(now time.Time) {
	s.manage(now).MarkTrue(ApiServerConditionSufficientPermissions)
}

// MarkNoSufficientPermissions marks the service account not allowed to
// watch the resources.
func (s *ApiServerSourceStatus) MarkNoSufficientPermissions(now time.Time, reason, message string) {
	s.manage(now).MarkFalse(ApiServerConditionSufficientPermissions, reason, message)
}

// MarkOIDCIdentityCreatedSucceeded marks the source's OIDC identity created.
func (s *ApiServerSourceStatus) MarkOIDCIdentityCreatedSucceeded(now time.Time) {
	s.manage(now).MarkTrue(ApiServerConditionOIDCIdentityCreated)
}

// MarkOIDCIdentityCreatedSucceededWithReason marks the OIDC identity
// condition True with a reason, as when authentication is off.
func (s *ApiServerSourceStatus) MarkOIDCIdentityCreatedSucceededWithReason(now time.Time, reason, message string) {
	s.manage(now).MarkTrueWithReason(ApiServerConditionOIDCIdentityCreated, reason, message)
}

// MarkOIDCIdentityCreatedFailed marks the OIDC identity not created.
func (s *ApiServerSourceStatus) MarkOIDCIdentityCreatedFailed(now time.Time, reason, message string) {
	s.manage(now).MarkFalse(ApiServerConditionOIDCIdentityCreated, reason, message)
}
