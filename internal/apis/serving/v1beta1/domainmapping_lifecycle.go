package v1beta1

import (
	"fmt"
	"time"

	"github.com/skiff-sh/skiff/internal/apis"
)

// Condition types of a DomainMapping.
const (
	DomainMappingConditionReady                  = apis.ConditionReady
	DomainMappingConditionDomainClaimed          = "DomainClaimed"
	DomainMappingConditionReferenceResolved      = "ReferenceResolved"
	DomainMappingConditionCertificateProvisioned = "CertificateProvisioned"
	DomainMappingConditionIngressReady           = "IngressReady"
)

// DomainMappingConditionSet is the set of a DomainMapping's conditions that
// make it Ready.
var DomainMappingConditionSet = apis.NewLivingConditionSet(
	DomainMappingConditionDomainClaimed,
	DomainMappingConditionReferenceResolved,
	DomainMappingConditionCertificateProvisioned,
	DomainMappingConditionIngressReady,
)

// IsReady reports whether the status reflects the current spec and the
// DomainMapping is Ready.
func (dm *DomainMapping) IsReady() bool {
	return dm.Status.ObservedGeneration == dm.Generation && dm.Status.GetCondition(DomainMappingConditionReady).IsTrue()
}

// IsFailed reports whether the DomainMapping is not Ready for good.
func (dm *DomainMapping) IsFailed() bool {
	return dm.Status.ObservedGeneration == dm.Generation && dm.Status.GetCondition(DomainMappingConditionReady).IsFalse()
}

func (s *DomainMappingStatus) manage(now time.Time) *apis.ConditionManager {
	return DomainMappingConditionSet.Manage(&s.Status, now)
}

// InitializeConditions sets every condition that makes Ready to Unknown.
func (s *DomainMappingStatus) InitializeConditions(now time.Time) {
	s.manage(now).InitializeConditions()
}

// MarkDomainClaimed records that this DomainMapping holds its domain.
func (s *DomainMappingStatus) MarkDomainClaimed(now time.Time) {
	s.manage(now).MarkTrue(DomainMappingConditionDomainClaimed)
}

// MarkDomainClaimNotOwned records that another DomainMapping holds the
// domain.
func (s *DomainMappingStatus) MarkDomainClaimNotOwned(now time.Time) {
	s.manage(now).MarkFalse(DomainMappingConditionDomainClaimed, "DomainAlreadyClaimed",
		"The domain name is already in use by another DomainMapping")
}

// MarkDomainClaimFailed records that the domain could not be claimed.
func (s *DomainMappingStatus) MarkDomainClaimFailed(message string, now time.Time) {
	s.manage(now).MarkFalse(DomainMappingConditionDomainClaimed, "DomainClaimFailed", message)
}

// MarkReferenceResolved records that the target exists and is addressable.
func (s *DomainMappingStatus) MarkReferenceResolved(now time.Time) {
	s.manage(now).MarkTrue(DomainMappingConditionReferenceResolved)
}

// MarkReferenceNotResolved records that the target cannot be resolved.
func (s *DomainMappingStatus) MarkReferenceNotResolved(message string, now time.Time) {
	s.manage(now).MarkFalse(DomainMappingConditionReferenceResolved, "ResolveFailed", message)
}

// MarkCertificateReady records that the certificate is ready.
func (s *DomainMappingStatus) MarkCertificateReady(now time.Time) {
	s.manage(now).MarkTrue(DomainMappingConditionCertificateProvisioned)
}

// MarkCertificateNotReady records a certificate still being provisioned.
func (s *DomainMappingStatus) MarkCertificateNotReady(name string, now time.Time) {
	s.manage(now).MarkUnknown(DomainMappingConditionCertificateProvisioned, "CertificateNotReady",
		fmt.Sprintf("Certificate %s is not ready.", name))
}

// MarkCertificateProvisionFailed records a certificate that failed.
func (s *DomainMappingStatus) MarkCertificateProvisionFailed(name string, now time.Time) {
	s.manage(now).MarkFalse(DomainMappingConditionCertificateProvisioned, "CertificateProvisionFailed",
		fmt.Sprintf("Certificate %s fails to be provisioned.", name))
}

// MarkCertificateNotOwned records a certificate of the same name that this
// DomainMapping does not own.
func (s *DomainMappingStatus) MarkCertificateNotOwned(name string, now time.Time) {
	s.manage(now).MarkFalse(DomainMappingConditionCertificateProvisioned, "CertificateNotOwned",
		fmt.Sprintf("There is an existing certificate %s that we don't own.", name))
}

// MarkTLSNotEnabled records that the mapping is served without TLS, which
// leaves it Ready.
func (s *DomainMappingStatus) MarkTLSNotEnabled(msg string, now time.Time) {
	s.manage(now).MarkTrueWithReason(DomainMappingConditionCertificateProvisioned, "TLSNotEnabled", msg)
}

// MarkHTTPDowngrade records that the mapping is served over HTTP while its
// certificate is not ready.
func (s *DomainMappingStatus) MarkHTTPDowngrade(name string, now time.Time) {
	s.manage(now).MarkTrueWithReason(DomainMappingConditionCertificateProvisioned, "HTTPDowngrade",
		fmt.Sprintf("Certificate %s is not ready downgrade HTTP.", name))
}

// MarkIngressReady records that the routing table serves the domain.
func (s *DomainMappingStatus) MarkIngressReady(now time.Time) {
	s.manage(now).MarkTrue(DomainMappingConditionIngressReady)
}

// MarkIngressNotConfigured records that the routing table has not taken the
// domain in yet.
func (s *DomainMappingStatus) MarkIngressNotConfigured(now time.Time) {
	s.manage(now).MarkUnknown(DomainMappingConditionIngressReady, "IngressNotConfigured", "Ingress has not yet been reconciled.")
}

// MarkIngressNotReady records that the routing table cannot serve the domain.
func (s *DomainMappingStatus) MarkIngressNotReady(reason, message string, now time.Time) {
	s.manage(now).MarkFalse(DomainMappingConditionIngressReady, reason, message)
}
