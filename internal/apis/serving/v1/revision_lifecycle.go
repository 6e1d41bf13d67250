package v1

import (
	"time"

	"github.com/skiff-sh/skiff/internal/apis"
)

// Condition types of a Revision. Active reports whether the Revision is
// scaled up; it is not part of Ready.
const (
	RevisionConditionReady              = apis.ConditionReady
	RevisionConditionResourcesAvailable = "ResourcesAvailable"
	RevisionConditionContainerHealthy   = "ContainerHealthy"
	RevisionConditionActive             = "Active"
)

// Reasons of Revision conditions, as Knative spells them.
const (
	ReasonContainerMissing         = "ContainerMissing"
	ReasonResolvingDigests         = "ResolvingDigests"
	ReasonDeploying                = "Deploying"
	ReasonNotOwned                 = "NotOwned"
	ReasonProgressDeadlineExceeded = "ProgressDeadlineExceeded"
	ReasonNoTraffic                = "NoTraffic"
	ReasonActivating               = "Activating"
	ReasonUnhealthy                = "Unhealthy"
	// ProgressDeadlineMessage is Knative's message when the first instance
	// never became ready.
	ProgressDeadlineMessage = "Initial scale was never achieved"
)

// RevisionConditionSet is the set of a Revision's conditions that make it
// Ready.
var RevisionConditionSet = apis.NewLivingConditionSet(RevisionConditionResourcesAvailable, RevisionConditionContainerHealthy)

// IsReady reports whether the Revision's status reflects its current spec
// and it is Ready.
func (r *Revision) IsReady() bool {
	return r.Status.ObservedGeneration == r.Generation && r.Status.GetCondition(RevisionConditionReady).IsTrue()
}

// IsFailed reports whether the Revision is not Ready for good.
func (r *Revision) IsFailed() bool {
	return r.Status.ObservedGeneration == r.Generation && r.Status.GetCondition(RevisionConditionReady).IsFalse()
}

func (rs *RevisionStatus) manage(now time.Time) *apis.ConditionManager {
	return RevisionConditionSet.Manage(&rs.Status, now)
}

// InitializeConditions sets every condition that makes Ready to Unknown.
func (rs *RevisionStatus) InitializeConditions(now time.Time) {
	rs.manage(now).InitializeConditions()
}

// IsActivationRequired reports whether requests must wait for the Revision
// to scale up (Active is present and not True).
func (rs *RevisionStatus) IsActivationRequired() bool {
	c := rs.GetCondition(RevisionConditionActive)
	return c != nil && !c.IsTrue()
}

// MarkActiveTrue records that the Revision has instances.
func (rs *RevisionStatus) MarkActiveTrue(now time.Time) {
	rs.manage(now).MarkTrue(RevisionConditionActive)
}

// MarkActiveFalse records that the Revision is scaled to zero.
func (rs *RevisionStatus) MarkActiveFalse(reason, message string, now time.Time) {
	rs.manage(now).MarkFalse(RevisionConditionActive, reason, message)
}

// MarkActiveUnknown records that the Revision is scaling up or down.
func (rs *RevisionStatus) MarkActiveUnknown(reason, message string, now time.Time) {
	rs.manage(now).MarkUnknown(RevisionConditionActive, reason, message)
}

// MarkContainerHealthyTrue records that the containers run well.
func (rs *RevisionStatus) MarkContainerHealthyTrue(now time.Time) {
	rs.manage(now).MarkTrue(RevisionConditionContainerHealthy)
}

// MarkContainerHealthyFalse records that a container failed, such as
// exiting or failing its probes.
func (rs *RevisionStatus) MarkContainerHealthyFalse(reason, message string, now time.Time) {
	rs.manage(now).MarkFalse(RevisionConditionContainerHealthy, reason, message)
}

// MarkContainerHealthyUnknown records that container health is not known.
func (rs *RevisionStatus) MarkContainerHealthyUnknown(reason, message string, now time.Time) {
	rs.manage(now).MarkUnknown(RevisionConditionContainerHealthy, reason, message)
}

// MarkResourcesAvailableTrue records that the Revision's resources exist.
func (rs *RevisionStatus) MarkResourcesAvailableTrue(now time.Time) {
	rs.manage(now).MarkTrue(RevisionConditionResourcesAvailable)
}

// MarkResourcesAvailableFalse records that the Revision's resources could
// not be made (for example, an image that cannot be run).
func (rs *RevisionStatus) MarkResourcesAvailableFalse(reason, message string, now time.Time) {
	rs.manage(now).MarkFalse(RevisionConditionResourcesAvailable, reason, message)
}

// MarkResourcesAvailableUnknown records that resources are being made.
func (rs *RevisionStatus) MarkResourcesAvailableUnknown(reason, message string, now time.Time) {
	rs.manage(now).MarkUnknown(RevisionConditionResourcesAvailable, reason, message)
}

// MarkProgressDeadlineExceeded records that no instance became ready in
// time, as Knative reports it.
func (rs *RevisionStatus) MarkProgressDeadlineExceeded(now time.Time) {
	rs.MarkResourcesAvailableFalse(ReasonProgressDeadlineExceeded, ProgressDeadlineMessage, now)
}
