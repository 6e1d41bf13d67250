package v1

import (
	"fmt"
	"time"

	"github.com/skiff-sh/skiff/internal/apis"
)

// Condition types of a Route.
const (
	RouteConditionReady                  = apis.ConditionReady
	RouteConditionAllTrafficAssigned     = "AllTrafficAssigned"
	RouteConditionIngressReady           = "IngressReady"
	RouteConditionCertificateProvisioned = "CertificateProvisioned"
)

// Messages Knative gives when TLS is not used.
const (
	AutoTLSNotEnabledMessage            = "autoTLS is not enabled"
	TLSNotEnabledForClusterLocalMessage = "TLS is not enabled for cluster-local"
)

// RouteConditionSet is the set of a Route's conditions that make it Ready.
var RouteConditionSet = apis.NewLivingConditionSet(
	RouteConditionAllTrafficAssigned, RouteConditionIngressReady, RouteConditionCertificateProvisioned)

// IsReady reports whether the status reflects the current spec and the
// Route is Ready.
func (r *Route) IsReady() bool {
	return r.Status.ObservedGeneration == r.Generation && r.Status.GetCondition(RouteConditionReady).IsTrue()
}

// IsFailed reports whether the Route is not Ready for good.
func (r *Route) IsFailed() bool {
	return r.Status.ObservedGeneration == r.Generation && r.Status.GetCondition(RouteConditionReady).IsFalse()
}

func (rs *RouteStatus) manage(now time.Time) *apis.ConditionManager {
	return RouteConditionSet.Manage(&rs.Status, now)
}

// InitializeConditions sets every condition that makes Ready to Unknown.
func (rs *RouteStatus) InitializeConditions(now time.Time) {
	rs.manage(now).InitializeConditions()
}

// MarkTrafficAssigned records that every target resolved to a Revision.
func (rs *RouteStatus) MarkTrafficAssigned(now time.Time) {
	rs.manage(now).MarkTrue(RouteConditionAllTrafficAssigned)
}

// MarkUnknownTrafficError records an unexpected error resolving targets.
func (rs *RouteStatus) MarkUnknownTrafficError(msg string, now time.Time) {
	rs.manage(now).MarkUnknown(RouteConditionAllTrafficAssigned, "Unknown", msg)
}

// MarkConfigurationNotReady records a target Configuration with no ready
// Revision yet.
func (rs *RouteStatus) MarkConfigurationNotReady(name string, now time.Time) {
	rs.manage(now).MarkUnknown(RouteConditionAllTrafficAssigned, "RevisionMissing",
		fmt.Sprintf("Configuration %q is waiting for a Revision to become ready.", name))
}

// MarkConfigurationFailed records a target Configuration whose Revisions
// all failed.
func (rs *RouteStatus) MarkConfigurationFailed(name string, now time.Time) {
	rs.manage(now).MarkFalse(RouteConditionAllTrafficAssigned, "RevisionMissing",
		fmt.Sprintf("Configuration %q does not have any ready Revision.", name))
}

// MarkRevisionNotReady records a target Revision that is not ready yet.
func (rs *RouteStatus) MarkRevisionNotReady(name string, now time.Time) {
	rs.manage(now).MarkUnknown(RouteConditionAllTrafficAssigned, "RevisionMissing",
		fmt.Sprintf("Revision %q is not yet ready.", name))
}

// MarkRevisionFailed records a target Revision that failed.
func (rs *RouteStatus) MarkRevisionFailed(name string, now time.Time) {
	rs.manage(now).MarkFalse(RouteConditionAllTrafficAssigned, "RevisionMissing",
		fmt.Sprintf("Revision %q failed to become ready.", name))
}

// MarkMissingTrafficTarget records a target (kind "Revision" or
// "Configuration") that does not exist.
func (rs *RouteStatus) MarkMissingTrafficTarget(kind, name string, now time.Time) {
	rs.manage(now).MarkFalse(RouteConditionAllTrafficAssigned, kind+"Missing",
		fmt.Sprintf("%s %q referenced in traffic not found.", kind, name))
}

// MarkIngressReady records that the routing table serves the Route.
func (rs *RouteStatus) MarkIngressReady(now time.Time) {
	rs.manage(now).MarkTrue(RouteConditionIngressReady)
}

// MarkIngressNotConfigured records that the routing table has not taken the
// Route in yet.
func (rs *RouteStatus) MarkIngressNotConfigured(now time.Time) {
	rs.manage(now).MarkUnknown(RouteConditionIngressReady, "IngressNotConfigured", "Ingress has not yet been reconciled.")
}

// MarkIngressNotReady records that the routing table cannot serve the Route.
func (rs *RouteStatus) MarkIngressNotReady(reason, message string, now time.Time) {
	rs.manage(now).MarkFalse(RouteConditionIngressReady, reason, message)
}

// MarkIngressRolloutInProgress records a gradual rollout: the Route is
// Unknown with reason RolloutInProgress until it completes.
func (rs *RouteStatus) MarkIngressRolloutInProgress(now time.Time) {
	rs.manage(now).MarkUnknown(RouteConditionIngressReady, "RolloutInProgress",
		"A gradual rollout of the latest revision(s) is in progress.")
}

// MarkCertificateReady records that the Route's certificate is ready.
func (rs *RouteStatus) MarkCertificateReady(now time.Time) {
	rs.manage(now).MarkTrue(RouteConditionCertificateProvisioned)
}

// MarkCertificateNotReady records a certificate still being provisioned.
func (rs *RouteStatus) MarkCertificateNotReady(name string, now time.Time) {
	rs.manage(now).MarkUnknown(RouteConditionCertificateProvisioned, "CertificateNotReady",
		fmt.Sprintf("Certificate %s is not ready.", name))
}

// MarkCertificateProvisionFailed records a certificate that failed.
func (rs *RouteStatus) MarkCertificateProvisionFailed(name string, now time.Time) {
	rs.manage(now).MarkFalse(RouteConditionCertificateProvisioned, "CertificateProvisionFailed",
		fmt.Sprintf("Certificate %s fails to be provisioned.", name))
}

// MarkTLSNotEnabled records that the Route is served without TLS, which
// leaves it Ready.
func (rs *RouteStatus) MarkTLSNotEnabled(msg string, now time.Time) {
	rs.manage(now).MarkTrueWithReason(RouteConditionCertificateProvisioned, "TLSNotEnabled", msg)
}
