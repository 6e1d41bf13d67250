package v1

import (
	"context"

	"github.com/skiff-sh/skiff/internal/apis"
)

// SetDefaults fills in the revision template and, when there is no traffic
// split, sends all traffic to the latest Revision, as Knative's webhook
// does.
func (s *Service) SetDefaults(ctx context.Context) {
	s.Spec.Template.setDefaults(apis.ConfigFrom(ctx), &s.ObjectMeta)
	s.Spec.RouteSpec.setDefaults(true)
}
