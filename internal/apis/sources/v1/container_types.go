package v1

import (
	"github.com/skiff-sh/skiff/internal/apis"
	corev1 "github.com/skiff-sh/skiff/internal/apis/core/v1"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ContainerSource runs a container that sends events to the sink it finds
// in K_SINK, which a SinkBinding injects.
type ContainerSource struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty,omitzero"`

	// Spec is the desired state of the ContainerSource.
	Spec ContainerSourceSpec `json:"spec,omitempty,omitzero"`
	// Status is the observed state of the ContainerSource.
	Status ContainerSourceStatus `json:"status,omitempty,omitzero"`
}

var _ apis.Object = (*ContainerSource)(nil)

// ContainerSourceSpec is the desired state of a ContainerSource.
type ContainerSourceSpec struct {
	// SourceSpec holds the sink and the CloudEvent overrides.
	duckv1.SourceSpec `json:",inline"`
	// Template describes the pod to run; it needs at least one container.
	Template corev1.PodTemplateSpec `json:"template"`
}

// ContainerSourceStatus is the observed state of a ContainerSource.
type ContainerSourceStatus struct {
	duckv1.SourceStatus `json:",inline"`
}

// ContainerSourceList is a list of ContainerSources.
type ContainerSourceList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty,omitzero"`
	Items           []ContainerSource `json:"items"`
}
