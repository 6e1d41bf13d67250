package v1beta1

import (
	"testing"

	"github.com/skiff-sh/skiff/internal/apis"
)

func TestDomainMappingJSONShape(t *testing.T) {
	const in = `{"kind":"DomainMapping","apiVersion":"serving.knative.dev/v1beta1","metadata":{"name":"example.org","namespace":"default"},` +
		`"spec":{"ref":{"kind":"Service","namespace":"default","name":"hello","apiVersion":"serving.knative.dev/v1"},"tls":{"secretName":"tls"}},` +
		`"status":{"observedGeneration":1,"conditions":[{"type":"Ready","status":"True","lastTransitionTime":"2024-01-02T03:04:05Z"}],` +
		`"url":"https://example.org","address":{"url":"http://example.org"}}}`
	var dm DomainMapping
	strict, err := apis.Decode([]byte(in), &dm)
	if err != nil || len(strict) > 0 {
		t.Fatalf("Decode() = %v, %v", strict, err)
	}
	if got := mustJSON(t, &dm); got != in {
		t.Errorf("round trip = %s\nwant %s", got, in)
	}
}
