package v1

import (
	"testing"

	"github.com/skiff-sh/skiff/internal/apis"
)

func TestRevisionLifecycle(t *testing.T) {
	r := &Revision{}
	r.Status.InitializeConditions(now)
	for _, c := range []string{RevisionConditionReady, RevisionConditionResourcesAvailable, RevisionConditionContainerHealthy} {
		if got := conditionStatus(&r.Status.Status, c); got != apis.ConditionUnknown {
			t.Errorf("after InitializeConditions, %s = %q, want Unknown", c, got)
		}
	}
	if got := r.Status.GetCondition(RevisionConditionActive); got != nil {
		t.Errorf("Active = %+v after InitializeConditions, want absent (not part of Ready)", got)
	}
	if r.Status.IsActivationRequired() {
		t.Error("IsActivationRequired() = true without Active, want false")
	}

	r.Status.MarkResourcesAvailableTrue(now)
	r.Status.MarkContainerHealthyTrue(now)
	if !r.IsReady() {
		t.Errorf("IsReady() = false, want true: %+v", r.Status.Conditions)
	}

	// Scaling to zero does not make the Revision unready.
	r.Status.MarkActiveFalse(ReasonNoTraffic, "The target is not receiving traffic.", now)
	if !r.IsReady() {
		t.Error("IsReady() = false when inactive, want true")
	}
	if !r.Status.IsActivationRequired() {
		t.Error("IsActivationRequired() = false when inactive, want true")
	}
	r.Status.MarkActiveTrue(now)
	if r.Status.IsActivationRequired() {
		t.Error("IsActivationRequired() = true when active, want false")
	}

	r.Status.MarkContainerHealthyFalse("ExitCode1", "Container failed with: boom", now)
	if c := r.Status.GetCondition(RevisionConditionReady); !c.IsFalse() || c.Reason != "ExitCode1" {
		t.Errorf("Ready = %+v, want False ExitCode1", c)
	}
	if !r.IsFailed() {
		t.Error("IsFailed() = false, want true")
	}

	r2 := &Revision{}
	r2.Status.InitializeConditions(now)
	r2.Status.MarkProgressDeadlineExceeded(now)
	if c := r2.Status.GetCondition(RevisionConditionReady); !c.IsFalse() || c.Reason != ReasonProgressDeadlineExceeded || c.Message != ProgressDeadlineMessage {
		t.Errorf("Ready = %+v, want False ProgressDeadlineExceeded", c)
	}
}
