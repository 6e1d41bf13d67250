package v1

import (
	"encoding/pem"

	"github.com/skiff-sh/skiff/internal/apis"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Destination is the target of an invocation over HTTP: an Addressable
// reference, an absolute URI, or a reference plus a URI relative to it.
type Destination struct {
	// Ref points to an Addressable.
	Ref *KReference `json:"ref,omitempty,omitzero"`
	// URI is an absolute URL, or a relative one resolved against Ref's.
	URI *apis.URL `json:"uri,omitempty,omitzero"`
	// CACerts are PEM certificate authorities trusted in addition to the
	// target's.
	CACerts *string `json:"CACerts,omitempty,omitzero"`
	// Audience is the OIDC audience of the target.
	Audience *string `json:"audience,omitempty,omitzero"`
}

// SetDefaults fills in the reference's namespace with the namespace of the
// holding object.
func (d *Destination) SetDefaults(namespace string) {
	if d != nil && d.Ref != nil {
		d.Ref.SetDefaults(namespace)
	}
}

// IsEmpty reports whether d sets nothing.
func (d *Destination) IsEmpty() bool {
	return d == nil || (d.Ref == nil && d.URI == nil && d.CACerts == nil && d.Audience == nil)
}

// ValidateDestination applies Knative's Destination rules: at least one of
// ref and uri; a uri on its own is absolute with a host; a uri next to a ref
// is relative; the ref names kind, apiVersion and name; CACerts, when set,
// are PEM certificates. path is the path of d.
func ValidateDestination(d Destination, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch {
	case d.Ref == nil && d.URI == nil:
		return field.ErrorList{field.Required(path, "expected at least one, got none: ref, uri")}
	case d.Ref != nil && d.URI != nil && d.URI.URL().IsAbs():
		errs = append(errs, field.Invalid(path.Child("uri"), d.URI.String(),
			"Absolute URI is not allowed when Ref or [apiVersion, kind, name] is present"))
	case d.Ref == nil && (!d.URI.URL().IsAbs() || d.URI.Host == ""):
		errs = append(errs, field.Invalid(path.Child("uri"), d.URI.String(),
			"Relative URI is not allowed when Ref and [apiVersion, kind, name] is absent"))
	}
	if d.Ref != nil {
		errs = append(errs, ValidateKReference(d.Ref, path.Child("ref"))...)
	}
	if d.CACerts != nil {
		errs = append(errs, validateCACerts(*d.CACerts, path.Child("CACerts"))...)
	}
	return errs
}

// validateCACerts checks that certs holds at least one PEM block and that
// every block is a certificate.
func validateCACerts(certs string, path *field.Path) field.ErrorList {
	rest := []byte(certs)
	n := 0
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		n++
		if block.Type != "CERTIFICATE" {
			return field.ErrorList{field.Invalid(path, block.Type, "CA Cert provided is not a certificate")}
		}
	}
	if n == 0 {
		return field.ErrorList{field.Invalid(path, "", "CA Cert provided is invalid")}
	}
	return nil
}
