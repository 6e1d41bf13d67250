package v1

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/skiff-sh/skiff/internal/apis"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

const testCert = `-----BEGIN CERTIFICATE-----
MIIBszCCAVmgAwIBAgIUHn0n0m3uYd3wLoHf3pI1zq3FZ0MwCgYIKoZIzj0EAwIw
-----END CERTIFICATE-----
`

func mustURL(t *testing.T, s string) *apis.URL {
	t.Helper()
	u, err := apis.ParseURL(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestValidateDestination(t *testing.T) {
	ref := &KReference{Kind: "Service", APIVersion: "serving.knative.dev/v1", Name: "svc"}
	key := "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
	tests := []struct {
		name string
		d    Destination
		want []string
	}{
		{"ref", Destination{Ref: ref}, nil},
		{"absolute uri", Destination{URI: mustURL(t, "http://example.com/path")}, nil},
		{"ref and relative uri", Destination{Ref: ref, URI: mustURL(t, "/extra")}, nil},
		{"neither", Destination{}, []string{"spec.sink: Required value"}},
		{"ref and absolute uri", Destination{Ref: ref, URI: mustURL(t, "http://example.com")}, []string{"spec.sink.uri: Invalid value"}},
		{"relative uri alone", Destination{URI: mustURL(t, "/path")}, []string{"spec.sink.uri: Invalid value"}},
		{"uri without host", Destination{URI: mustURL(t, "http:///path")}, []string{"spec.sink.uri: Invalid value"}},
		{"empty ref", Destination{Ref: &KReference{}}, []string{
			"spec.sink.ref.name: Required value", "spec.sink.ref.apiVersion: Required value", "spec.sink.ref.kind: Required value"}},
		{"ref with group", Destination{Ref: &KReference{Kind: "Service", Group: "serving.knative.dev", Name: "svc"}}, []string{
			"spec.sink.ref.group: Forbidden", "spec.sink.ref.apiVersion: Required value"}},
		{"ref with bad namespace", Destination{Ref: &KReference{Kind: "Service", APIVersion: "v1", Name: "svc", Namespace: "Bad_NS"}}, []string{
			"spec.sink.ref.namespace: Invalid value"}},
		{"relative uri with bad ref", Destination{Ref: &KReference{Kind: "Service"}, URI: mustURL(t, "/x")}, []string{
			"spec.sink.ref.name: Required value", "spec.sink.ref.apiVersion: Required value"}},
		{"CA certs", Destination{Ref: ref, CACerts: String(testCert)}, nil},
		{"bad CA certs", Destination{Ref: ref, CACerts: String("not pem")}, []string{"spec.sink.CACerts: Invalid value"}},
		{"CA certs not a certificate", Destination{Ref: ref, CACerts: String(key)}, []string{"spec.sink.CACerts: Invalid value"}},
	}
	for _, tt := range tests {
		got := summarize(ValidateDestination(tt.d, field.NewPath("spec", "sink")))
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: ValidateDestination() (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestValidateDestinationWording(t *testing.T) {
	errs := ValidateDestination(Destination{}, field.NewPath("spec", "subscriber"))
	if got, want := errs.ToAggregate().Error(), "spec.subscriber: Required value: expected at least one, got none: ref, uri"; got != want {
		t.Errorf("ValidateDestination(empty) = %q, want %q", got, want)
	}
}

func TestDestinationSetDefaults(t *testing.T) {
	d := &Destination{Ref: &KReference{Kind: "Service", Name: "a"}}
	d.SetDefaults("ns")
	if d.Ref.Namespace != "ns" {
		t.Errorf("SetDefaults: namespace = %q, want ns", d.Ref.Namespace)
	}
	d.Ref.Namespace = "other"
	d.SetDefaults("ns")
	if d.Ref.Namespace != "other" {
		t.Errorf("SetDefaults overwrote namespace: got %q, want other", d.Ref.Namespace)
	}
	var nilDest *Destination
	nilDest.SetDefaults("ns") // must not panic
	(&Destination{URI: mustURL(t, "http://a")}).SetDefaults("ns")
}

func TestDestinationIsEmpty(t *testing.T) {
	tests := []struct {
		d    *Destination
		want bool
	}{
		{nil, true},
		{&Destination{}, true},
		{&Destination{URI: mustURL(t, "http://a")}, false},
		{&Destination{Audience: String("x")}, false},
	}
	for _, tt := range tests {
		if got := tt.d.IsEmpty(); got != tt.want {
			t.Errorf("IsEmpty(%+v) = %v, want %v", tt.d, got, tt.want)
		}
	}
}
