package v1

import (
	"context"

	"github.com/skiff-sh/skiff/internal/apis"
)

// SetDefaults fills in the revision template as Knative's webhook does.
func (c *Configuration) SetDefaults(ctx context.Context) {
	c.Spec.Template.setDefaults(apis.ConfigFrom(ctx), &c.ObjectMeta)
}
