package v1

import "github.com/skiff-sh/skiff/internal/apis"

// Addressable is an address that accepts events, as Knative's
// duckv1.Addressable.
type Addressable struct {
	// Name of the address, such as "http" or "https".
	Name *string `json:"name,omitempty,omitzero"`
	// URL of the address.
	URL *apis.URL `json:"url,omitempty,omitzero"`
	// CACerts are the PEM certificate authorities that sign the address's
	// certificate.
	CACerts *string `json:"CACerts,omitempty,omitzero"`
	// Audience is the OIDC audience of the address.
	Audience *string `json:"audience,omitempty,omitzero"`
}

// AddressStatus is how a status embeds its addresses. When Addresses is
// set, clients ignore Address.
type AddressStatus struct {
	Address   *Addressable  `json:"address,omitempty,omitzero"`
	Addresses []Addressable `json:"addresses,omitempty,omitzero"`
}

// AuthStatus names the service accounts an object's deliveries run as.
type AuthStatus struct {
	ServiceAccountName  *string  `json:"serviceAccountName,omitempty,omitzero"`
	ServiceAccountNames []string `json:"serviceAccountNames,omitempty,omitzero"`
}
