package v1

import (
	"github.com/skiff-sh/skiff/internal/apis"
	corev1 "github.com/skiff-sh/skiff/internal/apis/core/v1"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
	messagingv1 "github.com/skiff-sh/skiff/internal/apis/messaging/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Parallel sends each event to every branch whose filter passes it, wired
// through channels and subscriptions.
type Parallel struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty,omitzero"`

	// Spec is the desired state of the Parallel.
	Spec ParallelSpec `json:"spec,omitempty,omitzero"`
	// Status is the observed state of the Parallel.
	Status ParallelStatus `json:"status,omitempty,omitzero"`
}

var _ apis.Object = (*Parallel)(nil)

// ParallelSpec is the desired state of a Parallel.
type ParallelSpec struct {
	// Branches are the filter and subscriber pairs. At least one is
	// required.
	Branches []ParallelBranch `json:"branches"`
	// ChannelTemplate names the channel kind to use; defaulted to the
	// cluster's default channel.
	ChannelTemplate *messagingv1.ChannelTemplateSpec `json:"channelTemplate"`
	// Reply receives the replies of branches that have no reply of their
	// own.
	Reply *duckv1.Destination `json:"reply,omitempty,omitzero"`
}

// ParallelBranch is one branch of a Parallel.
type ParallelBranch struct {
	// Filter is called first; the event goes on to the subscriber when the
	// filter replies with it. Optional.
	Filter *duckv1.Destination `json:"filter,omitempty,omitzero"`
	// Subscriber receives the events that pass the filter. Required.
	Subscriber duckv1.Destination `json:"subscriber"`
	// Reply receives the subscriber's replies; the Parallel's reply when
	// unset.
	Reply *duckv1.Destination `json:"reply,omitempty,omitzero"`
	// Delivery holds the delivery options of events to the subscriber.
	Delivery *duckv1.DeliverySpec `json:"delivery,omitempty,omitzero"`
}

// ParallelStatus is the observed state of a Parallel.
type ParallelStatus struct {
	apis.Status `json:",inline"`
	// IngressChannelStatus is the state of the channel events arrive on.
	IngressChannelStatus ParallelChannelStatus `json:"ingressChannelStatus"`
	// BranchStatuses follow spec.branches, in order.
	BranchStatuses []ParallelBranchStatus `json:"branchStatuses"`
	// AddressStatus is the ingress channel's address, where the Parallel
	// accepts events.
	duckv1.AddressStatus `json:",inline"`
	// Auth lists the service accounts the Parallel's subscriptions deliver
	// as.
	Auth *duckv1.AuthStatus `json:"auth,omitempty,omitzero"`
}

// ParallelBranchStatus is the state of one branch of a Parallel.
type ParallelBranchStatus struct {
	// FilterSubscriptionStatus is the state of the filter's subscription.
	FilterSubscriptionStatus ParallelSubscriptionStatus `json:"filterSubscriptionStatus"`
	// FilterChannelStatus is the state of the channel after the filter.
	FilterChannelStatus ParallelChannelStatus `json:"filterChannelStatus"`
	// SubscriptionStatus is the state of the subscriber's subscription.
	SubscriptionStatus ParallelSubscriptionStatus `json:"subscriberSubscriptionStatus"`
}

// ParallelChannelStatus is the state of one channel of a Parallel.
type ParallelChannelStatus struct {
	// Channel refers to the channel.
	Channel corev1.ObjectReference `json:"channel"`
	// ReadyCondition tells whether the channel is ready.
	ReadyCondition apis.Condition `json:"ready"`
}

// ParallelSubscriptionStatus is the state of one subscription of a
// Parallel.
type ParallelSubscriptionStatus struct {
	// Subscription refers to the Subscription.
	Subscription corev1.ObjectReference `json:"subscription"`
	// ReadyCondition is the Subscription's Ready condition.
	ReadyCondition apis.Condition `json:"ready"`
}

// ParallelList is a list of Parallels.
type ParallelList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty,omitzero"`
	Items           []Parallel `json:"items"`
}
