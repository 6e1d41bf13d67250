package v1

import (
	"github.com/skiff-sh/skiff/internal/apis"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PingSource sends a fixed event to its sink on a cron schedule.
type PingSource struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty,omitzero"`

	// Spec is the desired state of the PingSource.
	Spec PingSourceSpec `json:"spec,omitempty,omitzero"`
	// Status is the observed state of the PingSource.
	Status PingSourceStatus `json:"status,omitempty,omitzero"`
}

var _ apis.Object = (*PingSource)(nil)

// PingSourceSpec is the desired state of a PingSource.
type PingSourceSpec struct {
	// SourceSpec holds the sink and the CloudEvent overrides.
	duckv1.SourceSpec `json:",inline"`
	// Schedule is a standard five-field cron schedule or a descriptor such
	// as @hourly; defaults to "* * * * *".
	Schedule string `json:"schedule,omitempty,omitzero"`
	// Timezone is the IANA time zone of the schedule; the system's when
	// empty.
	Timezone string `json:"timezone,omitempty,omitzero"`
	// ContentType is the media type of Data or DataBase64.
	ContentType string `json:"contentType,omitempty,omitzero"`
	// Data is the event body. Mutually exclusive with DataBase64.
	Data string `json:"data,omitempty,omitzero"`
	// DataBase64 is the base64 of the event body. Mutually exclusive with
	// Data.
	DataBase64 string `json:"dataBase64,omitempty,omitzero"`
}

// PingSourceStatus is the observed state of a PingSource.
type PingSourceStatus struct {
	duckv1.SourceStatus `json:",inline"`
}

// PingSourceList is a list of PingSources.
type PingSourceList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty,omitzero"`
	Items           []PingSource `json:"items"`
}
