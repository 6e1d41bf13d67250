package v1

import "context"

// The event modes of an ApiServerSource.
const (
	// ReferenceMode sends a reference to the changed object.
	ReferenceMode = "Reference"
	// ResourceMode sends the changed object.
	ResourceMode = "Resource"
)

// SetDefaults sets the Reference mode and the "default" service account,
// and fills in the sink's namespace.
func (s *ApiServerSource) SetDefaults(ctx context.Context) {
	if s.Spec.EventMode == "" {
		s.Spec.EventMode = ReferenceMode
	}
	if s.Spec.ServiceAccountName == "" {
		s.Spec.ServiceAccountName = "default"
	}
	s.Spec.Sink.SetDefaults(s.Namespace)
}
