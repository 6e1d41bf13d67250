package v1

import (
	"github.com/skiff-sh/skiff/internal/apis"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
	eventingv1 "github.com/skiff-sh/skiff/internal/apis/eventing/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ApiServerSource sends an event for each change to the resources it
// watches.
type ApiServerSource struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty,omitzero"`

	// Spec is the desired state of the ApiServerSource.
	Spec ApiServerSourceSpec `json:"spec,omitempty,omitzero"`
	// Status is the observed state of the ApiServerSource.
	Status ApiServerSourceStatus `json:"status,omitempty,omitzero"`
}

var _ apis.Object = (*ApiServerSource)(nil)

// ApiServerSourceSpec is the desired state of an ApiServerSource.
type ApiServerSourceSpec struct {
	// SourceSpec holds the sink and the CloudEvent overrides.
	duckv1.SourceSpec `json:",inline"`
	// Resources are the kinds to watch, each with an optional label
	// selector. At least one is required.
	Resources []APIVersionKindSelector `json:"resources,omitempty,omitzero"`
	// ResourceOwner keeps only the resources owned by objects of this kind.
	ResourceOwner *APIVersionKind `json:"owner,omitempty,omitzero"`
	// EventMode is Reference (events carry a reference to the object,
	// the default) or Resource (events carry the whole object).
	EventMode string `json:"mode,omitempty,omitzero"`
	// ServiceAccountName is the identity the source watches as; defaults
	// to "default".
	ServiceAccountName string `json:"serviceAccountName,omitempty,omitzero"`
	// NamespaceSelector selects the namespaces to watch; the source's own
	// namespace when unset.
	NamespaceSelector *metav1.LabelSelector `json:"namespaceSelector,omitempty,omitzero"`
	// Filters are Subscriptions API filters events must all pass.
	Filters []eventingv1.SubscriptionsAPIFilter `json:"filters,omitempty,omitzero"`
}

// APIVersionKind names a kind.
type APIVersionKind struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
}

// APIVersionKindSelector names a kind and selects its objects by label.
type APIVersionKindSelector struct {
	APIVersion    string                `json:"apiVersion"`
	Kind          string                `json:"kind"`
	LabelSelector *metav1.LabelSelector `json:"selector,omitempty,omitzero"`
}

// ApiServerSourceStatus is the observed state of an ApiServerSource.
type ApiServerSourceStatus struct {
	duckv1.SourceStatus `json:",inline"`
	// Namespaces are the namespaces currently watched.
	Namespaces []string `json:"namespaces"`
}

// ApiServerSourceList is a list of ApiServerSources.
type ApiServerSourceList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty,omitzero"`
	Items           []ApiServerSource `json:"items"`
}
