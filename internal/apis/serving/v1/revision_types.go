package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiff-sh/skiff/internal/apis"
	corev1 "github.com/skiff-sh/skiff/internal/apis/core/v1"
)

// Revision is an immutable snapshot of code and configuration, stamped out of
// a Configuration's template.
type Revision struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty,omitzero"`

	// Spec is what the Revision runs; it never changes after creation.
	Spec RevisionSpec `json:"spec,omitempty,omitzero"`
	// Status is the Revision's observed state.
	Status RevisionStatus `json:"status,omitempty,omitzero"`
}

var _ apis.Object = (*Revision)(nil)

// RevisionTemplateSpec is the template a Configuration stamps Revisions
// from: its metadata becomes the Revision's, and metadata.name, when set,
// names the Revision.
type RevisionTemplateSpec struct {
	metav1.ObjectMeta `json:"metadata,omitempty,omitzero"`
	// Spec becomes the Revision's spec.
	Spec RevisionSpec `json:"spec,omitempty,omitzero"`
}

// RevisionSpec is a pod spec plus Knative's request handling settings.
type RevisionSpec struct {
	corev1.PodSpec `json:",inline"`

	// ContainerConcurrency is the most requests an instance handles at
	// once; 0 means no limit.
	ContainerConcurrency *int64 `json:"containerConcurrency,omitempty,omitzero"`
	// TimeoutSeconds is the most time a request may take.
	TimeoutSeconds *int64 `json:"timeoutSeconds,omitempty,omitzero"`
	// ResponseStartTimeoutSeconds is the most time before the first byte of
	// a response.
	ResponseStartTimeoutSeconds *int64 `json:"responseStartTimeoutSeconds,omitempty,omitzero"`
	// IdleTimeoutSeconds is the most time a request may stay open without
	// the application sending a byte.
	IdleTimeoutSeconds *int64 `json:"idleTimeoutSeconds,omitempty,omitzero"`
}

// RevisionStatus is the observed state of a Revision.
type RevisionStatus struct {
	apis.Status `json:",inline"`

	// LogURL links to the Revision's logs.
	LogURL string `json:"logUrl,omitempty,omitzero"`
	// ContainerStatuses hold the resolved image digest of each container.
	ContainerStatuses []ContainerStatus `json:"containerStatuses,omitempty,omitzero"`
	// InitContainerStatuses hold the same for init containers.
	InitContainerStatuses []ContainerStatus `json:"initContainerStatuses,omitempty,omitzero"`
	// ActualReplicas is the number of ready instances.
	ActualReplicas *int32 `json:"actualReplicas,omitempty,omitzero"`
	// DesiredReplicas is the number of instances the autoscaler wants.
	DesiredReplicas *int32 `json:"desiredReplicas,omitempty,omitzero"`
}

// ContainerStatus is the image digest a container's image resolved to.
type ContainerStatus struct {
	// Name is the container's name.
	Name string `json:"name,omitempty,omitzero"`
	// ImageDigest is the resolved image.
	ImageDigest string `json:"imageDigest,omitempty,omitzero"`
}

// GetContainer returns the serving container: the one with a port, else the
// first; nil when there is none.
func (rs *RevisionSpec) GetContainer() *corev1.Container {
	for i := range rs.Containers {
		if len(rs.Containers[i].Ports) > 0 {
			return &rs.Containers[i]
		}
	}
	if len(rs.Containers) > 0 {
		return &rs.Containers[0]
	}
	return nil
}

// UserPort returns the port the serving container listens on, 8080 when it
// declares none.
func (rs *RevisionSpec) UserPort() int32 {
	if c := rs.GetContainer(); c != nil && len(c.Ports) > 0 && c.Ports[0].ContainerPort != 0 {
		return c.Ports[0].ContainerPort
	}
	return DefaultUserPort
}

// Protocol returns ProtocolH2C when the serving port is named h2c, and
// ProtocolHTTP1 otherwise.
func (rs *RevisionSpec) Protocol() string {
	if c := rs.GetContainer(); c != nil && len(c.Ports) > 0 && c.Ports[0].Name == ProtocolH2C {
		return ProtocolH2C
	}
	return ProtocolHTTP1
}

// GetRoutingState returns the routing state recorded in the Revision's
// labels.
func (r *Revision) GetRoutingState() RoutingState {
	return RoutingState(r.Labels[RoutingStateLabelKey])
}
