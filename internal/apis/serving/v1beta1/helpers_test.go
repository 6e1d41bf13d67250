package v1beta1

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

var (
	ctx = context.Background()
	now = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
)

// checkErrs compares errs with want: each (sorted) error must contain the
// want entry at the same position.
func checkErrs(t *testing.T, name string, errs field.ErrorList, want []string) {
	t.Helper()
	got := make([]string, 0, len(errs))
	for _, e := range errs {
		got = append(got, e.Error())
	}
	slices.Sort(got)
	want = slices.Clone(want)
	slices.Sort(want)
	if len(got) != len(want) {
		t.Errorf("%s: Validate() = %q, want %d errors matching %q", name, got, len(want), want)
		return
	}
	for i := range got {
		if !strings.Contains(got[i], want[i]) {
			t.Errorf("%s: error %d = %q, want it to contain %q", name, i, got[i], want[i])
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
