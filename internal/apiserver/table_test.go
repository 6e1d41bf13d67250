package apiserver

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEvalJSONPath(t *testing.T) {
	var obj map[string]any
	_ = json.Unmarshal([]byte(`{
		"metadata":{"name":"hello","labels":{"a":"b","serving.knative.dev/configuration":"hello"}},
		"spec":{"traffic":[{"percent":90},{"percent":10}]},
		"status":{"url":"http://hello.default.localhost",
		  "conditions":[{"type":"ConfigurationsReady","status":"True"},{"type":"Ready","status":"False","reason":"RevisionMissing"}]}}`), &obj)
	tests := []struct {
		path string
		want any
	}{
		{".status.url", "http://hello.default.localhost"},
		{".metadata.name", "hello"},
		{".metadata.labels.a", "b"},
		{".metadata.labels['serving\\.knative\\.dev/configuration']", "hello"},
		{`.metadata.labels["a"]`, "b"},
		{`.metadata.labels.serving\.knative\.dev/configuration`, "hello"},
		{".status.conditions[?(@.type=='Ready')].status", "False"},
		{".status.conditions[?(@.type==\"Ready\")].reason", "RevisionMissing"},
		{".status.conditions[?(@.type=='Missing')].status", nil},
		{".spec.traffic[1].percent", float64(10)},
		{".spec.traffic[5].percent", nil},
		{".status.nothing.deeper", nil},
		{"{.status.url}", "http://hello.default.localhost"},
		{".metadata.name.x", nil},
	}
	for _, tt := range tests {
		if got := evalJSONPath(obj, tt.path); !cmp.Equal(got, tt.want) {
			t.Errorf("evalJSONPath(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

func TestWantsTable(t *testing.T) {
	tests := []struct {
		accept string
		want   bool
	}{
		{"application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json", true},
		{"application/json", false},
		{"application/json;as=Table;v=v1beta1;g=meta.k8s.io", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := wantsTable(tt.accept); got != tt.want {
			t.Errorf("wantsTable(%q) = %v, want %v", tt.accept, got, tt.want)
		}
	}
}
