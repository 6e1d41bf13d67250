package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiff-sh/skiff/internal/apis"
)

// Service manages a Configuration and a Route of the same name: the whole
// lifecycle of a workload in one object.
type Service struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty,omitzero"`

	// Spec holds the revision template and the traffic split.
	Spec ServiceSpec `json:"spec,omitempty,omitzero"`
	// Status merges the Configuration's and the Route's.
	Status ServiceStatus `json:"status,omitempty,omitzero"`
}

var _ apis.Object = (*Service)(nil)

// ServiceSpec is a ConfigurationSpec and a RouteSpec side by side.
type ServiceSpec struct {
	ConfigurationSpec `json:",inline"`
	RouteSpec         `json:",inline"`
}

// ServiceStatus is the observed state of a Service.
type ServiceStatus struct {
	apis.Status               `json:",inline"`
	ConfigurationStatusFields `json:",inline"`
	RouteStatusFields         `json:",inline"`
}
