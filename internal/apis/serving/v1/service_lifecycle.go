package v1

import (
	"fmt"
	"time"

	"github.com/skiff-sh/skiff/internal/apis"
)

// Condition types of a Service.
const (
	ServiceConditionReady               = apis.ConditionReady
	ServiceConditionConfigurationsReady = "ConfigurationsReady"
	ServiceConditionRoutesReady         = "RoutesReady"
)

// ServiceConditionSet is the set of a Service's conditions that make it
// Ready.
var ServiceConditionSet = apis.NewLivingConditionSet(ServiceConditionConfigurationsReady, ServiceConditionRoutesReady)

// IsReady reports whether the status reflects the current spec and the
// Service is Ready.
func (s *Service) IsReady() bool {
	return s.Status.ObservedGeneration == s.Generation && s.Status.GetCondition(ServiceConditionReady).IsTrue()
}

// IsFailed reports whether the Service is not Ready for good.
func (s *Service) IsFailed() bool {
	return s.Status.ObservedGeneration == s.Generation && s.Status.GetCondition(ServiceConditionReady).IsFalse()
}

func (ss *ServiceStatus) manage(now time.Time) *apis.ConditionManager {
	return ServiceConditionSet.Manage(&ss.Status, now)
}

// InitializeConditions sets every condition that makes Ready to Unknown.
func (ss *ServiceStatus) InitializeConditions(now time.Time) {
	ss.manage(now).InitializeConditions()
}

// MarkConfigurationNotOwned records a Configuration of the Service's name
// that the Service does not own.
func (ss *ServiceStatus) MarkConfigurationNotOwned(name string, now time.Time) {
	ss.manage(now).MarkFalse(ServiceConditionConfigurationsReady, "NotOwned",
		fmt.Sprintf("There is an existing Configuration %q that we do not own.", name))
}

// MarkRouteNotOwned records a Route of the Service's name that the Service
// does not own.
func (ss *ServiceStatus) MarkRouteNotOwned(name string, now time.Time) {
	ss.manage(now).MarkFalse(ServiceConditionRoutesReady, "NotOwned",
		fmt.Sprintf("There is an existing Route %q that we do not own.", name))
}

// MarkConfigurationNotReconciled records that the Configuration has not
// caught up with the Service's template.
func (ss *ServiceStatus) MarkConfigurationNotReconciled(now time.Time) {
	ss.manage(now).MarkUnknown(ServiceConditionConfigurationsReady, "OutOfDate",
		"The Configuration is still working to reflect the latest desired specification.")
}

// MarkRouteNotReconciled records that the Route has not caught up with the
// Service's traffic split.
func (ss *ServiceStatus) MarkRouteNotReconciled(now time.Time) {
	ss.manage(now).MarkUnknown(ServiceConditionRoutesReady, "OutOfDate",
		"The Route is still working to reflect the latest desired specification.")
}

// MarkRevisionNameTaken records that the template's revision name belongs
// to a Revision of different content.
func (ss *ServiceStatus) MarkRevisionNameTaken(name string, now time.Time) {
	ss.manage(now).MarkFalse(ServiceConditionRoutesReady, "RevisionNameTaken",
		fmt.Sprintf("The revision name %q is taken", name))
}

// MarkRouteNotYetReady records that the Route is not ready yet.
func (ss *ServiceStatus) MarkRouteNotYetReady(now time.Time) {
	ss.manage(now).MarkUnknown(ServiceConditionRoutesReady, "RouteNotYetReady", "Waiting for Route to be ready")
}

// PropagateConfigurationStatus copies the Configuration's status fields and
// its Ready condition into ConfigurationsReady.
func (ss *ServiceStatus) PropagateConfigurationStatus(cs *ConfigurationStatus, now time.Time) {
	ss.ConfigurationStatusFields = cs.ConfigurationStatusFields
	ss.propagate(ServiceConditionConfigurationsReady, cs.GetCondition(ConfigurationConditionReady), now)
}

// PropagateRouteStatus copies the Route's status fields and its Ready
// condition into RoutesReady.
func (ss *ServiceStatus) PropagateRouteStatus(rs *RouteStatus, now time.Time) {
	ss.RouteStatusFields = rs.RouteStatusFields
	ss.propagate(ServiceConditionRoutesReady, rs.GetCondition(RouteConditionReady), now)
}

func (ss *ServiceStatus) propagate(t string, c *apis.Condition, now time.Time) {
	if c == nil {
		return
	}
	m := ss.manage(now)
	switch c.Status {
	case apis.ConditionTrue:
		m.MarkTrue(t)
	case apis.ConditionFalse:
		m.MarkFalse(t, c.Reason, c.Message)
	default:
		m.MarkUnknown(t, c.Reason, c.Message)
	}
}
