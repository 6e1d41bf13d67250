package v1beta1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiff-sh/skiff/internal/apis"
	servingv1 "github.com/skiff-sh/skiff/internal/apis/serving/v1"
)

// DomainMapping maps the domain name in its name to an addressable object.
type DomainMapping struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty,omitzero"`

	// Spec names the target and the TLS secret.
	Spec DomainMappingSpec `json:"spec,omitempty,omitzero"`
	// Status holds the URL and conditions.
	Status DomainMappingStatus `json:"status,omitempty,omitzero"`
}

var _ apis.Object = (*DomainMapping)(nil)

// DomainMappingSpec is the desired state of a DomainMapping.
type DomainMappingSpec struct {
	// Ref is the target: an Addressable whose URL has the form
	// {name}.{namespace}.{domain}, such as a Knative Service or Route.
	Ref KReference `json:"ref"`
	// TLS terminates TLS with an existing secret.
	TLS *SecretTLS `json:"tls,omitempty,omitzero"`
}

// KReference is Knative's reference to an object in the same namespace.
type KReference struct {
	// Kind of the referent.
	Kind string `json:"kind"`
	// Namespace of the referent; it defaults to, and must equal, the
	// DomainMapping's.
	Namespace string `json:"namespace,omitempty,omitzero"`
	// Name of the referent.
	Name string `json:"name"`
	// APIVersion of the referent.
	APIVersion string `json:"apiVersion,omitempty,omitzero"`
}

// SecretTLS names the secret that holds the TLS certificate and key.
type SecretTLS struct {
	// SecretName is a kubernetes.io/tls Secret in the same namespace.
	SecretName string `json:"secretName"`
}

// DomainMappingStatus is the observed state of a DomainMapping.
type DomainMappingStatus struct {
	apis.Status `json:",inline"`

	// URL is the mapped URL.
	URL *apis.URL `json:"url,omitempty,omitzero"`
	// Address is where the mapping is reached.
	Address *servingv1.Addressable `json:"address,omitempty,omitzero"`
}
