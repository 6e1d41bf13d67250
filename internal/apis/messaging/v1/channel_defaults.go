package v1

import (
	"context"

	"github.com/skiff-sh/skiff/internal/apis"
)

// SetDefaults records the subscribable duck version, gives the Channel the
// cluster's default channel template and fills in the namespaces of the
// delivery references.
func (c *Channel) SetDefaults(ctx context.Context) {
	setSubscribableAnnotation(&c.ObjectMeta.Annotations)
	if c.Spec.ChannelTemplate == nil {
		d := apis.ConfigFrom(ctx).DefaultChannel
		c.Spec.ChannelTemplate = DefaultChannelTemplate(d.APIVersion, d.Kind)
	}
	c.Spec.Delivery.SetDefaults(c.Namespace)
}

func setSubscribableAnnotation(annotations *map[string]string) {
	if *annotations == nil {
		*annotations = map[string]string{}
	}
	if _, ok := (*annotations)[SubscribableDuckVersionAnnotation]; !ok {
		(*annotations)[SubscribableDuckVersionAnnotation] = "v1"
	}
}
