package v1

import "context"

// SetDefaults fills in the namespaces of the delivery references. Like
// Knative it leaves spec.channel, subscriber and reply alone.
func (s *Subscription) SetDefaults(ctx context.Context) {
	s.Spec.Delivery.SetDefaults(s.Namespace)
}
