package apis

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Object is implemented by a pointer to the struct of every resource kind.
// Every kind embeds metav1.TypeMeta and metav1.ObjectMeta, so the accessors of
// metav1.Object come for free.
type Object interface {
	metav1.Object

	// SetDefaults fills in what Knative's defaulting webhook would. It reads
	// cluster-wide settings through ConfigFrom(ctx).
	SetDefaults(ctx context.Context)

	// Validate applies the rules of Knative's validating webhook. old is nil on
	// create and the stored object on update, for rules about transitions such
	// as immutable fields. Paths in the returned errors start at the object's
	// root ("spec.template...").
	Validate(ctx context.Context, old Object) field.ErrorList
}

// Column is one printer column of a kind, as in a CRD's
// additionalPrinterColumns. JSONPath supports the forms Knative's CRDs use:
// ".a.b.c" and ".status.conditions[?(@.type=='Ready')].status".
type Column struct {
	Name        string
	Type        string // string, integer, date, boolean
	JSONPath    string
	Priority    int32
	Description string
}

// Kind describes one resource type of the API.
type Kind struct {
	Group      string // "" for the core group
	Version    string
	Kind       string
	ListKind   string
	Plural     string
	Singular   string
	ShortNames []string
	Categories []string
	Namespaced bool
	// HasStatus is true when the kind has a status subresource.
	HasStatus bool
	// ReadOnly kinds are written by skiff only: the API refuses writes.
	ReadOnly bool
	// New returns a zero value of the kind, ready for decoding.
	New func() Object
	// Columns are the printer columns after NAME, as the kind's CRD lists
	// them (include AGE only where the CRD does).
	Columns []Column
}

// GroupVersion returns "group/version", or "version" for the core group.
func (k Kind) GroupVersion() string {
	if k.Group == "" {
		return k.Version
	}
	return k.Group + "/" + k.Version
}

// GroupResource returns "plural.group", or "plural" for the core group, as
// Kubernetes names resources in error messages.
func (k Kind) GroupResource() string {
	if k.Group == "" {
		return k.Plural
	}
	return k.Plural + "." + k.Group
}
