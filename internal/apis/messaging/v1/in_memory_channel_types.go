package v1

import (
	"github.com/skiff-sh/skiff/internal/apis"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ScopeAnnotationKey sets the scope of a channel's dispatcher, "cluster" or
// "namespace".
const ScopeAnnotationKey = "eventing.knative.dev/scope"

// InMemoryChannel is a best-effort channel that holds events in memory.
type InMemoryChannel struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty,omitzero"`

	// Spec is the desired state of the InMemoryChannel.
	Spec InMemoryChannelSpec `json:"spec,omitempty,omitzero"`
	// Status is the observed state of the InMemoryChannel.
	Status InMemoryChannelStatus `json:"status,omitempty,omitzero"`
}

var _ apis.Object = (*InMemoryChannel)(nil)

// InMemoryChannelSpec lists the channel's subscribers, which the
// Subscription reconciler writes, and their default delivery.
type InMemoryChannelSpec struct {
	duckv1.ChannelableSpec `json:",inline"`
}

// InMemoryChannelStatus is the observed state of an InMemoryChannel.
type InMemoryChannelStatus struct {
	duckv1.ChannelableStatus `json:",inline"`
}

// InMemoryChannelList is a list of InMemoryChannels.
type InMemoryChannelList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty,omitzero"`
	Items           []InMemoryChannel `json:"items"`
}
