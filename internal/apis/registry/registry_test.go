package registry

import (
	"strings"
	"testing"
)

// TestKindsAreConsistent checks what discovery, routing and tables rely on.
func TestKindsAreConsistent(t *testing.T) {
	seen := map[string]bool{}
	short := map[string]string{}
	for _, k := range All() {
		id := k.GroupVersion() + "/" + k.Plural
		if seen[id] {
			t.Errorf("%s registered twice", id)
		}
		seen[id] = true
		if k.Kind == "" || k.Plural == "" || k.Singular == "" || k.ListKind != k.Kind+"List" {
			t.Errorf("%s: Kind %q, Plural %q, Singular %q, ListKind %q; want all set and ListKind = Kind+List", id, k.Kind, k.Plural, k.Singular, k.ListKind)
		}
		if k.Plural != strings.ToLower(k.Plural) {
			t.Errorf("%s: plural must be lower case", id)
		}
		obj := k.New()
		if obj == nil {
			t.Errorf("%s: New() = nil", id)
		}
		for _, s := range k.ShortNames {
			if other, ok := short[s]; ok {
				t.Errorf("short name %q used by %s and %s", s, other, id)
			}
			short[s] = id
		}
		for _, c := range k.Columns {
			if !strings.HasPrefix(c.JSONPath, ".") {
				t.Errorf("%s column %q: JSONPath %q must start with '.'", id, c.Name, c.JSONPath)
			}
		}
	}
	for _, want := range []string{
		"v1/namespaces", "v1/configmaps", "v1/secrets",
		"serving.knative.dev/v1/services", "serving.knative.dev/v1/configurations",
		"serving.knative.dev/v1/revisions", "serving.knative.dev/v1/routes",
		"serving.knative.dev/v1beta1/domainmappings",
		"eventing.knative.dev/v1/brokers", "eventing.knative.dev/v1/triggers",
		"messaging.knative.dev/v1/channels", "messaging.knative.dev/v1/inmemorychannels",
		"messaging.knative.dev/v1/subscriptions",
		"flows.knative.dev/v1/sequences", "flows.knative.dev/v1/parallels",
		"sources.knative.dev/v1/pingsources", "sources.knative.dev/v1/apiserversources",
		"sources.knative.dev/v1/containersources", "sources.knative.dev/v1/sinkbindings",
	} {
		if !seen[want] {
			t.Errorf("kind %s is not registered", want)
		}
	}
}
