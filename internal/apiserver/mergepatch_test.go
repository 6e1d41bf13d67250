package apiserver

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The cases of RFC 7386, appendix A, and a few Kubernetes-shaped ones.
func TestMergePatch(t *testing.T) {
	tests := []struct {
		doc, patch, want string
	}{
		{`{"a":"b"}`, `{"a":"c"}`, `{"a":"c"}`},
		{`{"a":"b"}`, `{"b":"c"}`, `{"a":"b","b":"c"}`},
		{`{"a":"b"}`, `{"a":null}`, `{}`},
		{`{"a":"b","b":"c"}`, `{"a":null}`, `{"b":"c"}`},
		{`{"a":["b"]}`, `{"a":"c"}`, `{"a":"c"}`},
		{`{"a":"c"}`, `{"a":["b"]}`, `{"a":["b"]}`},
		{`{"a":{"b":"c"}}`, `{"a":{"b":"d","c":null}}`, `{"a":{"b":"d"}}`},
		{`{"a":[{"b":"c"}]}`, `{"a":[1]}`, `{"a":[1]}`},
		{`["a","b"]`, `["c","d"]`, `["c","d"]`},
		{`{"a":"b"}`, `["c"]`, `["c"]`},
		{`{"a":"foo"}`, `null`, `null`},
		{`{"a":"foo"}`, `"bar"`, `"bar"`},
		{`{"e":null}`, `{"a":1}`, `{"e":null,"a":1}`},
		{`[1,2]`, `{"a":"b","c":null}`, `{"a":"b"}`},
		{`{}`, `{"a":{"bb":{"ccc":null}}}`, `{"a":{"bb":{}}}`},
		{
			`{"metadata":{"name":"x","labels":{"a":"1","b":"2"}},"spec":{"template":{"spec":{"containers":[{"image":"a"}]}}}}`,
			`{"metadata":{"labels":{"b":null,"c":"3"}},"spec":{"template":{"spec":{"containers":[{"image":"b"}]}}}}`,
			`{"metadata":{"name":"x","labels":{"a":"1","c":"3"}},"spec":{"template":{"spec":{"containers":[{"image":"b"}]}}}}`,
		},
	}
	for _, tt := range tests {
		got, err := mergePatch([]byte(tt.doc), []byte(tt.patch))
		if err != nil {
			t.Fatalf("mergePatch(%s, %s): %v", tt.doc, tt.patch, err)
		}
		var g, w any
		_ = json.Unmarshal(got, &g)
		_ = json.Unmarshal([]byte(tt.want), &w)
		if diff := cmp.Diff(w, g); diff != "" {
			t.Errorf("mergePatch(%s, %s) = %s, want %s", tt.doc, tt.patch, got, tt.want)
		}
	}
}

func TestMergePatchBadJSON(t *testing.T) {
	for _, tt := range []struct{ doc, patch string }{{`{`, `{}`}, {`{}`, `{"a":`}} {
		if _, err := mergePatch([]byte(tt.doc), []byte(tt.patch)); err == nil {
			t.Errorf("mergePatch(%q, %q) = nil error, want one", tt.doc, tt.patch)
		}
	}
}
