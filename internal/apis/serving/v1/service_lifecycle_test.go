package v1

import (
	"testing"
	"time"

	"github.com/skiff-sh/skiff/internal/apis"
)

var now = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// conditionStatus returns the status of condition t, or "" when missing.
func conditionStatus(s *apis.Status, t string) apis.ConditionStatus {
	if c := s.GetCondition(t); c != nil {
		return c.Status
	}
	return ""
}

func TestServiceLifecycle(t *testing.T) {
	s := &Service{}
	s.Status.InitializeConditions(now)
	for _, c := range []string{ServiceConditionReady, ServiceConditionConfigurationsReady, ServiceConditionRoutesReady} {
		if got := conditionStatus(&s.Status.Status, c); got != apis.ConditionUnknown {
			t.Errorf("after InitializeConditions, %s = %q, want Unknown", c, got)
		}
	}

	cs := &ConfigurationStatus{}
	cs.InitializeConditions(now)
	cs.SetLatestCreatedRevisionName("svc-00001", now)
	cs.SetLatestReadyRevisionName("svc-00001", now)
	s.Status.PropagateConfigurationStatus(cs, now)
	if got := s.Status.LatestReadyRevisionName; got != "svc-00001" {
		t.Errorf("LatestReadyRevisionName = %q, want svc-00001", got)
	}
	if s.IsReady() {
		t.Error("IsReady() = true with the Route not ready, want false")
	}

	rs := &RouteStatus{}
	rs.InitializeConditions(now)
	rs.MarkTrafficAssigned(now)
	rs.MarkIngressReady(now)
	rs.MarkTLSNotEnabled(AutoTLSNotEnabledMessage, now)
	rs.URL, _ = apis.ParseURL("http://svc.default.localhost")
	s.Status.PropagateRouteStatus(rs, now)
	if !s.IsReady() {
		t.Errorf("IsReady() = false, want true; conditions %+v", s.Status.Conditions)
	}
	if got := s.Status.URL.String(); got != "http://svc.default.localhost" {
		t.Errorf("URL = %q, want the Route's", got)
	}

	rs.MarkRevisionFailed("svc-00002", now)
	s.Status.PropagateRouteStatus(rs, now)
	ready := s.Status.GetCondition(ServiceConditionReady)
	if !ready.IsFalse() || ready.Reason != "RevisionMissing" || ready.Message != `Revision "svc-00002" failed to become ready.` {
		t.Errorf("Ready = %+v, want False RevisionMissing", ready)
	}
	if !s.IsFailed() {
		t.Error("IsFailed() = false, want true")
	}

	s.Status.MarkConfigurationNotOwned("svc", now)
	if c := s.Status.GetCondition(ServiceConditionConfigurationsReady); c.Reason != "NotOwned" ||
		c.Message != `There is an existing Configuration "svc" that we do not own.` {
		t.Errorf("ConfigurationsReady = %+v, want NotOwned", c)
	}
	s.Status.MarkRouteNotReconciled(now)
	if c := s.Status.GetCondition(ServiceConditionRoutesReady); !c.IsUnknown() || c.Reason != "OutOfDate" {
		t.Errorf("RoutesReady = %+v, want Unknown OutOfDate", c)
	}
}

func TestServiceIsReadyNeedsObservedGeneration(t *testing.T) {
	s := &Service{}
	s.Generation = 2
	s.Status.ObservedGeneration = 1
	s.Status.InitializeConditions(now)
	m := ServiceConditionSet.Manage(&s.Status.Status, now)
	m.MarkTrue(ServiceConditionConfigurationsReady)
	m.MarkTrue(ServiceConditionRoutesReady)
	if s.IsReady() {
		t.Error("IsReady() = true for an old generation, want false")
	}
	s.Status.ObservedGeneration = 2
	if !s.IsReady() {
		t.Error("IsReady() = false, want true")
	}
}
