package v1

import (
	"context"
	"strings"

	"github.com/skiff-sh/skiff/internal/apis"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
	eventingv1 "github.com/skiff-sh/skiff/internal/apis/eventing/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Validate checks the mode, the sink and overrides, that there is at least
// one resource and that each resource and the owner name a parsable
// apiVersion and a kind, and the filters. Unlike Knative, which leaves it to
// the adapter, skiff also rejects label selectors that do not parse.
func (s *ApiServerSource) Validate(ctx context.Context, old apis.Object) field.ErrorList {
	errs := duckv1.ValidateObjectMeta(&s.ObjectMeta, false)
	spec := field.NewPath("spec")
	switch s.Spec.EventMode {
	case ReferenceMode, ResourceMode:
	default:
		errs = append(errs, field.NotSupported(spec.Child("mode"), s.Spec.EventMode, []string{ReferenceMode, ResourceMode}))
	}
	errs = append(errs, duckv1.ValidateSourceSpec(&s.Spec.SourceSpec, spec)...)
	if len(s.Spec.Resources) == 0 {
		errs = append(errs, field.Required(spec.Child("resources"), ""))
	}
	for i, r := range s.Spec.Resources {
		p := spec.Child("resources").Index(i)
		errs = append(errs, validateAPIVersionKind(r.APIVersion, r.Kind, p)...)
		errs = append(errs, validateSelector(r.LabelSelector, p.Child("selector"))...)
	}
	if o := s.Spec.ResourceOwner; o != nil {
		errs = append(errs, validateAPIVersionKind(o.APIVersion, o.Kind, spec.Child("owner"))...)
	}
	errs = append(errs, validateSelector(s.Spec.NamespaceSelector, spec.Child("namespaceSelector"))...)
	return append(errs, eventingv1.ValidateSubscriptionsAPIFilters(s.Spec.Filters, spec.Child("filters"))...)
}

func validateAPIVersionKind(apiVersion, kind string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if _, err := schema.ParseGroupVersion(apiVersion); err != nil {
		errs = append(errs, field.Invalid(p.Child("apiVersion"), apiVersion, err.Error()))
	}
	if strings.TrimSpace(kind) == "" {
		errs = append(errs, field.Required(p.Child("kind"), ""))
	}
	return errs
}

func validateSelector(sel *metav1.LabelSelector, p *field.Path) field.ErrorList {
	if sel == nil {
		return nil
	}
	if _, err := metav1.LabelSelectorAsSelector(sel); err != nil {
		return field.ErrorList{field.Invalid(p, sel.String(), err.Error())}
	}
	return nil
}
