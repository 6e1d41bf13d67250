package v1

import (
	"encoding/json"
	"reflect"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// CheckImmutable reports, in Knative's wording, a field at path whose value
// changed from old to new on update; it returns nil when they are equal.
// The detail shows both values as JSON.
func CheckImmutable(path *field.Path, old, new any) field.ErrorList {
	if reflect.DeepEqual(old, new) {
		return nil
	}
	o, _ := json.Marshal(old)
	n, _ := json.Marshal(new)
	if string(o) == string(n) {
		return nil
	}
	return field.ErrorList{field.Forbidden(path, "Immutable fields changed (-old +new): -"+string(o)+" +"+string(n))}
}
