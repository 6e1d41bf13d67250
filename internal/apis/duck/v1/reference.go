package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// KReference refers to another object by kind, namespace and name, as
// Knative's duckv1.KReference (a trimmed corev1.ObjectReference).
type KReference struct {
	// Kind of the referent.
	Kind string `json:"kind"`
	// Namespace of the referent; defaulted to the namespace of the object
	// holding the reference.
	Namespace string `json:"namespace,omitempty,omitzero"`
	// Name of the referent.
	Name string `json:"name"`
	// APIVersion of the referent.
	APIVersion string `json:"apiVersion"`
	// Group of the referent, an alternative to APIVersion behind Knative's
	// kreference-group feature, which skiff leaves off.
	Group string `json:"group,omitempty,omitzero"`
	// Address names one of the referent's addresses.
	Address *string `json:"address,omitempty,omitzero"`
}

// SetDefaults fills in the namespace of the holding object.
func (r *KReference) SetDefaults(namespace string) {
	if r != nil && r.Namespace == "" {
		r.Namespace = namespace
	}
}

// ValidateKReference checks that r names its kind, apiVersion and name, as
// Knative's KReference.Validate does with the group feature off. path is
// the path of r.
func ValidateKReference(r *KReference, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if r == nil {
		return field.ErrorList{
			field.Required(path.Child("name"), ""),
			field.Required(path.Child("apiVersion"), ""),
			field.Required(path.Child("kind"), ""),
		}
	}
	if r.Name == "" {
		errs = append(errs, field.Required(path.Child("name"), ""))
	}
	if r.Group != "" {
		errs = append(errs, field.Forbidden(path.Child("group"), "must not set the field(s)"))
	}
	if r.APIVersion == "" {
		errs = append(errs, field.Required(path.Child("apiVersion"), ""))
	}
	if r.Kind == "" {
		errs = append(errs, field.Required(path.Child("kind"), ""))
	}
	if r.Namespace != "" {
		for _, msg := range validation.IsDNS1123Label(r.Namespace) {
			errs = append(errs, field.Invalid(path.Child("namespace"), r.Namespace, msg))
		}
	}
	return errs
}

// TrackerReference selects objects by kind and namespace and then by name or
// label selector, as knative.dev/pkg/tracker.Reference.
type TrackerReference struct {
	APIVersion string                `json:"apiVersion"`
	Kind       string                `json:"kind"`
	Namespace  string                `json:"namespace"`
	Name       string                `json:"name,omitempty,omitzero"`
	Selector   *metav1.LabelSelector `json:"selector,omitempty,omitzero"`
}

// BindingSpec is the part of a binding's spec that names its subject.
type BindingSpec struct {
	// Subject references the resources whose runtime contract the binding
	// augments.
	Subject TrackerReference `json:"subject"`
}

// ValidateTrackerReference applies Knative's tracker.Reference rules:
// apiVersion, kind and namespace are required, and exactly one of name and
// selector is set. path is the path of r.
func ValidateTrackerReference(r *TrackerReference, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if r.APIVersion == "" {
		errs = append(errs, field.Required(path.Child("apiVersion"), ""))
	} else {
		for _, msg := range validation.IsQualifiedName(r.APIVersion) {
			errs = append(errs, field.Invalid(path.Child("apiVersion"), r.APIVersion, msg))
		}
	}
	if r.Kind == "" {
		errs = append(errs, field.Required(path.Child("kind"), ""))
	} else {
		for _, msg := range validation.IsCIdentifier(r.Kind) {
			errs = append(errs, field.Invalid(path.Child("kind"), r.Kind, msg))
		}
	}
	if r.Namespace == "" {
		errs = append(errs, field.Required(path.Child("namespace"), ""))
	} else {
		for _, msg := range validation.IsDNS1123Label(r.Namespace) {
			errs = append(errs, field.Invalid(path.Child("namespace"), r.Namespace, msg))
		}
	}
	switch {
	case r.Selector != nil && r.Name != "":
		errs = append(errs, field.Invalid(path, r.Name, "expected exactly one, got both: name, selector"))
	case r.Selector != nil:
		if _, err := metav1.LabelSelectorAsSelector(r.Selector); err != nil {
			errs = append(errs, field.Invalid(path.Child("selector"), r.Selector.String(), err.Error()))
		}
	case r.Name != "":
		for _, msg := range validation.IsDNS1123Label(r.Name) {
			errs = append(errs, field.Invalid(path.Child("name"), r.Name, msg))
		}
	default:
		errs = append(errs, field.Required(path, "expected exactly one, got neither: name, selector"))
	}
	return errs
}
