package v1

import (
	"context"
	"testing"

	"github.com/skiff-sh/skiff/internal/apis/apistest"
)

// Shared test helpers, from apistest.
var (
	summarize  = apistest.Summarize
	testNow    = apistest.Now
	loadJSON   = apistest.LoadJSON
	decodeFile = apistest.DecodeFile
	ctx        = context.Background()
)

func clone[T any](t testing.TB, obj *T) *T { return apistest.Clone(t, obj) }
