package v1

import (
	"testing"

	"github.com/skiff-sh/skiff/internal/apis"
)

func TestExamples(t *testing.T) {
	for _, tt := range []struct {
		file string
		obj  apis.Object
	}{
		{"sequence.yaml", &Sequence{}},
		{"parallel.yaml", &Parallel{}},
	} {
		decodeFile(t, tt.file, tt.obj)
		tt.obj.SetDefaults(ctx)
		if errs := tt.obj.Validate(ctx, nil); len(errs) != 0 {
			t.Errorf("%s: Validate() = %v, want none", tt.file, errs)
		}
	}
}
