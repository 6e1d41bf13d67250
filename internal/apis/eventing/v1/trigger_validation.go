package v1

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/skiff-sh/skiff/internal/apis"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// validAttributeName is Knative's rule for filter attribute names: lower
// case letters and digits, starting with a letter.
var validAttributeName = regexp.MustCompile(`^[a-z][a-z0-9]*$`)

const attributeNameDetail = "Attribute name must start with a letter and can only contain lowercase alphanumeric"

// Validate checks the Trigger as Knative's webhook does: spec.broker is
// required and immutable, filter attribute names are valid, each filters
// entry uses at most one dialect, the subscriber is a valid destination, and
// the dependency and injection annotations are well formed.
func (t *Trigger) Validate(ctx context.Context, old apis.Object) field.ErrorList {
	errs := duckv1.ValidateObjectMeta(&t.ObjectMeta, false)
	spec := field.NewPath("spec")
	if t.Spec.Broker == "" {
		errs = append(errs, field.Required(spec.Child("broker"), ""))
	}
	if t.Spec.Filter != nil {
		errs = append(errs, ValidateAttributeNames(t.Spec.Filter.Attributes, spec.Child("filter", "attributes"))...)
	}
	errs = append(errs, ValidateSubscriptionsAPIFilters(t.Spec.Filters, spec.Child("filters"))...)
	errs = append(errs, duckv1.ValidateDestination(t.Spec.Subscriber, spec.Child("subscriber"))...)
	errs = append(errs, duckv1.ValidateDeliverySpec(t.Spec.Delivery, spec.Child("delivery"))...)
	errs = append(errs, t.validateDependencyAnnotation()...)
	errs = append(errs, t.validateInjectionAnnotation()...)
	if o, ok := old.(*Trigger); ok && o != nil {
		errs = append(errs, duckv1.CheckImmutable(spec.Child("broker"), o.Spec.Broker, t.Spec.Broker)...)
	}
	return errs
}

// dependencyRef is the JSON object reference of the dependency annotation.
type dependencyRef struct {
	Kind       string `json:"kind,omitempty,omitzero"`
	Namespace  string `json:"namespace,omitempty,omitzero"`
	Name       string `json:"name,omitempty,omitzero"`
	APIVersion string `json:"apiVersion,omitempty,omitzero"`
}

// DependencyRef parses the Trigger's dependency annotation; ok is false
// when there is none.
func (t *Trigger) DependencyRef() (ref duckv1.KReference, ok bool, err error) {
	v, ok := t.Annotations[DependencyAnnotation]
	if !ok {
		return ref, false, nil
	}
	var d dependencyRef
	if err := json.Unmarshal([]byte(v), &d); err != nil {
		return ref, true, fmt.Errorf("parse %s annotation: %w", DependencyAnnotation, err)
	}
	return duckv1.KReference{Kind: d.Kind, Namespace: d.Namespace, Name: d.Name, APIVersion: d.APIVersion}, true, nil
}

func (t *Trigger) validateDependencyAnnotation() field.ErrorList {
	path := field.NewPath("metadata", "annotations").Key(DependencyAnnotation)
	ref, ok, err := t.DependencyRef()
	if !ok {
		return nil
	}
	if err != nil {
		return field.ErrorList{field.Invalid(path, t.Annotations[DependencyAnnotation],
			fmt.Sprintf("The provided annotation was not a corev1.ObjectReference: %v", err))}
	}
	var errs field.ErrorList
	if ref.Namespace != "" && ref.Namespace != t.Namespace {
		errs = append(errs, field.Invalid(path.Child("namespace"), ref.Namespace,
			fmt.Sprintf("Namespace must be empty or equal to the trigger namespace %q", t.Namespace)))
	}
	if ref.Kind == "" {
		errs = append(errs, field.Required(path.Child("kind"), ""))
	}
	if ref.Name == "" {
		errs = append(errs, field.Required(path.Child("name"), ""))
	}
	if ref.APIVersion == "" {
		errs = append(errs, field.Required(path.Child("apiVersion"), ""))
	}
	return errs
}

