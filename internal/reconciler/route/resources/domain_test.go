package resources

import (
	"testing"

	servingv1 "github.com/skiff-sh/skiff/internal/apis/serving/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestHosts(t *testing.T) {
	r := &servingv1.Route{ObjectMeta: metav1.ObjectMeta{Name: "hello", Namespace: "default"}}
	tests := []struct {
		name    string
		net     Network
		tag     string
		want    string
		wantURL string
	}{
		{"default", DefaultNetwork(), "", "hello.default.localhost", "http://hello.default.localhost"},
		{"port", Network{Domain: "localhost", DomainTemplate: "{{.Name}}.{{.Namespace}}.{{.Domain}}", TagTemplate: "{{.Tag}}-{{.Name}}", HTTPPort: 8080}, "", "hello.default.localhost", "http://hello.default.localhost:8080"},
		{"tag", DefaultNetwork(), "candidate", "candidate-hello.default.localhost", "http://candidate-hello.default.localhost"},
		{"custom templates", Network{Domain: "example.com", DomainTemplate: "{{.Name}}-{{.Namespace}}.{{.Domain}}", TagTemplate: "{{.Name}}-{{.Tag}}"}, "v2", "hello-v2-default.example.com", "http://hello-v2-default.example.com"},
	}
	for _, tt := range tests {
		var got string
		var err error
		if tt.tag == "" {
			got, err = tt.net.Host(r)
		} else {
			got, err = tt.net.TagHost(r, tt.tag)
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: host = %q, %v; want %q", tt.name, got, err, tt.want)
		}
		if u := tt.net.URL(got); u != tt.wantURL {
			t.Errorf("%s: URL = %q, want %q", tt.name, u, tt.wantURL)
		}
	}
	if err := (Network{DomainTemplate: "{{.Name", TagTemplate: "x"}).Validate(); err == nil {
		t.Error("Validate() of a broken template = nil")
	}
}
