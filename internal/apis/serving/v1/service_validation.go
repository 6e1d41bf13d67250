package v1

import (
	"context"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/apis"
)

// Validate checks the metadata (the visibility label, the rollout duration,
// no autoscaling annotations), the template, the traffic split (whose
// targets may not name a Configuration), and, on update, that a user-named
// template is renamed whenever it changes.
func (s *Service) Validate(ctx context.Context, old apis.Object) field.ErrorList {
	cfg := apis.ConfigFrom(ctx)
	ap := metadataPath.Child("annotations")
	errs := validateObjectMeta(&s.ObjectMeta)
	errs = append(errs, validateNoAutoscalingAnnotations(s.Annotations, ap)...)
	errs = append(errs, validateRolloutDuration(s.Annotations, ap)...)
	errs = append(errs, validateVisibilityLabel(s.Labels, metadataPath.Child("labels"))...)

	sp := field.NewPath("spec")
	tp := sp.Child("template")
	errs = append(errs, s.Spec.Template.validate(cfg, &s.ObjectMeta, tp)...)
	errs = append(errs, s.Spec.RouteSpec.validate(true, sp)...)
	if o, ok := old.(*Service); ok && o != nil {
		errs = append(errs, s.Spec.Template.verifyNameChange(&o.Spec.Template, tp)...)
	}
	return errs
}
