package v1

import (
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// errStrings renders errs sorted, so that tests can compare them whole.
func errStrings(errs field.ErrorList) []string {
	out := make([]string, 0, len(errs))
	for _, e := range errs {
		out = append(out, e.Error())
	}
	slices.Sort(out)
	return out
}

// checkErrs compares errs with want, where each want entry is a substring
// that must appear in exactly the error at the same (sorted) position.
func checkErrs(t *testing.T, name string, errs field.ErrorList, want []string) {
	t.Helper()
	got := errStrings(errs)
	slices.Sort(want)
	if len(got) != len(want) {
		t.Fatalf("%s: Validate() = %q, want %d errors matching %q", name, got, len(want), want)
	}
	for i := range got {
		if !strings.Contains(got[i], want[i]) {
			t.Errorf("%s: error %d = %q, want it to contain %q", name, i, got[i], want[i])
		}
	}
}

func ptr[T any](v T) *T { return &v }
