package apis

import (
	"sort"
	"time"

	corev1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ConditionStatus is "True", "False" or "Unknown".
type ConditionStatus string

// The three condition statuses.
const (
	ConditionTrue    ConditionStatus = "True"
	ConditionFalse   ConditionStatus = "False"
	ConditionUnknown ConditionStatus = "Unknown"
)

// ConditionSeverity tells whether a non-True condition makes the resource
// unready (Error, the empty string) or is only informational.
type ConditionSeverity string

// Severities as Knative spells them.
const (
	ConditionSeverityError   ConditionSeverity = ""
	ConditionSeverityWarning ConditionSeverity = "Warning"
	ConditionSeverityInfo    ConditionSeverity = "Info"
)

// Common condition types.
const (
	ConditionReady     = "Ready"
	ConditionSucceeded = "Succeeded"
)

// Condition is Knative's status condition.
type Condition struct {
	Type               string            `json:"type"`
	Status             ConditionStatus   `json:"status"`
	Severity           ConditionSeverity `json:"severity,omitempty"`
	LastTransitionTime corev1.Time       `json:"lastTransitionTime,omitempty"`
	Reason             string            `json:"reason,omitempty"`
	Message            string            `json:"message,omitempty"`
}

// IsTrue reports whether the condition is non-nil and True.
func (c *Condition) IsTrue() bool { return c != nil && c.Status == ConditionTrue }

// IsFalse reports whether the condition is non-nil and False.
func (c *Condition) IsFalse() bool { return c != nil && c.Status == ConditionFalse }

// IsUnknown reports whether the condition is nil or Unknown.
func (c *Condition) IsUnknown() bool { return c == nil || c.Status == ConditionUnknown }

// Status is the duck-typed part of every Knative status.
type Status struct {
	ObservedGeneration int64             `json:"observedGeneration,omitempty"`
	Conditions         []Condition       `json:"conditions,omitempty"`
	Annotations        map[string]string `json:"annotations,omitempty"`
}

// GetCondition returns the condition of type t, or nil.
func (s *Status) GetCondition(t string) *Condition {
	for i := range s.Conditions {
		if s.Conditions[i].Type == t {
			return &s.Conditions[i]
		}
	}
	return nil
}

// setCondition stores c, keeping LastTransitionTime when only the reason or
// message changed, and keeps the conditions sorted by type.
func (s *Status) setCondition(c Condition, now time.Time) {
	if old := s.GetCondition(c.Type); old != nil {
		if old.Status == c.Status && old.Reason == c.Reason && old.Message == c.Message && old.Severity == c.Severity {
			return
		}
		if old.Status == c.Status {
			c.LastTransitionTime = old.LastTransitionTime
		} else {
			c.LastTransitionTime = corev1.NewTime(now.UTC().Truncate(time.Second))
		}
		*old = c
		return
	}
	c.LastTransitionTime = corev1.NewTime(now.UTC().Truncate(time.Second))
	s.Conditions = append(s.Conditions, c)
	sort.Slice(s.Conditions, func(i, j int) bool { return s.Conditions[i].Type < s.Conditions[j].Type })
}

// ConditionSet names a happy condition (Ready) and the conditions it depends
// on, as Knative's apis.NewLivingConditionSet does.
type ConditionSet struct {
	Happy      string
	Dependents []string
}

// NewLivingConditionSet returns a set whose happy condition is Ready.
func NewLivingConditionSet(dependents ...string) ConditionSet {
	return ConditionSet{Happy: ConditionReady, Dependents: dependents}
}

// Manage returns a manager for s. now stamps transition times.
func (cs ConditionSet) Manage(s *Status, now time.Time) *ConditionManager {
	return &ConditionManager{set: cs, status: s, now: now}
}

// ConditionManager changes conditions and keeps the happy one in step.
type ConditionManager struct {
	set    ConditionSet
	status *Status
	now    time.Time
}

// InitializeConditions sets every condition that is not yet present to Unknown.
func (m *ConditionManager) InitializeConditions() {
	for _, t := range append([]string{m.set.Happy}, m.set.Dependents...) {
		if m.status.GetCondition(t) == nil {
			m.status.setCondition(Condition{Type: t, Status: ConditionUnknown}, m.now)
		}
	}
}

func (m *ConditionManager) isDependent(t string) bool {
	for _, d := range m.set.Dependents {
		if d == t {
			return true
		}
	}
	return false
}

// MarkTrue sets t True and, when every dependent is True, the happy condition.
func (m *ConditionManager) MarkTrue(t string) {
	m.status.setCondition(Condition{Type: t, Status: ConditionTrue}, m.now)
	if t == m.set.Happy {
		return
	}
	for _, d := range m.set.Dependents {
		if c := m.status.GetCondition(d); c == nil || (c.Status != ConditionTrue && c.Severity == ConditionSeverityError) {
			return
		}
	}
	m.status.setCondition(Condition{Type: m.set.Happy, Status: ConditionTrue}, m.now)
}

// MarkTrueWithReason is MarkTrue with a reason and message on t.
func (m *ConditionManager) MarkTrueWithReason(t, reason, message string) {
	m.MarkTrue(t)
	m.status.setCondition(Condition{Type: t, Status: ConditionTrue, Reason: reason, Message: message}, m.now)
}

// MarkUnknown sets t Unknown. When t is a dependent, the happy condition
// becomes Unknown too, unless a dependent is False: failures win over
// unknowns, as in Knative's condition manager.
func (m *ConditionManager) MarkUnknown(t, reason, message string) {
	m.status.setCondition(Condition{Type: t, Status: ConditionUnknown, Reason: reason, Message: message}, m.now)
	if !m.isDependent(t) {
		return
	}
	for _, d := range m.set.Dependents {
		if c := m.status.GetCondition(d); c.IsFalse() {
			if h := m.status.GetCondition(m.set.Happy); !h.IsFalse() {
				m.status.setCondition(Condition{Type: m.set.Happy, Status: ConditionFalse, Reason: c.Reason, Message: c.Message}, m.now)
			}
			return
		}
	}
	m.status.setCondition(Condition{Type: m.set.Happy, Status: ConditionUnknown, Reason: reason, Message: message}, m.now)
}

// MarkFalse sets t False and, when t is a dependent, the happy condition too.
func (m *ConditionManager) MarkFalse(t, reason, message string) {
	m.status.setCondition(Condition{Type: t, Status: ConditionFalse, Reason: reason, Message: message}, m.now)
	if m.isDependent(t) {
		m.status.setCondition(Condition{Type: m.set.Happy, Status: ConditionFalse, Reason: reason, Message: message}, m.now)
	}
}

// IsHappy reports whether the happy condition is True.
func (m *ConditionManager) IsHappy() bool { return m.status.GetCondition(m.set.Happy).IsTrue() }
