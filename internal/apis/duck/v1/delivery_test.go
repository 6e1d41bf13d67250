package v1

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func TestValidateDeliverySpec(t *testing.T) {
	linear, bogus := BackoffPolicyLinear, BackoffPolicyType("random")
	jsonFmt, xml := DeliveryFormatJSON, FormatType("xml")
	tests := []struct {
		name string
		d    *DeliverySpec
		want []string
	}{
		{"nil", nil, nil},
		{"empty", &DeliverySpec{}, nil},
		{"full", &DeliverySpec{
			DeadLetterSink: &Destination{URI: mustURL(t, "http://dls.example.com")},
			Retry:          Int32(5), Timeout: String("PT10S"), BackoffPolicy: &linear,
			BackoffDelay: String("PT0.2S"), RetryAfterMax: String("PT0S"), Format: &jsonFmt,
		}, nil},
		{"retry zero", &DeliverySpec{Retry: Int32(0)}, nil},
		{"negative retry", &DeliverySpec{Retry: Int32(-1)}, []string{"spec.delivery.retry: Invalid value"}},
		{"bad policy", &DeliverySpec{BackoffPolicy: &bogus}, []string{"spec.delivery.backoffPolicy: Unsupported value"}},
		{"bad delay", &DeliverySpec{BackoffDelay: String("2s")}, []string{"spec.delivery.backoffDelay: Invalid value"}},
		{"negative delay", &DeliverySpec{BackoffDelay: String("-PT1S")}, []string{"spec.delivery.backoffDelay: Invalid value"}},
		{"zero timeout", &DeliverySpec{Timeout: String("PT0S")}, []string{"spec.delivery.timeout: Invalid value"}},
		{"bad timeout", &DeliverySpec{Timeout: String("10s")}, []string{"spec.delivery.timeout: Invalid value"}},
		{"bad retryAfterMax", &DeliverySpec{RetryAfterMax: String("PT")}, []string{"spec.delivery.retryAfterMax: Invalid value"}},
		{"bad format", &DeliverySpec{Format: &xml}, []string{"spec.delivery.format: Unsupported value"}},
		{"bad dead letter sink", &DeliverySpec{DeadLetterSink: &Destination{}}, []string{"spec.delivery.deadLetterSink: Required value"}},
	}
	for _, tt := range tests {
		got := summarize(ValidateDeliverySpec(tt.d, field.NewPath("spec", "delivery")))
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: ValidateDeliverySpec() (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestDeliverySpecSetDefaults(t *testing.T) {
	d := &DeliverySpec{DeadLetterSink: &Destination{Ref: &KReference{Name: "x"}}}
	d.SetDefaults("ns")
	if got := d.DeadLetterSink.Ref.Namespace; got != "ns" {
		t.Errorf("SetDefaults: dead letter sink namespace = %q, want ns", got)
	}
	var nilSpec *DeliverySpec
	nilSpec.SetDefaults("ns")
	(&DeliverySpec{}).SetDefaults("ns")
}

func TestNewDeliveryStatusFromAddressable(t *testing.T) {
	u := mustURL(t, "http://dls")
	s := NewDeliveryStatusFromAddressable(&Addressable{URL: u, Audience: String("a")})
	if !s.IsSet() || s.DeadLetterSinkURI != u || *s.DeadLetterSinkAudience != "a" {
		t.Errorf("NewDeliveryStatusFromAddressable() = %+v", s)
	}
	if (&DeliveryStatus{}).IsSet() {
		t.Error("empty DeliveryStatus IsSet() = true, want false")
	}
}
