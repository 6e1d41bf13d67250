package v1

import (
	"github.com/skiff-sh/skiff/internal/apis"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// SinkBinding injects its resolved sink (K_SINK) and CloudEvent overrides
// (K_CE_OVERRIDES) into the workloads its subject selects.
type SinkBinding struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty,omitzero"`

	// Spec is the desired state of the SinkBinding.
	Spec SinkBindingSpec `json:"spec"`
	// Status is the observed state of the SinkBinding.
	Status SinkBindingStatus `json:"status"`
}

var _ apis.Object = (*SinkBinding)(nil)

// SinkBindingSpec is the desired state of a SinkBinding.
type SinkBindingSpec struct {
	// SourceSpec holds the sink and the CloudEvent overrides.
	duckv1.SourceSpec `json:",inline"`
	// BindingSpec holds the subject.
	duckv1.BindingSpec `json:",inline"`
}

// SinkBindingStatus is the observed state of a SinkBinding.
type SinkBindingStatus struct {
	duckv1.SourceStatus `json:",inline"`
	// OIDCTokenSecretName names the secret holding the subject's OIDC
	// token.
	OIDCTokenSecretName *string `json:"oidcTokenSecretName,omitempty,omitzero"`
}

// SinkBindingList is a list of SinkBindings.
type SinkBindingList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty,omitzero"`
	Items           []SinkBinding `json:"items"`
}
