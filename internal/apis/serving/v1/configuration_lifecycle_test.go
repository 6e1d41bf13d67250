package v1

import (
	"testing"

	"github.com/skiff-sh/skiff/internal/apis"
)

func TestConfigurationLifecycle(t *testing.T) {
	c := &Configuration{}
	c.Status.InitializeConditions(now)
	if got := conditionStatus(&c.Status.Status, ConfigurationConditionReady); got != apis.ConditionUnknown {
		t.Errorf("Ready = %q, want Unknown", got)
	}
	c.Status.SetLatestCreatedRevisionName("cfg-00001", now)
	c.Status.SetLatestReadyRevisionName("cfg-00001", now)
	if !c.IsReady() || !c.IsLatestReadyRevisionNameUpToDate() {
		t.Errorf("IsReady() = false after the latest became ready; %+v", c.Status)
	}

	c.Status.SetLatestCreatedRevisionName("cfg-00002", now)
	if c.IsReady() {
		t.Error("IsReady() = true while the new Revision is not ready, want false")
	}
	if got := c.Status.LatestReadyRevisionName; got != "cfg-00001" {
		t.Errorf("LatestReadyRevisionName = %q, want the old one kept", got)
	}

	c.Status.MarkLatestCreatedFailed("cfg-00002", "boom", now)
	ready := c.Status.GetCondition(ConfigurationConditionReady)
	if !ready.IsFalse() || ready.Reason != "RevisionFailed" || ready.Message != `Revision "cfg-00002" failed with message: boom.` {
		t.Errorf("Ready = %+v, want False RevisionFailed", ready)
	}
	if !c.IsFailed() {
		t.Error("IsFailed() = false, want true")
	}

	c.Status.MarkLatestReadyDeleted(now)
	if c.Status.LatestReadyRevisionName != "" {
		t.Errorf("LatestReadyRevisionName = %q after deletion, want empty", c.Status.LatestReadyRevisionName)
	}
	if got := c.Status.GetCondition(ConfigurationConditionReady).Message; got != `Revision "cfg-00001" was deleted.` {
		t.Errorf("Ready message = %q", got)
	}
}
