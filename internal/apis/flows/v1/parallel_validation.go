package v1

import (
	"context"

	"github.com/skiff-sh/skiff/internal/apis"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Validate requires at least one branch, each with a valid subscriber, and
// a channel template, and checks the filters, replies and deliveries. (Knative
// leaves a branch's delivery to the Subscription it becomes; skiff rejects a
// bad one up front.) The name is a DNS-1123 label, as it names the
// Parallel's channels.
func (p *Parallel) Validate(ctx context.Context, old apis.Object) field.ErrorList {
	errs := duckv1.ValidateObjectMeta(&p.ObjectMeta, true)
	spec := field.NewPath("spec")
	if len(p.Spec.Branches) == 0 {
		errs = append(errs, field.Required(spec.Child("branches"), ""))
	}
	for i := range p.Spec.Branches {
		b := &p.Spec.Branches[i]
		bp := spec.Child("branches").Index(i)
		if b.Filter != nil {
			errs = append(errs, duckv1.ValidateDestination(*b.Filter, bp.Child("filter"))...)
		}
		errs = append(errs, duckv1.ValidateDestination(b.Subscriber, bp.Child("subscriber"))...)
		if b.Reply != nil {
			errs = append(errs, duckv1.ValidateDestination(*b.Reply, bp.Child("reply"))...)
		}
		errs = append(errs, duckv1.ValidateDeliverySpec(b.Delivery, bp.Child("delivery"))...)
	}
	errs = append(errs, validateChannelTemplate(p.Spec.ChannelTemplate, spec.Child("channelTemplate"))...)
	if p.Spec.Reply != nil {
		errs = append(errs, duckv1.ValidateDestination(*p.Spec.Reply, spec.Child("reply"))...)
	}
	return errs
}
