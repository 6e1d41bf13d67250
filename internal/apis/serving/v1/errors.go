package v1

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// disallowedMsg is Knative's wording for a field that may not be set.
const disallowedMsg = "must not set the field(s)"

// outOfBounds is Knative's ErrOutOfBoundsValue: "expected lo <= v <= hi".
func outOfBounds(p *field.Path, value, lower, upper any) *field.Error {
	return field.Invalid(p, value, fmt.Sprintf("expected %v <= %v <= %v", lower, value, upper))
}

// disallowed is Knative's ErrDisallowedFields.
func disallowed(p *field.Path) *field.Error {
	return field.Forbidden(p, disallowedMsg)
}

// missingOneOf is Knative's ErrMissingOneOf, reported on the parent path.
func missingOneOf(p *field.Path, names ...string) *field.Error {
	return field.Required(p, "expected exactly one, got neither: "+strings.Join(names, ", "))
}

// multipleOneOf is Knative's ErrMultipleOneOf, reported on the parent path.
func multipleOneOf(p *field.Path, names ...string) *field.Error {
	return field.Forbidden(p, "expected exactly one, got both: "+strings.Join(names, ", "))
}
