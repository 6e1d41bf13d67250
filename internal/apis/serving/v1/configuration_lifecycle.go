package v1

import (
	"fmt"
	"time"

	"github.com/skiff-sh/skiff/internal/apis"
)

// ConfigurationConditionReady is the only condition of a Configuration: its
// latest created Revision is ready.
const ConfigurationConditionReady = apis.ConditionReady

// ConfigurationConditionSet is the set of a Configuration's conditions.
var ConfigurationConditionSet = apis.NewLivingConditionSet()

// IsReady reports whether the status reflects the current spec and the
// Configuration is Ready.
func (c *Configuration) IsReady() bool {
	return c.Status.ObservedGeneration == c.Generation && c.Status.GetCondition(ConfigurationConditionReady).IsTrue()
}

// IsFailed reports whether the Configuration's latest Revision failed.
func (c *Configuration) IsFailed() bool {
	return c.Status.ObservedGeneration == c.Generation && c.Status.GetCondition(ConfigurationConditionReady).IsFalse()
}

// IsLatestReadyRevisionNameUpToDate reports whether the latest created
// Revision is also the latest ready one.
func (c *Configuration) IsLatestReadyRevisionNameUpToDate() bool {
	return c.IsReady() && c.Status.LatestCreatedRevisionName == c.Status.LatestReadyRevisionName
}

func (cs *ConfigurationStatus) manage(now time.Time) *apis.ConditionManager {
	return ConfigurationConditionSet.Manage(&cs.Status, now)
}

// InitializeConditions sets Ready to Unknown when it is not yet set.
func (cs *ConfigurationStatus) InitializeConditions(now time.Time) {
	cs.manage(now).InitializeConditions()
}

// SetLatestCreatedRevisionName records a newly stamped Revision; Ready
// becomes Unknown until it is ready.
func (cs *ConfigurationStatus) SetLatestCreatedRevisionName(name string, now time.Time) {
	cs.LatestCreatedRevisionName = name
	if cs.LatestReadyRevisionName != name {
		cs.manage(now).MarkUnknown(ConfigurationConditionReady, "", "")
	}
}

// SetLatestReadyRevisionName records a Revision that became ready; the
// Configuration is Ready when it is the latest created one.
func (cs *ConfigurationStatus) SetLatestReadyRevisionName(name string, now time.Time) {
	cs.LatestReadyRevisionName = name
	if cs.LatestReadyRevisionName == cs.LatestCreatedRevisionName {
		cs.manage(now).MarkTrue(ConfigurationConditionReady)
	}
}

// MarkLatestCreatedFailed records that the latest created Revision failed.
func (cs *ConfigurationStatus) MarkLatestCreatedFailed(name, message string, now time.Time) {
	cs.manage(now).MarkFalse(ConfigurationConditionReady, "RevisionFailed",
		fmt.Sprintf("Revision %q failed with message: %s.", name, message))
}

// MarkRevisionCreationFailed records that no Revision could be created.
func (cs *ConfigurationStatus) MarkRevisionCreationFailed(message string, now time.Time) {
	cs.manage(now).MarkFalse(ConfigurationConditionReady, "RevisionFailed",
		fmt.Sprintf("Revision creation failed with message: %s.", message))
}

// MarkLatestReadyDeleted records that the latest ready Revision is gone.
func (cs *ConfigurationStatus) MarkLatestReadyDeleted(now time.Time) {
	cs.manage(now).MarkFalse(ConfigurationConditionReady, "RevisionDeleted",
		fmt.Sprintf("Revision %q was deleted.", cs.LatestReadyRevisionName))
	cs.LatestReadyRevisionName = ""
}
