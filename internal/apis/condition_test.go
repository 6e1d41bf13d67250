package apis

import (
	"testing"
	"time"
)

func TestConditionManager(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	set := NewLivingConditionSet("A", "B")
	tests := []struct {
		name      string
		steps     func(m *ConditionManager)
		wantReady ConditionStatus
		wantWhy   string
	}{
		{"initialized", func(m *ConditionManager) { m.InitializeConditions() }, ConditionUnknown, ""},
		{"one true", func(m *ConditionManager) { m.InitializeConditions(); m.MarkTrue("A") }, ConditionUnknown, ""},
		{"all true", func(m *ConditionManager) { m.MarkTrue("A"); m.MarkTrue("B") }, ConditionTrue, ""},
		{"one false", func(m *ConditionManager) { m.MarkTrue("A"); m.MarkFalse("B", "Broken", "b broke") }, ConditionFalse, "Broken"},
		{"unknown after true", func(m *ConditionManager) {
			m.MarkTrue("A")
			m.MarkTrue("B")
			m.MarkUnknown("A", "Deploying", "")
		}, ConditionUnknown, "Deploying"},
		{"false wins over unknown", func(m *ConditionManager) {
			m.MarkFalse("B", "Broken", "")
			m.MarkUnknown("A", "Deploying", "")
		}, ConditionFalse, "Broken"},
		{"recovers", func(m *ConditionManager) {
			m.MarkFalse("B", "Broken", "")
			m.MarkTrue("A")
			m.MarkTrue("B")
		}, ConditionTrue, ""},
		{"non-dependent does not touch ready", func(m *ConditionManager) {
			m.MarkTrue("A")
			m.MarkTrue("B")
			m.MarkFalse("Active", "NoTraffic", "")
		}, ConditionTrue, ""},
	}
	for _, tt := range tests {
		var s Status
		m := set.Manage(&s, t0)
		tt.steps(m)
		got := s.GetCondition(ConditionReady)
		if got == nil || got.Status != tt.wantReady || got.Reason != tt.wantWhy {
			t.Errorf("%s: Ready = %+v, want %s %q", tt.name, got, tt.wantReady, tt.wantWhy)
		}
	}
}

func TestTransitionTimeKeptWhenStatusStays(t *testing.T) {
	var s Status
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	NewLivingConditionSet("A").Manage(&s, t0).MarkFalse("A", "X", "one")
	NewLivingConditionSet("A").Manage(&s, t0.Add(time.Hour)).MarkFalse("A", "Y", "two")
	c := s.GetCondition("A")
	if !c.LastTransitionTime.Time.Equal(t0) || c.Reason != "Y" {
		t.Errorf("A = %+v; want reason Y and the first transition time kept", c)
	}
	NewLivingConditionSet("A").Manage(&s, t0.Add(2*time.Hour)).MarkTrue("A")
	if c := s.GetCondition("A"); !c.LastTransitionTime.Time.Equal(t0.Add(2 * time.Hour)) {
		t.Errorf("after a transition LastTransitionTime = %v, want %v", c.LastTransitionTime, t0.Add(2*time.Hour))
	}
}
