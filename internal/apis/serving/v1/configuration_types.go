package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiff-sh/skiff/internal/apis"
)

// Configuration is the floating head of a linear history of Revisions:
// each change of its template stamps out a new Revision.
type Configuration struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty,omitzero"`

	// Spec holds the revision template.
	Spec ConfigurationSpec `json:"spec,omitempty,omitzero"`
	// Status names the latest created and ready Revisions.
	Status ConfigurationStatus `json:"status,omitempty,omitzero"`
}

var _ apis.Object = (*Configuration)(nil)

// ConfigurationSpec holds the template of the Configuration's Revisions.
type ConfigurationSpec struct {
	// Template is stamped into a new Revision whenever it changes.
	Template RevisionTemplateSpec `json:"template"`
}

// ConfigurationStatusFields are the status fields a Configuration shares
// with a Service.
type ConfigurationStatusFields struct {
	// LatestReadyRevisionName is the newest Revision that became Ready.
	LatestReadyRevisionName string `json:"latestReadyRevisionName,omitempty,omitzero"`
	// LatestCreatedRevisionName is the newest Revision stamped out.
	LatestCreatedRevisionName string `json:"latestCreatedRevisionName,omitempty,omitzero"`
}

// ConfigurationStatus is the observed state of a Configuration.
type ConfigurationStatus struct {
	apis.Status               `json:",inline"`
	ConfigurationStatusFields `json:",inline"`
}
