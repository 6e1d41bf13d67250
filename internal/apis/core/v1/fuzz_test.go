package v1

import (
	"testing"

	"github.com/skiff-sh/skiff/internal/apis/apistest"
)

// FuzzDecodeValidate feeds bytes through decoding, defaulting and validation
// of every kind: none may panic, and defaulting must be idempotent.
func FuzzDecodeValidate(f *testing.F) {
	apistest.AddSeeds(f, "*.json")
	f.Fuzz(func(t *testing.T, data []byte) { apistest.DecodeDefaultValidate(t, Kinds(), data) })
}

// TestTestdata checks that every seed file decodes strictly and is valid
// after defaulting.
func TestTestdata(t *testing.T) { apistest.CheckTestdata(t, Kinds(), "*.json") }
