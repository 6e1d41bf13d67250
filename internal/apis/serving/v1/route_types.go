package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiff-sh/skiff/internal/apis"
)

// Route sends traffic to Revisions, directly or through Configurations,
// and gives each tagged target a URL of its own.
type Route struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty,omitzero"`

	// Spec holds the traffic split.
	Spec RouteSpec `json:"spec,omitempty,omitzero"`
	// Status holds the URLs and the resolved traffic split.
	Status RouteStatus `json:"status,omitempty,omitzero"`
}

var _ apis.Object = (*Route)(nil)

// TrafficTarget is one share of a Route's traffic.
type TrafficTarget struct {
	// Tag gives the target a URL of its own.
	Tag string `json:"tag,omitempty,omitzero"`
	// RevisionName pins the target to a Revision.
	RevisionName string `json:"revisionName,omitempty,omitzero"`
	// ConfigurationName follows a Configuration's latest ready Revision.
	ConfigurationName string `json:"configurationName,omitempty,omitzero"`
	// LatestRevision tells whether the target follows the latest ready
	// Revision (true) or is pinned to RevisionName (false).
	LatestRevision *bool `json:"latestRevision,omitempty,omitzero"`
	// Percent is the share of traffic; the shares sum to 100.
	Percent *int64 `json:"percent,omitempty,omitzero"`
	// URL is the tag's URL, in status only.
	URL *apis.URL `json:"url,omitempty,omitzero"`
}

// RouteSpec is the traffic split of a Route.
type RouteSpec struct {
	// Traffic lists the targets and their shares.
	Traffic []TrafficTarget `json:"traffic,omitempty,omitzero"`
}

// Addressable is Knative's duck type for something that can receive
// requests.
type Addressable struct {
	// Name tells apart several addresses.
	Name *string `json:"name,omitempty,omitzero"`
	// URL is the address.
	URL *apis.URL `json:"url,omitempty,omitzero"`
	// CACerts are the PEM certificates to trust for an https URL.
	CACerts *string `json:"CACerts,omitempty,omitzero"`
	// Audience is the OIDC audience of the address.
	Audience *string `json:"audience,omitempty,omitzero"`
}

// RouteStatusFields are the status fields a Route shares with a Service.
type RouteStatusFields struct {
	// URL is where the Route is reached from outside.
	URL *apis.URL `json:"url,omitempty,omitzero"`
	// Address is where the Route is reached from inside.
	Address *Addressable `json:"address,omitempty,omitzero"`
	// Traffic is the split with every target resolved to a Revision.
	Traffic []TrafficTarget `json:"traffic,omitempty,omitzero"`
}

// RouteStatus is the observed state of a Route.
type RouteStatus struct {
	apis.Status       `json:",inline"`
	RouteStatusFields `json:",inline"`
}
