package v1

import (
	"context"

	"github.com/skiff-sh/skiff/internal/apis"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
	messagingv1 "github.com/skiff-sh/skiff/internal/apis/messaging/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Validate requires at least one step and a channel template, and checks
// each step's destination and delivery and the reply. The name is a
// DNS-1123 label, as it names the Sequence's channels.
func (s *Sequence) Validate(ctx context.Context, old apis.Object) field.ErrorList {
	errs := duckv1.ValidateObjectMeta(&s.ObjectMeta, true)
	spec := field.NewPath("spec")
	if len(s.Spec.Steps) == 0 {
		errs = append(errs, field.Required(spec.Child("steps"), ""))
	}
	for i := range s.Spec.Steps {
		p := spec.Child("steps").Index(i)
		errs = append(errs, duckv1.ValidateDestination(s.Spec.Steps[i].Destination, p)...)
		errs = append(errs, duckv1.ValidateDeliverySpec(s.Spec.Steps[i].Delivery, p.Child("delivery"))...)
	}
	errs = append(errs, validateChannelTemplate(s.Spec.ChannelTemplate, spec.Child("channelTemplate"))...)
	if s.Spec.Reply != nil {
		errs = append(errs, duckv1.ValidateDestination(*s.Spec.Reply, spec.Child("reply"))...)
	}
	return errs
}

func validateChannelTemplate(ct *messagingv1.ChannelTemplateSpec, path *field.Path) field.ErrorList {
	if ct == nil {
		return field.ErrorList{field.Required(path, "")}
	}
	return messagingv1.ValidateChannelTemplate(ct, path)
}
