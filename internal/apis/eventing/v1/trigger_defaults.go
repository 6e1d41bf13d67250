package v1

import "context"

// SetDefaults gives the Trigger an empty filter (which keeps every event),
// fills in the namespaces of its references and labels it with its Broker.
func (t *Trigger) SetDefaults(ctx context.Context) {
	if t.Spec.Filter == nil {
		t.Spec.Filter = &TriggerFilter{}
	}
	t.Spec.Subscriber.SetDefaults(t.Namespace)
	t.Spec.Delivery.SetDefaults(t.Namespace)
	if t.Spec.Broker != "" {
		if t.Labels == nil {
			t.Labels = map[string]string{}
		}
		t.Labels[BrokerLabelKey] = t.Spec.Broker
	}
}
