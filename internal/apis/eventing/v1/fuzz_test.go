package v1

import (
	"testing"

	"github.com/skiff-sh/skiff/internal/apis/apistest"
)

// FuzzDecodeValidate feeds bytes through decoding, defaulting and validation
// of every kind: none may panic, and defaulting must be idempotent. The seeds
// are the Knative docs examples in testdata.
func FuzzDecodeValidate(f *testing.F) {
	apistest.AddSeeds(f, "*.yaml")
	f.Add([]byte(`{"spec":{"filters":[{"all":[{"not":{"exact":{"a":"b"}}}]}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) { apistest.DecodeDefaultValidate(t, Kinds(), data) })
}
