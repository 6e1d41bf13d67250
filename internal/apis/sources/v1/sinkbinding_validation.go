package v1

import (
	"context"

	"github.com/skiff-sh/skiff/internal/apis"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Validate checks the subject (apiVersion, kind, namespace and exactly one
// of name and selector, in the SinkBinding's own namespace) and the sink
// and overrides.
func (b *SinkBinding) Validate(ctx context.Context, old apis.Object) field.ErrorList {
	errs := duckv1.ValidateObjectMeta(&b.ObjectMeta, false)
	spec := field.NewPath("spec")
	errs = append(errs, duckv1.ValidateTrackerReference(&b.Spec.Subject, spec.Child("subject"))...)
	errs = append(errs, duckv1.ValidateSourceSpec(&b.Spec.SourceSpec, spec)...)
	if ns := b.Spec.Subject.Namespace; ns != "" && ns != b.Namespace {
		errs = append(errs, field.Invalid(spec.Child("subject", "namespace"), ns, "must be the SinkBinding's namespace"))
	}
	return errs
}
