package v1

import (
	"github.com/skiff-sh/skiff/internal/apis"
	corev1 "github.com/skiff-sh/skiff/internal/apis/core/v1"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
	messagingv1 "github.com/skiff-sh/skiff/internal/apis/messaging/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Sequence calls its steps in order, each step's reply becoming the next
// step's event, wired through channels and subscriptions.
type Sequence struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty,omitzero"`

	// Spec is the desired state of the Sequence.
	Spec SequenceSpec `json:"spec,omitempty,omitzero"`
	// Status is the observed state of the Sequence.
	Status SequenceStatus `json:"status,omitempty,omitzero"`
}

var _ apis.Object = (*Sequence)(nil)

// SequenceSpec is the desired state of a Sequence.
type SequenceSpec struct {
	// Steps are called in order. At least one is required.
	Steps []SequenceStep `json:"steps"`
	// ChannelTemplate names the channel kind between steps; defaulted to
	// the cluster's default channel.
	ChannelTemplate *messagingv1.ChannelTemplateSpec `json:"channelTemplate,omitempty,omitzero"`
	// Reply receives the last step's replies.
	Reply *duckv1.Destination `json:"reply,omitempty,omitzero"`
}

// SequenceStep is one step of a Sequence: a destination with its own
// delivery options.
type SequenceStep struct {
	duckv1.Destination `json:",inline"`
	// Delivery holds the delivery options of events to this step.
	Delivery *duckv1.DeliverySpec `json:"delivery,omitempty,omitzero"`
}

// SequenceChannelStatus is the state of one channel of a Sequence.
type SequenceChannelStatus struct {
	// Channel refers to the channel.
	Channel corev1.ObjectReference `json:"channel"`
	// ReadyCondition is the channel's Ready condition.
	ReadyCondition apis.Condition `json:"ready"`
}

// SequenceSubscriptionStatus is the state of one subscription of a
// Sequence.
type SequenceSubscriptionStatus struct {
	// Subscription refers to the Subscription.
	Subscription corev1.ObjectReference `json:"subscription"`
	// ReadyCondition is the Subscription's Ready condition.
	ReadyCondition apis.Condition `json:"ready"`
}

// SequenceStatus is the observed state of a Sequence.
type SequenceStatus struct {
	apis.Status `json:",inline"`
	// SubscriptionStatuses follow spec.steps, in order.
	SubscriptionStatuses []SequenceSubscriptionStatus `json:"subscriptionStatuses,omitempty,omitzero"`
	// ChannelStatuses follow spec.steps, in order.
	ChannelStatuses []SequenceChannelStatus `json:"channelStatuses,omitempty,omitzero"`
	// Address is the first channel's address, where the Sequence accepts
	// events.
	Address duckv1.Addressable `json:"address,omitempty,omitzero"`
	// Auth lists the service accounts the Sequence's subscriptions deliver
	// as.
	Auth *duckv1.AuthStatus `json:"auth,omitempty,omitzero"`
}

// SequenceList is a list of Sequences.
type SequenceList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty,omitzero"`
	Items           []Sequence `json:"items"`
}
