package v1

import (
	"context"

	"github.com/skiff-sh/skiff/internal/apis"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Validate checks the sink and overrides and requires at least one
// container, each with a name and an image.
func (s *ContainerSource) Validate(ctx context.Context, old apis.Object) field.ErrorList {
	errs := duckv1.ValidateObjectMeta(&s.ObjectMeta, false)
	spec := field.NewPath("spec")
	errs = append(errs, duckv1.ValidateSourceSpec(&s.Spec.SourceSpec, spec)...)
	containers := spec.Child("template", "spec", "containers")
	if len(s.Spec.Template.Spec.Containers) == 0 {
		errs = append(errs, field.Required(containers, ""))
	}
	for i, c := range s.Spec.Template.Spec.Containers {
		if c.Name == "" {
			errs = append(errs, field.Required(containers.Index(i).Child("name"), ""))
		}
		if c.Image == "" {
			errs = append(errs, field.Required(containers.Index(i).Child("image"), ""))
		}
	}
	return errs
}
