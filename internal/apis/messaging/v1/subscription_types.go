package v1

import (
	"github.com/skiff-sh/skiff/internal/apis"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Subscription routes the events of a channel to a subscriber and the
// subscriber's replies to a reply destination.
type Subscription struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`

	// Spec is the desired state of the Subscription.
	Spec SubscriptionSpec `json:"spec"`
	// Status is the observed state of the Subscription.
	Status SubscriptionStatus `json:"status,omitempty,omitzero"`
}

var _ apis.Object = (*Subscription)(nil)

// SubscriptionSpec is the desired state of a Subscription. At least one of
// Subscriber and Reply is set.
type SubscriptionSpec struct {
	// Channel is the channel events come from, by apiVersion, kind and
	// name (no namespace). Required and immutable.
	Channel duckv1.KReference `json:"channel"`
	// Subscriber processes the events.
	Subscriber *duckv1.Destination `json:"subscriber,omitempty,omitzero"`
	// Reply receives the subscriber's replies.
	Reply *duckv1.Destination `json:"reply,omitempty,omitzero"`
	// Delivery holds the delivery options; immutable.
	Delivery *duckv1.DeliverySpec `json:"delivery,omitempty,omitzero"`
}

// SubscriptionStatus is the observed state of a Subscription.
type SubscriptionStatus struct {
	apis.Status `json:",inline"`
	// PhysicalSubscription holds the resolved addresses.
	PhysicalSubscription SubscriptionStatusPhysicalSubscription `json:"physicalSubscription,omitempty,omitzero"`
	// Auth names the service account the Subscription delivers as.
	Auth *duckv1.AuthStatus `json:"auth,omitempty,omitzero"`
}

// SubscriptionStatusPhysicalSubscription holds the resolved addresses of a
// Subscription.
type SubscriptionStatusPhysicalSubscription struct {
	SubscriberURI      *apis.URL `json:"subscriberUri,omitempty,omitzero"`
	SubscriberCACerts  *string   `json:"subscriberCACerts,omitempty,omitzero"`
	SubscriberAudience *string   `json:"subscriberAudience,omitempty,omitzero"`
	ReplyURI           *apis.URL `json:"replyUri,omitempty,omitzero"`
	ReplyCACerts       *string   `json:"replyCACerts,omitempty,omitzero"`
	ReplyAudience      *string   `json:"replyAudience,omitempty,omitzero"`
	// DeliveryStatus holds the resolved dead letter sink.
	duckv1.DeliveryStatus `json:",inline"`
}

// SubscriptionList is a list of Subscriptions.
type SubscriptionList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata"`
	Items           []Subscription `json:"items"`
}
