package v1

import (
	"context"

	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/apis"
)

// NamespacePhase is the lifecycle phase of a Namespace.
type NamespacePhase string

// The Namespace phases.
const (
	NamespaceActive      NamespacePhase = "Active"
	NamespaceTerminating NamespacePhase = "Terminating"
)

// LabelMetadataName is the label Kubernetes sets on every Namespace to its
// name, so that selectors can match namespaces by name.
const LabelMetadataName = "kubernetes.io/metadata.name"

// Namespace is a cluster-scoped scope for names.
type Namespace struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty,omitzero"`

	// Spec holds the namespace's finalizers.
	Spec NamespaceSpec `json:"spec,omitempty,omitzero"`
	// Status holds the namespace's phase.
	Status NamespaceStatus `json:"status,omitempty,omitzero"`
}

// NamespaceSpec is the desired state of a Namespace.
type NamespaceSpec struct {
	// Finalizers must be empty before the namespace is removed.
	Finalizers []string `json:"finalizers,omitempty,omitzero"`
}

// NamespaceStatus is the observed state of a Namespace.
type NamespaceStatus struct {
	// Phase is Active or Terminating.
	Phase NamespacePhase `json:"phase,omitempty,omitzero"`
}

var _ apis.Object = (*Namespace)(nil)

// SetDefaults sets the phase to Active and the kubernetes.io/metadata.name
// label to the name, as the Kubernetes API server does.
func (n *Namespace) SetDefaults(context.Context) {
	if n.Status.Phase == "" {
		n.Status.Phase = NamespaceActive
	}
	if n.Name != "" {
		if n.Labels == nil {
			n.Labels = map[string]string{}
		}
		n.Labels[LabelMetadataName] = n.Name
	}
}

// Validate checks the name (a DNS-1123 label), that no namespace is set, and
// the finalizer names.
func (n *Namespace) Validate(_ context.Context, _ apis.Object) field.ErrorList {
	errs := ValidateObjectMeta(&n.ObjectMeta, false, NameIsDNSLabel, field.NewPath("metadata"))
	for i, f := range n.Spec.Finalizers {
		errs = append(errs, apivalidation.ValidateFinalizerName(f, field.NewPath("spec", "finalizers").Index(i))...)
	}
	switch n.Status.Phase {
	case "", NamespaceActive, NamespaceTerminating:
	default:
		errs = append(errs, field.NotSupported(field.NewPath("status", "phase"), n.Status.Phase,
			[]NamespacePhase{NamespaceActive, NamespaceTerminating}))
	}
	return errs
}
