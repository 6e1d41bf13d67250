package v1

import (
	"context"

	"github.com/skiff-sh/skiff/internal/apis"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Validate requires the class annotation, checks spec.config and
// spec.delivery, and on update keeps the class and spec.config unchanged.
// spec.config may name another namespace, as Knative allows by default.
func (b *Broker) Validate(ctx context.Context, old apis.Object) field.ErrorList {
	errs := duckv1.ValidateObjectMeta(&b.ObjectMeta, false)
	classPath := field.NewPath("metadata", "annotations").Key(BrokerClassAnnotationKey)
	if b.Annotations[BrokerClassAnnotationKey] == "" {
		errs = append(errs, field.Required(classPath, ""))
	}
	spec := field.NewPath("spec")
	if b.Spec.Config != nil {
		errs = append(errs, duckv1.ValidateKReference(b.Spec.Config, spec.Child("config"))...)
	}
	errs = append(errs, duckv1.ValidateDeliverySpec(b.Spec.Delivery, spec.Child("delivery"))...)
	if o, ok := old.(*Broker); ok && o != nil {
		errs = append(errs, duckv1.CheckImmutable(spec.Child("config"), o.Spec.Config, b.Spec.Config)...)
		errs = append(errs, duckv1.CheckImmutable(classPath, o.Annotations[BrokerClassAnnotationKey], b.Annotations[BrokerClassAnnotationKey])...)
	}
	return errs
}
