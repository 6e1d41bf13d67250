package v1

import (
	"context"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/apis"
)

// Validate checks the metadata (no autoscaling annotations: they belong on
// the template), the template, and, on update, that a user-named template
// is renamed whenever it changes.
func (c *Configuration) Validate(ctx context.Context, old apis.Object) field.ErrorList {
	cfg := apis.ConfigFrom(ctx)
	errs := validateObjectMeta(&c.ObjectMeta)
	errs = append(errs, validateNoAutoscalingAnnotations(c.Annotations, metadataPath.Child("annotations"))...)
	errs = append(errs, verifyLabelOwnerRef(&c.ObjectMeta, ServiceLabelKey, "Service", metadataPath.Child("labels"))...)

	tp := field.NewPath("spec", "template")
	errs = append(errs, c.Spec.Template.validate(cfg, &c.ObjectMeta, tp)...)
	if o, ok := old.(*Configuration); ok && o != nil {
		errs = append(errs, c.Spec.Template.verifyNameChange(&o.Spec.Template, tp)...)
	}
	return errs
}
