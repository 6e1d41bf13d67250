package apis

import "context"

// Config holds the cluster-wide settings that defaulting and validation read,
// with the keys and defaults of Knative's config-defaults and
// config-autoscaler ConfigMaps.
type Config struct {
	// RevisionTimeoutSeconds is config-defaults revision-timeout-seconds.
	RevisionTimeoutSeconds int64
	// MaxRevisionTimeoutSeconds is config-defaults max-revision-timeout-seconds.
	MaxRevisionTimeoutSeconds int64
	// RevisionResponseStartTimeoutSeconds is
	// config-defaults revision-response-start-timeout-seconds (0: the timeout).
	RevisionResponseStartTimeoutSeconds int64
	// RevisionIdleTimeoutSeconds is config-defaults revision-idle-timeout-seconds.
	RevisionIdleTimeoutSeconds int64
	// ContainerConcurrency is config-defaults container-concurrency.
	ContainerConcurrency int64
	// ContainerConcurrencyMaxLimit is config-defaults
	// container-concurrency-max-limit.
	ContainerConcurrencyMaxLimit int64
	// ContainerNameTemplate is config-defaults container-name-template.
	ContainerNameTemplate string
	// AllowZeroInitialScale is config-autoscaler allow-zero-initial-scale.
	AllowZeroInitialScale bool
	// MaxScaleLimit is config-autoscaler max-scale-limit (0: none).
	MaxScaleLimit int32
	// DefaultBrokerClass is config-br-defaults' default broker class.
	DefaultBrokerClass string
	// DefaultBrokerConfig is config-br-defaults' clusterDefault reference that
	// a Broker of the default class without spec.config gets (Kind "": none).
	DefaultBrokerConfig ObjectRef
	// DefaultBrokerDelivery is config-br-defaults' clusterDefault delivery that
	// a Broker of the default class without spec.delivery gets (nil: none).
	DefaultBrokerDelivery *DeliveryDefaults
	// DefaultChannel is default-ch-webhook's clusterDefault: the channel kind
	// that Channels, Sequences and Parallels without a channelTemplate get.
	DefaultChannel ObjectRef
}

// ObjectRef names an object, or only a type when Name is empty.
type ObjectRef struct {
	APIVersion string
	Kind       string
	Name       string
	Namespace  string
}

// DeliveryDefaults is the delivery part of config-br-defaults.
type DeliveryDefaults struct {
	Retry         int32
	BackoffPolicy string // linear or exponential
	BackoffDelay  string // ISO-8601 duration
}

// DefaultConfig returns Knative's defaults.
func DefaultConfig() *Config {
	return &Config{
		RevisionTimeoutSeconds:       300,
		MaxRevisionTimeoutSeconds:    600,
		ContainerConcurrency:         0,
		ContainerConcurrencyMaxLimit: 1000,
		ContainerNameTemplate:        "user-container",
		DefaultBrokerClass:           "MTChannelBasedBroker",
		DefaultBrokerConfig: ObjectRef{
			APIVersion: "v1", Kind: "ConfigMap",
			Name: "config-br-default-channel", Namespace: "knative-eventing",
		},
		DefaultBrokerDelivery: &DeliveryDefaults{Retry: 10, BackoffPolicy: "exponential", BackoffDelay: "PT0.2S"},
		DefaultChannel:        ObjectRef{APIVersion: "messaging.knative.dev/v1", Kind: "InMemoryChannel"},
	}
}

type configKey struct{}

// WithConfig returns a context that carries cfg for SetDefaults and Validate.
func WithConfig(ctx context.Context, cfg *Config) context.Context {
	return context.WithValue(ctx, configKey{}, cfg)
}

// ConfigFrom returns the Config carried by ctx, or DefaultConfig.
func ConfigFrom(ctx context.Context) *Config {
	if cfg, ok := ctx.Value(configKey{}).(*Config); ok && cfg != nil {
		return cfg
	}
	return DefaultConfig()
}
