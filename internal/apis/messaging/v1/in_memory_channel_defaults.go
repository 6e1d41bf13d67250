package v1

import "context"

// SetDefaults records the subscribable duck version and fills in the
// namespaces of the delivery references.
func (imc *InMemoryChannel) SetDefaults(ctx context.Context) {
	setSubscribableAnnotation(&imc.ObjectMeta.Annotations)
	imc.Spec.Delivery.SetDefaults(imc.Namespace)
	for i := range imc.Spec.Subscribers {
		imc.Spec.Subscribers[i].Delivery.SetDefaults(imc.Namespace)
	}
}
