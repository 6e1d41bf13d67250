package v1

import (
	"testing"

	"github.com/skiff-sh/skiff/internal/apis"
)

func TestRouteLifecycle(t *testing.T) {
	r := &Route{}
	r.Status.InitializeConditions(now)
	for _, c := range []string{RouteConditionReady, RouteConditionAllTrafficAssigned, RouteConditionIngressReady, RouteConditionCertificateProvisioned} {
		if got := conditionStatus(&r.Status.Status, c); got != apis.ConditionUnknown {
			t.Errorf("after InitializeConditions, %s = %q, want Unknown", c, got)
		}
	}
	r.Status.MarkConfigurationNotReady("cfg", now)
	if c := r.Status.GetCondition(RouteConditionReady); !c.IsUnknown() || c.Reason != "RevisionMissing" ||
		c.Message != `Configuration "cfg" is waiting for a Revision to become ready.` {
		t.Errorf("Ready = %+v, want Unknown RevisionMissing", c)
	}
	r.Status.MarkTrafficAssigned(now)
	r.Status.MarkIngressRolloutInProgress(now)
	r.Status.MarkTLSNotEnabled(TLSNotEnabledForClusterLocalMessage, now)
	if c := r.Status.GetCondition(RouteConditionReady); !c.IsUnknown() || c.Reason != "RolloutInProgress" {
		t.Errorf("Ready = %+v, want Unknown RolloutInProgress", c)
	}
	if c := r.Status.GetCondition(RouteConditionCertificateProvisioned); !c.IsTrue() || c.Reason != "TLSNotEnabled" {
		t.Errorf("CertificateProvisioned = %+v, want True TLSNotEnabled", c)
	}
	r.Status.MarkIngressReady(now)
	if !r.IsReady() {
		t.Errorf("IsReady() = false, want true: %+v", r.Status.Conditions)
	}
	r.Status.MarkMissingTrafficTarget("Revision", "cfg-00009", now)
	if c := r.Status.GetCondition(RouteConditionReady); !c.IsFalse() || c.Reason != "RevisionMissing" ||
		c.Message != `Revision "cfg-00009" referenced in traffic not found.` {
		t.Errorf("Ready = %+v, want False RevisionMissing", c)
	}
	if !r.IsFailed() {
		t.Error("IsFailed() = false, want true")
	}
	r.Status.MarkCertificateProvisionFailed("cert", now)
	if c := r.Status.GetCondition(RouteConditionCertificateProvisioned); !c.IsFalse() || c.Reason != "CertificateProvisionFailed" {
		t.Errorf("CertificateProvisioned = %+v", c)
	}
}
