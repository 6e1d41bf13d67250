package v1

import (
	"github.com/skiff-sh/skiff/internal/apis"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// BackoffPolicyType is the retry backoff policy.
type BackoffPolicyType string

// The backoff policies: the wait before retry n (from 0) is backoffDelay*n
// for linear and backoffDelay*2^n for exponential.
const (
	BackoffPolicyLinear      BackoffPolicyType = "linear"
	BackoffPolicyExponential BackoffPolicyType = "exponential"
)

// FormatType is the CloudEvents HTTP mode deliveries use.
type FormatType string

// The delivery formats.
const (
	DeliveryFormatJSON   FormatType = "json"
	DeliveryFormatBinary FormatType = "binary"
)

// DeliverySpec holds the delivery options of event senders: retries, their
// backoff and the dead letter sink.
type DeliverySpec struct {
	// DeadLetterSink receives the events that could not be delivered.
	DeadLetterSink *Destination `json:"deadLetterSink,omitempty,omitzero"`
	// Retry is the number of retries before an event goes to the dead
	// letter sink.
	Retry *int32 `json:"retry,omitempty,omitzero"`
	// Timeout is the ISO-8601 timeout of each request; it must be positive.
	Timeout *string `json:"timeout,omitempty,omitzero"`
	// BackoffPolicy is linear or exponential.
	BackoffPolicy *BackoffPolicyType `json:"backoffPolicy,omitempty,omitzero"`
	// BackoffDelay is the ISO-8601 base delay between retries.
	BackoffDelay *string `json:"backoffDelay,omitempty,omitzero"`
	// RetryAfterMax bounds the Retry-After of 429 and 503 responses; "PT0S"
	// ignores Retry-After.
	RetryAfterMax *string `json:"retryAfterMax,omitempty,omitzero"`
	// Format is the event format, json (structured) or binary; nil leaves
	// it to the sender.
	Format *FormatType `json:"format,omitempty,omitzero"`
}

// SetDefaults fills in the dead letter sink's namespace.
func (d *DeliverySpec) SetDefaults(namespace string) {
	if d != nil {
		d.DeadLetterSink.SetDefaults(namespace)
	}
}

// ValidateDeliverySpec applies Knative's DeliverySpec rules: a valid dead
// letter sink, retry >= 0, a known backoff policy and format, and valid
// ISO-8601 durations, with timeout positive. skiff enables Knative's
// delivery-timeout and delivery-retryafter features and also rejects
// negative delays. path is the path of d; a nil d is valid.
func ValidateDeliverySpec(d *DeliverySpec, path *field.Path) field.ErrorList {
	if d == nil {
		return nil
	}
	var errs field.ErrorList
	if d.DeadLetterSink != nil {
		errs = append(errs, ValidateDestination(*d.DeadLetterSink, path.Child("deadLetterSink"))...)
	}
	if d.Retry != nil && *d.Retry < 0 {
		errs = append(errs, field.Invalid(path.Child("retry"), *d.Retry, "must be greater than or equal to 0"))
	}
	if d.Timeout != nil {
		if v, err := ParseISO8601Duration(*d.Timeout); err != nil || v <= 0 {
			errs = append(errs, field.Invalid(path.Child("timeout"), *d.Timeout, "invalid value: must be a positive ISO-8601 duration"))
		}
	}
	if d.BackoffPolicy != nil {
		switch *d.BackoffPolicy {
		case BackoffPolicyLinear, BackoffPolicyExponential:
		default:
			errs = append(errs, field.NotSupported(path.Child("backoffPolicy"), *d.BackoffPolicy,
				[]BackoffPolicyType{BackoffPolicyLinear, BackoffPolicyExponential}))
		}
	}
	if d.BackoffDelay != nil {
		if v, err := ParseISO8601Duration(*d.BackoffDelay); err != nil || v < 0 {
			errs = append(errs, field.Invalid(path.Child("backoffDelay"), *d.BackoffDelay, "invalid value: must be a non-negative ISO-8601 duration"))
		}
	}
	if d.RetryAfterMax != nil {
		if v, err := ParseISO8601Duration(*d.RetryAfterMax); err != nil || v < 0 {
			errs = append(errs, field.Invalid(path.Child("retryAfterMax"), *d.RetryAfterMax, "invalid value: must be a non-negative ISO-8601 duration"))
		}
	}
	if d.Format != nil {
		switch *d.Format {
		case DeliveryFormatJSON, DeliveryFormatBinary:
		default:
			errs = append(errs, field.NotSupported(path.Child("format"), *d.Format,
				[]FormatType{DeliveryFormatJSON, DeliveryFormatBinary}))
		}
	}
	return errs
}

// DeliveryStatus holds the resolved delivery options of an object: its dead
// letter sink's address.
type DeliveryStatus struct {
	// DeadLetterSinkURI is the resolved URI of the dead letter sink.
	DeadLetterSinkURI *apis.URL `json:"deadLetterSinkUri,omitempty,omitzero"`
	// DeadLetterSinkCACerts are the PEM CA certificates of the dead letter
	// sink.
	DeadLetterSinkCACerts *string `json:"deadLetterSinkCACerts,omitempty,omitzero"`
	// DeadLetterSinkAudience is the OIDC audience of the dead letter sink.
	DeadLetterSinkAudience *string `json:"deadLetterSinkAudience,omitempty,omitzero"`
}

// IsSet reports whether a dead letter sink was resolved.
func (s *DeliveryStatus) IsSet() bool { return s.DeadLetterSinkURI != nil }

// NewDeliveryStatusFromAddressable returns the delivery status of a dead
// letter sink resolved to addr.
func NewDeliveryStatusFromAddressable(addr *Addressable) DeliveryStatus {
	return DeliveryStatus{DeadLetterSinkURI: addr.URL, DeadLetterSinkCACerts: addr.CACerts, DeadLetterSinkAudience: addr.Audience}
}

// Int32 returns a pointer to v, for the optional numbers of specs.
func Int32(v int32) *int32 { return &v }

// String returns a pointer to v, for the optional strings of specs.
func String(v string) *string { return &v }
