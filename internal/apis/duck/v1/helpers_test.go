package v1

import (
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// summarize turns errs into "path: type" lines, the part of each error the
// tables pin down.
func summarize(errs field.ErrorList) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Field+": "+e.Type.String())
	}
	return out
}
