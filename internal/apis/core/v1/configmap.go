package v1

import (
	"context"
	"maps"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/apis"
)

// MaxDataSize is the most data, in bytes, a ConfigMap or Secret may hold
// (Kubernetes' MaxSecretSize, 1 MiB).
const MaxDataSize = 1 * 1024 * 1024

// immutableMsg is Kubernetes' wording for changes to immutable data.
const immutableMsg = "field is immutable when `immutable` is set"

// ConfigMap holds configuration data as string or binary values.
type ConfigMap struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty,omitzero"`

	// Immutable forbids changing data and binaryData once set to true.
	Immutable *bool `json:"immutable,omitempty,omitzero"`
	// Data holds UTF-8 values.
	Data map[string]string `json:"data,omitempty,omitzero"`
	// BinaryData holds binary values (base64 in JSON).
	BinaryData map[string][]byte `json:"binaryData,omitempty,omitzero"`
}

var _ apis.Object = (*ConfigMap)(nil)

// SetDefaults does nothing: Kubernetes defaults no ConfigMap field.
func (*ConfigMap) SetDefaults(context.Context) {}

// Validate checks the name (a DNS-1123 subdomain), the keys, that no key is
// in both data and binaryData, the total size, and, on update, that an
// immutable ConfigMap keeps its data.
func (c *ConfigMap) Validate(_ context.Context, old apis.Object) field.ErrorList {
	errs := ValidateObjectMeta(&c.ObjectMeta, true, NameIsDNSSubdomain, field.NewPath("metadata"))
	size := 0
	for k, v := range c.Data {
		errs = append(errs, validateDataKey(field.NewPath("data").Key(k), k)...)
		size += len(v)
	}
	for k, v := range c.BinaryData {
		p := field.NewPath("binaryData").Key(k)
		errs = append(errs, validateDataKey(p, k)...)
		if _, dup := c.Data[k]; dup {
			errs = append(errs, field.Invalid(p, k, "duplicate of key present in data"))
		}
		size += len(v)
	}
	if size > MaxDataSize {
		errs = append(errs, field.TooLong(field.NewPath(""), "", MaxDataSize))
	}
	if o, ok := old.(*ConfigMap); ok && o != nil && isTrue(o.Immutable) {
		if !isTrue(c.Immutable) {
			errs = append(errs, field.Forbidden(field.NewPath("immutable"), immutableMsg))
		}
		if !maps.Equal(o.Data, c.Data) {
			errs = append(errs, field.Forbidden(field.NewPath("data"), immutableMsg))
		}
		if !maps.EqualFunc(o.BinaryData, c.BinaryData, bytesEqual) {
			errs = append(errs, field.Forbidden(field.NewPath("binaryData"), immutableMsg))
		}
	}
	return errs
}

func validateDataKey(p *field.Path, k string) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range validation.IsConfigMapKey(k) {
		errs = append(errs, field.Invalid(p, k, msg))
	}
	return errs
}

func isTrue(b *bool) bool { return b != nil && *b }

func bytesEqual(a, b []byte) bool { return string(a) == string(b) }
