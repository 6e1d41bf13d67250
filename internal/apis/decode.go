package apis

import (
	"fmt"

	kjson "sigs.k8s.io/json"
)

// Decode parses the JSON in data into v case-sensitively, as the Kubernetes
// API server does. It returns the strict-decoding problems it found (unknown
// and duplicate fields, each naming its path, such as `unknown field
// "spec.foo"`) separately from a hard error (bad syntax, wrong types), so
// that the caller can reject them (fieldValidation=Strict), warn about them
// (Warn) or drop them (Ignore). Unknown fields are never stored in v.
func Decode(data []byte, v any) (strict []string, err error) {
	errs, err := kjson.UnmarshalStrict(data, v)
	if err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	for _, e := range errs {
		strict = append(strict, e.Error())
	}
	return strict, nil
}
