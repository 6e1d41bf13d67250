package v1

import (
	"context"

	"github.com/skiff-sh/skiff/internal/apis"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
)

// SetDefaults sets the broker class annotation and, for the default class,
// the spec.config and spec.delivery of config-br-defaults, then fills in
// the namespaces of the references.
func (b *Broker) SetDefaults(ctx context.Context) {
	cfg := apis.ConfigFrom(ctx)
	class := b.Annotations[BrokerClassAnnotationKey]
	if class == "" && cfg.DefaultBrokerClass != "" {
		class = cfg.DefaultBrokerClass
		if b.Annotations == nil {
			b.Annotations = map[string]string{}
		}
		b.Annotations[BrokerClassAnnotationKey] = class
	}
	// config-br-defaults describes the default class; another class gets
	// nothing from it.
	if class == cfg.DefaultBrokerClass {
		if ref := cfg.DefaultBrokerConfig; b.Spec.Config == nil && ref.Kind != "" {
			b.Spec.Config = &duckv1.KReference{APIVersion: ref.APIVersion, Kind: ref.Kind, Name: ref.Name, Namespace: ref.Namespace}
		}
		if d := cfg.DefaultBrokerDelivery; b.Spec.Delivery == nil && d != nil {
			policy := duckv1.BackoffPolicyType(d.BackoffPolicy)
			b.Spec.Delivery = &duckv1.DeliverySpec{Retry: duckv1.Int32(d.Retry)}
			if d.BackoffPolicy != "" {
				b.Spec.Delivery.BackoffPolicy = &policy
			}
			if d.BackoffDelay != "" {
				b.Spec.Delivery.BackoffDelay = duckv1.String(d.BackoffDelay)
			}
		}
	}
	b.Spec.Config.SetDefaults(b.Namespace)
	b.Spec.Delivery.SetDefaults(b.Namespace)
}
