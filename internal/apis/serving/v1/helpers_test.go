package v1

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/apis"
	corev1 "github.com/skiff-sh/skiff/internal/apis/core/v1"
)

// errStrings renders errs sorted.
func errStrings(errs field.ErrorList) []string {
	out := make([]string, 0, len(errs))
	for _, e := range errs {
		out = append(out, e.Error())
	}
	slices.Sort(out)
	return out
}

// checkErrs compares errs with want: each (sorted) error must contain the
// want entry at the same position.
func checkErrs(t *testing.T, name string, errs field.ErrorList, want []string) {
	t.Helper()
	got := errStrings(errs)
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

// load decodes a testdata file strictly into obj.
func load(t *testing.T, name string, obj apis.Object) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	strict, err := apis.Decode(b, obj)
	if err != nil || len(strict) > 0 {
		t.Fatalf("Decode(%s) = %v, %v", name, strict, err)
	}
}

// mustJSON marshals v.
func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// jsonDiff compares two JSON documents as values and returns a go-cmp diff
// (-want +got), or "" when they are equal.
func jsonDiff(t *testing.T, got, want string) string {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("unmarshal %s: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("unmarshal %s: %v", want, err)
	}
	return cmp.Diff(w, g)
}

var ctx = context.Background()

// testSpec returns a minimal valid, defaulted revision spec.
func testSpec() RevisionSpec {
	rs := RevisionSpec{PodSpec: corev1.PodSpec{Containers: []corev1.Container{{Image: "busybox"}}}}
	rs.setDefaults(apis.DefaultConfig(), nil)
	return rs
}

// testService returns a valid, defaulted Service named "svc".
func testService() *Service {
	s := &Service{
		ObjectMeta: metav1.ObjectMeta{Name: "svc", Namespace: "default"},
		Spec:       ServiceSpec{ConfigurationSpec: ConfigurationSpec{Template: RevisionTemplateSpec{Spec: testSpec()}}},
	}
	s.SetDefaults(ctx)
	return s
}

func envVar(name, value string) corev1.EnvVar { return corev1.EnvVar{Name: name, Value: value} }

// loadString decodes JSON strictly into obj.
func loadString(t *testing.T, in string, obj apis.Object) {
	t.Helper()
	strict, err := apis.Decode([]byte(in), obj)
	if err != nil || len(strict) > 0 {
		t.Fatalf("Decode(%s) = %v, %v", in, strict, err)
	}
}
