package v1

import (
	"context"

	"github.com/skiff-sh/skiff/internal/apis"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Validate checks that each subscriber has a subscriber or reply URI, that
// the scope annotation is "cluster" or "namespace", and the deliveries. The
// name is a DNS-1123 label, as it becomes part of the channel's host.
func (imc *InMemoryChannel) Validate(ctx context.Context, old apis.Object) field.ErrorList {
	errs := duckv1.ValidateObjectMeta(&imc.ObjectMeta, true)
	spec := field.NewPath("spec")
	for i, s := range imc.Spec.Subscribers {
		p := spec.Child("subscribers").Index(i)
		if s.SubscriberURI == nil && s.ReplyURI == nil {
			errs = append(errs, field.Required(p, "expected at least one of, got none: replyUri, subscriberUri"))
		}
		errs = append(errs, duckv1.ValidateDeliverySpec(s.Delivery, p.Child("delivery"))...)
	}
	errs = append(errs, duckv1.ValidateDeliverySpec(imc.Spec.Delivery, spec.Child("delivery"))...)
	if scope, ok := imc.Annotations[ScopeAnnotationKey]; ok && scope != "cluster" && scope != "namespace" {
		errs = append(errs, field.Invalid(field.NewPath("metadata", "annotations").Key(ScopeAnnotationKey), scope,
			"expected either 'cluster' or 'namespace'"))
	}
	return errs
}
