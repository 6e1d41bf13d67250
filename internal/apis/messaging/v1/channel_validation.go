package v1

import (
	"context"

	"github.com/skiff-sh/skiff/internal/apis"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Validate requires a channel template, forbids subscribers (they belong on
// the backing channel), checks the delivery, and on update keeps everything
// but the subscribers unchanged. The name is a DNS-1123 label, as it names
// the backing channel and its host.
func (c *Channel) Validate(ctx context.Context, old apis.Object) field.ErrorList {
	errs := duckv1.ValidateObjectMeta(&c.ObjectMeta, true)
	spec := field.NewPath("spec")
	if c.Spec.ChannelTemplate == nil {
		errs = append(errs, field.Required(spec.Child("channelTemplate"), ""))
	} else {
		errs = append(errs, ValidateChannelTemplate(c.Spec.ChannelTemplate, spec.Child("channelTemplate"))...)
	}
	if len(c.Spec.Subscribers) > 0 {
		errs = append(errs, field.Forbidden(spec.Child("subscribers"), "must not set the field(s)"))
	}
	errs = append(errs, duckv1.ValidateDeliverySpec(c.Spec.Delivery, spec.Child("delivery"))...)
	if o, ok := old.(*Channel); ok && o != nil {
		errs = append(errs, duckv1.CheckImmutable(spec.Child("channelTemplate"), o.Spec.ChannelTemplate, c.Spec.ChannelTemplate)...)
		errs = append(errs, duckv1.CheckImmutable(spec.Child("delivery"), o.Spec.Delivery, c.Spec.Delivery)...)
	}
	return errs
}
