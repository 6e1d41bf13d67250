package v1

import (
	"context"

	"github.com/skiff-sh/skiff/internal/apis"
	messagingv1 "github.com/skiff-sh/skiff/internal/apis/messaging/v1"
)

// SetDefaults gives the Parallel the cluster's default channel template and
// fills in the namespaces of its references.
func (p *Parallel) SetDefaults(ctx context.Context) {
	if p.Spec.ChannelTemplate == nil {
		d := apis.ConfigFrom(ctx).DefaultChannel
		p.Spec.ChannelTemplate = messagingv1.DefaultChannelTemplate(d.APIVersion, d.Kind)
	}
	for i := range p.Spec.Branches {
		b := &p.Spec.Branches[i]
		b.Filter.SetDefaults(p.Namespace)
		b.Subscriber.SetDefaults(p.Namespace)
		b.Reply.SetDefaults(p.Namespace)
		b.Delivery.SetDefaults(p.Namespace)
	}
	p.Spec.Reply.SetDefaults(p.Namespace)
}