func (t *Trigger) validateInjectionAnnotation() field.ErrorList {
	v, ok := t.Annotations[InjectionAnnotation]
	if !ok {
		return nil
	}
	path := field.NewPath("metadata", "annotations").Key(InjectionAnnotation)
	if v != "enabled" && v != "disabled" {
		return field.ErrorList{field.Invalid(path, v,
			fmt.Sprintf(`The provided injection annotation value can only be "enabled" or "disabled", not %q`, v))}
	}
	if t.Spec.Broker != "default" {
		return field.ErrorList{field.Invalid(path, v,
			fmt.Sprintf("The provided injection annotation is only used for default broker, but non-default broker specified here: %q", t.Spec.Broker))}
	}
	return nil
}

// ValidateAttributeNames checks the keys of a filter's attribute map. path
// is the path of the map.
func ValidateAttributeNames(attrs map[string]string, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, k := range sortedKeys(attrs) {
		if !validAttributeName.MatchString(k) {
			errs = append(errs, field.Invalid(path.Key(k), k, attributeNameDetail))
		}
	}
	return errs
}

// ValidateSubscriptionsAPIFilters checks a list of Subscriptions API
// filters with Knative's rules: each entry sets at most one dialect; exact,
// prefix and suffix hold one attribute with a valid name; all, any and not
// nest further filters; cesql is a non-blank expression. path is the path
// of the list.
func ValidateSubscriptionsAPIFilters(filters []SubscriptionsAPIFilter, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i := range filters {
		errs = append(errs, validateSubscriptionsAPIFilter(&filters[i], path.Index(i))...)
	}
	return errs
}

func validateSubscriptionsAPIFilter(f *SubscriptionsAPIFilter, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if d := f.dialects(); len(d) > 1 {
		errs = append(errs, field.Invalid(path, strings.Join(d, ", "),
			"multiple dialects found, filters can have only one dialect set"))
	}
	errs = append(errs, validateSingleAttributeMap(f.Exact, path.Child("exact"))...)
	errs = append(errs, validateSingleAttributeMap(f.Prefix, path.Child("prefix"))...)
	errs = append(errs, validateSingleAttributeMap(f.Suffix, path.Child("suffix"))...)
	errs = append(errs, ValidateSubscriptionsAPIFilters(f.All, path.Child("all"))...)
	errs = append(errs, ValidateSubscriptionsAPIFilters(f.Any, path.Child("any"))...)
	if f.Not != nil {
		errs = append(errs, validateSubscriptionsAPIFilter(f.Not, path.Child("not"))...)
	}
	// The expression itself is parsed by the CESQL engine of the eventing
	// data plane; admission only rules out a blank one.
	if f.SQL != "" && strings.TrimSpace(f.SQL) == "" {
		errs = append(errs, field.Invalid(path.Child("cesql"), f.SQL, "expression must not be blank"))
	}
	return errs
}

// dialects lists the dialects f sets; empty maps and lists set none, as in
// Knative.
func (f *SubscriptionsAPIFilter) dialects() []string {
	var d []string
	if len(f.Exact) > 0 {
		d = append(d, "exact")
	}
	if len(f.Prefix) > 0 {
		d = append(d, "prefix")
	}
	if len(f.Suffix) > 0 {
		d = append(d, "suffix")
	}
	if len(f.All) > 0 {
		d = append(d, "all")
	}
	if len(f.Any) > 0 {
		d = append(d, "any")
	}
	if f.Not != nil {
		d = append(d, "not")
	}
	if f.SQL != "" {
		d = append(d, "cesql")
	}
	return d
}

func validateSingleAttributeMap(m map[string]string, path *field.Path) field.ErrorList {
	if len(m) == 0 {
		return nil
	}
	if len(m) > 1 {
		return field.ErrorList{field.Invalid(path, strings.Join(sortedKeys(m), ", "),
			"Multiple items found, can have only one key-value")}
	}
	return ValidateAttributeNames(m, path)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
