// Package v1alpha1 holds autoscaling.internal.knative.dev/v1alpha1: the
// PodAutoscaler that Knative keeps per Revision, which skiff's autoscaler
// writes and users read (`kubectl get kpa`).
package v1alpha1

import (
	"context"
	"time"

	"github.com/skiff-sh/skiff/internal/apis"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// GroupName is the API group.
const GroupName = "autoscaling.internal.knative.dev"

// ModeAnnotation is the status annotation holding the KPA's mode:
// "stable" or "panic" (or "hpa" for the HPA class).
const ModeAnnotation = "autoscaling.skiff.dev/mode"

// Reachability says whether the revision takes traffic.
type Reachability string

// Reachability values, as Knative's.
const (
	ReachabilityReachable   Reachability = "Reachable"
	ReachabilityUnreachable Reachability = "Unreachable"
	ReachabilityUnknown     Reachability = ""
)

// Condition types of a PodAutoscaler.
const (
	ConditionReady           = apis.ConditionReady
	ConditionActive          = "Active"
	ConditionScaleTargetInit = "ScaleTargetInitialized"
	ConditionSKSReady        = "SKSReady"
)

// ConditionSet is the PodAutoscaler's: Ready from Active and
// ScaleTargetInitialized.
var ConditionSet = apis.NewLivingConditionSet(ConditionActive, ConditionScaleTargetInit)

// PodAutoscaler is the autoscaler's view of one Revision.
type PodAutoscaler struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty,omitzero"`
	Spec              PodAutoscalerSpec   `json:"spec,omitempty,omitzero"`
	Status            PodAutoscalerStatus `json:"status,omitempty,omitzero"`
}

// ScaleTargetRef names what is scaled.
type ScaleTargetRef struct {
	APIVersion string `json:"apiVersion,omitempty,omitzero"`
	Kind       string `json:"kind,omitempty,omitzero"`
	Name       string `json:"name"`
}

// PodAutoscalerSpec is what is scaled and how.
type PodAutoscalerSpec struct {
	ScaleTargetRef       ScaleTargetRef `json:"scaleTargetRef"`
	ContainerConcurrency int64          `json:"containerConcurrency,omitempty,omitzero"`
	Reachability         Reachability   `json:"reachability,omitempty,omitzero"`
	ProtocolType         string         `json:"protocolType,omitempty,omitzero"`
}

// PodAutoscalerStatus is what the autoscaler decided and sees.
type PodAutoscalerStatus struct {
	apis.Status        `json:",inline"`
	ServiceName        string `json:"serviceName,omitempty,omitzero"`
	MetricsServiceName string `json:"metricsServiceName,omitempty,omitzero"`
	DesiredScale       *int32 `json:"desiredScale,omitempty,omitzero"`
	ActualScale        *int32 `json:"actualScale,omitempty,omitzero"`
}

var _ apis.Object = (*PodAutoscaler)(nil)

// SetDefaults does nothing: PodAutoscalers are written by skiff only.
func (p *PodAutoscaler) SetDefaults(context.Context) {}

// Validate checks the scale target.
func (p *PodAutoscaler) Validate(_ context.Context, _ apis.Object) field.ErrorList {
	if p.Spec.ScaleTargetRef.Name == "" {
		return field.ErrorList{field.Required(field.NewPath("spec", "scaleTargetRef", "name"), "")}
	}
	return nil
}

// Manage returns the condition manager of the status.
func (s *PodAutoscalerStatus) Manage(now time.Time) *apis.ConditionManager {
	return ConditionSet.Manage(&s.Status, now)
}

// Kinds returns the PodAutoscaler kind: read-only through the API.
func Kinds() []apis.Kind {
	ready := apis.Column{Name: "Ready", Type: "string", JSONPath: ".status.conditions[?(@.type=='Ready')].status"}
	return []apis.Kind{{
		Group: GroupName, Version: "v1alpha1", Kind: "PodAutoscaler", ListKind: "PodAutoscalerList",
		Plural: "podautoscalers", Singular: "podautoscaler", ShortNames: []string{"kpa", "pa"},
		Categories: []string{"knative-internal", "autoscaling"}, Namespaced: true, HasStatus: true,
		ReadOnly: true,
		New:      func() apis.Object { return &PodAutoscaler{} },
		Columns: []apis.Column{
			{Name: "DesiredScale", Type: "integer", JSONPath: ".status.desiredScale"},
			{Name: "ActualScale", Type: "integer", JSONPath: ".status.actualScale"},
			{Name: "Mode", Type: "string", JSONPath: ".status.annotations['autoscaling\\.skiff\\.dev/mode']"},
			ready,
			{Name: "Reason", Type: "string", JSONPath: ".status.conditions[?(@.type=='Ready')].reason"},
		},
	}}
}
