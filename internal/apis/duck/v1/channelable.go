package v1

import (
	"github.com/skiff-sh/skiff/internal/apis"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// SubscriberSpec is one subscriber of a channel, written into the channel's
// spec by the Subscription reconciler. At least one of SubscriberURI and
// ReplyURI is set.
type SubscriberSpec struct {
	// Name identifies the Subscription.
	Name *string `json:"name,omitempty,omitzero"`
	// UID is the Subscription's UID.
	UID types.UID `json:"uid,omitempty,omitzero"`
	// Generation is the Subscription's generation.
	Generation         int64         `json:"generation,omitempty,omitzero"`
	SubscriberURI      *apis.URL     `json:"subscriberUri,omitempty,omitzero"`
	SubscriberCACerts  *string       `json:"subscriberCACerts,omitempty,omitzero"`
	SubscriberAudience *string       `json:"subscriberAudience,omitempty,omitzero"`
	ReplyURI           *apis.URL     `json:"replyUri,omitempty,omitzero"`
	ReplyCACerts       *string       `json:"replyCACerts,omitempty,omitzero"`
	ReplyAudience      *string       `json:"replyAudience,omitempty,omitzero"`
	Delivery           *DeliverySpec `json:"delivery,omitempty,omitzero"`
	// Auth names the Subscription's service account.
	Auth *AuthStatus `json:"auth,omitempty,omitzero"`
}

// SubscriberStatus is the state of one subscriber of a channel.
type SubscriberStatus struct {
	UID                types.UID            `json:"uid,omitempty,omitzero"`
	ObservedGeneration int64                `json:"observedGeneration,omitempty,omitzero"`
	Ready              apis.ConditionStatus `json:"ready,omitempty,omitzero"`
	Message            string               `json:"message,omitempty,omitzero"`
	Auth               *AuthStatus          `json:"auth,omitempty,omitzero"`
}

// SubscribableSpec lists a channel's subscribers.
type SubscribableSpec struct {
	Subscribers []SubscriberSpec `json:"subscribers,omitempty,omitzero"`
}

// SubscribableStatus lists the state of a channel's subscribers.
type SubscribableStatus struct {
	Subscribers []SubscriberStatus `json:"subscribers,omitempty,omitzero"`
}

// ChannelableSpec is the spec every channel kind inlines.
type ChannelableSpec struct {
	SubscribableSpec `json:",inline"`
	// Delivery is the default delivery of the channel's subscriptions.
	Delivery *DeliverySpec `json:"delivery,omitempty,omitzero"`
}

// ChannelableStatus is the status every channel kind inlines.
type ChannelableStatus struct {
	apis.Status        `json:",inline"`
	AddressStatus      `json:",inline"`
	SubscribableStatus `json:",inline"`
	DeliveryStatus     `json:",inline"`
}

// Channelable is any channel kind seen through the channelable contract,
// for code that handles channels of whatever kind a channelTemplate names.
type Channelable struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty,omitzero"`
	Spec              ChannelableSpec   `json:"spec,omitempty,omitzero"`
	Status            ChannelableStatus `json:"status,omitempty,omitzero"`
}
