package v1

import (
	"github.com/skiff-sh/skiff/internal/apis"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// BrokerClassAnnotationKey is the annotation that picks a Broker's
// implementation.
const BrokerClassAnnotationKey = "eventing.knative.dev/broker.class"

// Broker collects events and delivers them to the subscribers of its
// Triggers.
type Broker struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty,omitzero"`

	// Spec is the desired state of the Broker.
	Spec BrokerSpec `json:"spec,omitempty,omitzero"`
	// Status is the observed state of the Broker.
	Status BrokerStatus `json:"status,omitempty,omitzero"`
}

var _ apis.Object = (*Broker)(nil)

// BrokerSpec is the desired state of a Broker.
type BrokerSpec struct {
	// Config references the class-specific configuration of the Broker,
	// such as a ConfigMap naming the backing channel. Immutable.
	Config *duckv1.KReference `json:"config,omitempty,omitzero"`
	// Delivery is the delivery of the Broker's Triggers that set none.
	Delivery *duckv1.DeliverySpec `json:"delivery,omitempty,omitzero"`
}

// BrokerStatus is the observed state of a Broker.
type BrokerStatus struct {
	apis.Status `json:",inline"`
	// AddressStatus holds the Broker's ingress address.
	duckv1.AddressStatus `json:",inline"`
	// DeliveryStatus holds the resolved dead letter sink.
	duckv1.DeliveryStatus `json:",inline"`
}

// BrokerList is a list of Brokers.
type BrokerList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty,omitzero"`
	Items           []Broker `json:"items"`
}
