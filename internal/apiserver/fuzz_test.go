package apiserver

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/skiff-sh/skiff/internal/apis"
	"github.com/skiff-sh/skiff/internal/apis/registry"
)

// FuzzAdmit feeds arbitrary bodies through the admission path of every kind:
// decode (strict), default, validate, and the list-keeping encode. It must
// never panic, and whatever it accepts must decode again and be accepted
// again unchanged (admission is idempotent).
func FuzzAdmit(f *testing.F) {
	for _, seed := range []string{
		`{"apiVersion":"serving.knative.dev/v1","kind":"Service","metadata":{"name":"hello"},"spec":{"template":{"spec":{"containers":[{"image":"/bin/x"}]}}}}`,
		`{"apiVersion":"serving.knative.dev/v1","kind":"Service","metadata":{"name":"s"},"spec":{"template":{"spec":{"containers":[{"image":"x"}]}},"traffic":[{"latestRevision":true,"percent":90,"tag":"a"},{"revisionName":"s-00001","percent":10}]}}`,
		`{"apiVersion":"eventing.knative.dev/v1","kind":"Trigger","metadata":{"name":"t"},"spec":{"broker":"default","filters":[{"any":[{"exact":{"type":"a"}},{"cesql":"source LIKE 'x%'"}]}],"subscriber":{"uri":"http://x"}}}`,
		`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"a":"b"}}`,
		`{"metadata":{"name":"x","labels":{"a":"b"}},"spec":{"bogus":1}}`,
		`[]`, `null`, `{"spec":null}`,
	} {
		f.Add(seed)
	}
	kinds := registry.All()
	f.Fuzz(func(t *testing.T, body string) {
		ctx := apis.WithConfig(context.Background(), apis.DefaultConfig())
		for i := range kinds {
			k := &kinds[i]
			a := &admitter{kind: k, namespace: "default", fv: fieldValidationIgnore}
			obj, err := a.decode([]byte(body))
			if err != nil {
				continue
			}
			if obj.GetName() == "" {
				obj.SetName("x")
			}
			out, err := a.admit(ctx, obj, nil)
			if err != nil {
				continue
			}
			again, err := a.decode(out)
			if err != nil {
				t.Fatalf("%s: accepted object does not decode again: %v\n%s", k.Kind, err, out)
			}
			out2, err := a.admit(ctx, again, nil)
			if err != nil {
				t.Fatalf("%s: accepted object rejected the second time: %v\n%s", k.Kind, err, out)
			}
			var x, y any
			_ = json.Unmarshal(out, &x)
			_ = json.Unmarshal(out2, &y)
			if !jsonEqual(x, y) {
				t.Fatalf("%s: admission not idempotent:\n%s\n%s", k.Kind, out, out2)
			}
		}
	})
}

func jsonEqual(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// FuzzMergePatch checks that applying a merge patch never panics and that
// applying the same patch twice changes nothing more (RFC 7386 patches are
// idempotent).
func FuzzMergePatch(f *testing.F) {
	f.Add(`{"a":{"b":1}}`, `{"a":{"b":null,"c":2}}`)
	f.Add(`{"metadata":{"labels":{"x":"y"}}}`, `{"metadata":{"labels":{"x":null}}}`)
	f.Add(`[1,2]`, `{"a":1}`)
	f.Add(`{}`, `null`)
	f.Fuzz(func(t *testing.T, doc, patch string) {
		once, err := mergePatch([]byte(doc), []byte(patch))
		if err != nil {
			return
		}
		twice, err := mergePatch(once, []byte(patch))
		if err != nil {
			t.Fatalf("patch applied once but not twice: %v", err)
		}
		var x, y any
		_ = json.Unmarshal(once, &x)
		_ = json.Unmarshal(twice, &y)
		if !jsonEqual(x, y) {
			t.Fatalf("patch not idempotent: %s then %s", once, twice)
		}
	})
}
