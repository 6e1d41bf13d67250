package v1

import (
	"context"

	"github.com/skiff-sh/skiff/internal/apis"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Validate requires a channel (apiVersion, kind and name, no namespace) and
// at least one of subscriber and reply, checks the destinations and the
// delivery, and on update keeps everything but subscriber and reply
// unchanged. Knative's strict-subscriber feature, which requires a
// subscriber, is off.
func (s *Subscription) Validate(ctx context.Context, old apis.Object) field.ErrorList {
	errs := duckv1.ValidateObjectMeta(&s.ObjectMeta, false)
	spec := field.NewPath("spec")
	if s.Spec.Channel == (duckv1.KReference{}) {
		return append(errs, field.Required(spec.Child("channel"), "the Subscription must reference a channel"))
	}
	errs = append(errs, duckv1.ValidateKReference(&s.Spec.Channel, spec.Child("channel"))...)
	if s.Spec.Channel.Namespace != "" {
		errs = append(errs, field.Forbidden(spec.Child("channel", "namespace"),
			"must not set the field(s): only name, apiVersion and kind are supported fields"))
	}
	missingSubscriber, missingReply := s.Spec.Subscriber.IsEmpty(), s.Spec.Reply.IsEmpty()
	if missingSubscriber && missingReply {
		errs = append(errs, field.Required(spec.Child("subscriber"),
			"the Subscription must reference at least one of (reply or a subscriber)"))
	}
	if !missingSubscriber {
		errs = append(errs, duckv1.ValidateDestination(*s.Spec.Subscriber, spec.Child("subscriber"))...)
	}
	if !missingReply {
		errs = append(errs, duckv1.ValidateDestination(*s.Spec.Reply, spec.Child("reply"))...)
	}
	errs = append(errs, duckv1.ValidateDeliverySpec(s.Spec.Delivery, spec.Child("delivery"))...)
	if o, ok := old.(*Subscription); ok && o != nil {
		errs = append(errs, duckv1.CheckImmutable(spec.Child("channel"), o.Spec.Channel, s.Spec.Channel)...)
		errs = append(errs, duckv1.CheckImmutable(spec.Child("delivery"), o.Spec.Delivery, s.Spec.Delivery)...)
	}
	return errs
}
