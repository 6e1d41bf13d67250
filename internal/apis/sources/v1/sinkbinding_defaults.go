package v1

import "context"

// SetDefaults puts the subject in the SinkBinding's namespace and fills in
// the sink's namespace.
func (b *SinkBinding) SetDefaults(ctx context.Context) {
	if b.Spec.Subject.Namespace == "" {
		b.Spec.Subject.Namespace = b.Namespace
	}
	b.Spec.Sink.SetDefaults(b.Namespace)
}
