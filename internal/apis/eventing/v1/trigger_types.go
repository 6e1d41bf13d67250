package v1

import (
	"github.com/skiff-sh/skiff/internal/apis"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Trigger annotations and labels.
const (
	// DependencyAnnotation names, as a JSON object reference, a source whose
	// readiness the Trigger's DependencyReady condition follows.
	DependencyAnnotation = "knative.dev/dependency"
	// InjectionAnnotation asks for the namespace's default Broker to be
	// created; "enabled" or "disabled".
	InjectionAnnotation = "eventing.knative.dev/injection"
	// BrokerLabelKey is the label defaulting copies spec.broker into.
	BrokerLabelKey = "eventing.knative.dev/broker"
)

// Trigger asks for the events of a Broker that pass its filter to be
// delivered to a subscriber.
type Trigger struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty,omitzero"`

	// Spec is the desired state of the Trigger.
	Spec TriggerSpec `json:"spec,omitempty,omitzero"`
	// Status is the observed state of the Trigger.
	Status TriggerStatus `json:"status,omitempty,omitzero"`
}

var _ apis.Object = (*Trigger)(nil)

// TriggerSpec is the desired state of a Trigger.
type TriggerSpec struct {
	// Broker is the name of the Broker in the Trigger's namespace the
	// Trigger receives events from. Required and immutable.
	Broker string `json:"broker,omitempty,omitzero"`
	// Filter keeps the events whose attributes match; nil and empty keep
	// everything.
	Filter *TriggerFilter `json:"filter,omitempty,omitzero"`
	// Filters are the CloudEvents Subscriptions API filters an event must
	// all pass. When set, Filter is ignored.
	Filters []SubscriptionsAPIFilter `json:"filters,omitempty,omitzero"`
	// Subscriber receives the events that pass. Required.
	Subscriber duckv1.Destination `json:"subscriber"`
	// Delivery replaces the Broker's delivery for this Trigger.
	Delivery *duckv1.DeliverySpec `json:"delivery,omitempty,omitzero"`
}

// TriggerFilter filters events by exact attribute values.
type TriggerFilter struct {
	// Attributes must all match the event's; the value "" matches any
	// value of a present attribute.
	Attributes TriggerFilterAttributes `json:"attributes,omitempty,omitzero"`
}

// TriggerFilterAttributes maps context attribute names to the values an
// event must have.
type TriggerFilterAttributes map[string]string

// SubscriptionsAPIFilter is one filter expression of the CloudEvents
// Subscriptions API. Exactly one dialect is meant to be set.
type SubscriptionsAPIFilter struct {
	// All passes when every nested filter passes.
	All []SubscriptionsAPIFilter `json:"all,omitempty,omitzero"`
	// Any passes when at least one nested filter passes.
	Any []SubscriptionsAPIFilter `json:"any,omitempty,omitzero"`
	// Not passes when the nested filter does not.
	Not *SubscriptionsAPIFilter `json:"not,omitempty,omitzero"`
	// Exact matches one attribute's value exactly.
	Exact map[string]string `json:"exact,omitempty,omitzero"`
	// Prefix matches the start of one attribute's value.
	Prefix map[string]string `json:"prefix,omitempty,omitzero"`
	// Suffix matches the end of one attribute's value.
	Suffix map[string]string `json:"suffix,omitempty,omitzero"`
	// SQL is a CloudEvents SQL expression.
	SQL string `json:"cesql,omitempty,omitzero"`
}

// TriggerStatus is the observed state of a Trigger.
type TriggerStatus struct {
	apis.Status `json:",inline"`
	// SubscriberURI is the resolved URI of the subscriber.
	SubscriberURI *apis.URL `json:"subscriberUri,omitempty,omitzero"`
	// SubscriberCACerts are the PEM CA certificates of the subscriber.
	SubscriberCACerts *string `json:"subscriberCACerts,omitempty,omitzero"`
	// SubscriberAudience is the OIDC audience of the subscriber.
	SubscriberAudience *string `json:"subscriberAudience,omitempty,omitzero"`
	// DeliveryStatus holds the resolved dead letter sink.
	duckv1.DeliveryStatus `json:",inline"`
	// Auth names the service account the Trigger delivers as.
	Auth *duckv1.AuthStatus `json:"auth,omitempty,omitzero"`
}

// TriggerList is a list of Triggers.
type TriggerList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty,omitzero"`
	Items           []Trigger `json:"items"`
}
