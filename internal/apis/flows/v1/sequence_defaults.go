package v1

import (
	"context"

	"github.com/skiff-sh/skiff/internal/apis"
	messagingv1 "github.com/skiff-sh/skiff/internal/apis/messaging/v1"
)

// SetDefaults gives the Sequence the cluster's default channel template and
// fills in the namespaces of its references.
func (s *Sequence) SetDefaults(ctx context.Context) {
	if s.Spec.ChannelTemplate == nil {
		d := apis.ConfigFrom(ctx).DefaultChannel
		s.Spec.ChannelTemplate = messagingv1.DefaultChannelTemplate(d.APIVersion, d.Kind)
	}
	// Knative means to default the steps' namespaces but ranges over copies
	// of the steps; skiff does what it means.
	for i := range s.Spec.Steps {
		s.Spec.Steps[i].Destination.SetDefaults(s.Namespace)
		s.Spec.Steps[i].Delivery.SetDefaults(s.Namespace)
	}
	s.Spec.Reply.SetDefaults(s.Namespace)
}
