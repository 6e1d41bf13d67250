package v1beta1

import (
	"testing"

	"github.com/skiff-sh/skiff/internal/apis"
)

func TestDomainMappingLifecycle(t *testing.T) {
	dm := &DomainMapping{}
	dm.Status.InitializeConditions(now)
	for _, c := range []string{DomainMappingConditionReady, DomainMappingConditionDomainClaimed, DomainMappingConditionReferenceResolved,
		DomainMappingConditionCertificateProvisioned, DomainMappingConditionIngressReady} {
		if got := dm.Status.GetCondition(c); got == nil || got.Status != apis.ConditionUnknown {
			t.Errorf("after InitializeConditions, %s = %+v, want Unknown", c, got)
		}
	}
	dm.Status.MarkDomainClaimed(now)
	dm.Status.MarkReferenceResolved(now)
	dm.Status.MarkTLSNotEnabled("autoTLS is not enabled", now)
	if dm.IsReady() {
		t.Error("IsReady() = true before the ingress is ready, want false")
	}
	dm.Status.MarkIngressReady(now)
	if !dm.IsReady() {
		t.Errorf("IsReady() = false, want true: %+v", dm.Status.Conditions)
	}

	dm.Status.MarkDomainClaimNotOwned(now)
	c := dm.Status.GetCondition(DomainMappingConditionReady)
	if !c.IsFalse() || c.Reason != "DomainAlreadyClaimed" {
		t.Errorf("Ready = %+v, want False DomainAlreadyClaimed", c)
	}
	if !dm.IsFailed() {
		t.Error("IsFailed() = false, want true")
	}
	dm.Status.MarkReferenceNotResolved(`services.serving.knative.dev "hello" not found`, now)
	if c := dm.Status.GetCondition(DomainMappingConditionReferenceResolved); c.Reason != "ResolveFailed" {
		t.Errorf("ReferenceResolved = %+v, want ResolveFailed", c)
	}
	dm.Status.MarkHTTPDowngrade("cert", now)
	if c := dm.Status.GetCondition(DomainMappingConditionCertificateProvisioned); !c.IsTrue() || c.Reason != "HTTPDowngrade" {
		t.Errorf("CertificateProvisioned = %+v, want True HTTPDowngrade", c)
	}
	dm.Status.MarkIngressNotConfigured(now)
	if c := dm.Status.GetCondition(DomainMappingConditionIngressReady); !c.IsUnknown() || c.Reason != "IngressNotConfigured" {
		t.Errorf("IngressReady = %+v", c)
	}
}
