package v1beta1

import "context"

// SetDefaults defaults the reference's namespace to the DomainMapping's, as
// Knative's webhook does.
func (dm *DomainMapping) SetDefaults(context.Context) {
	if dm.Spec.Ref.Namespace == "" {
		dm.Spec.Ref.Namespace = dm.Namespace
	}
}
