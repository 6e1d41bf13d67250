package v1

import "testing"

func TestRouteDefaults(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{{
		name: "no traffic stays empty outside a Service",
		in:   `{}`,
		want: `{}`,
	}, {
		name: "latestRevision follows revisionName",
		in:   `{"traffic":[{"revisionName":"a-1","percent":50},{"configurationName":"a","percent":50}]}`,
		want: `{"traffic":[{"revisionName":"a-1","latestRevision":false,"percent":50},{"configurationName":"a","latestRevision":true,"percent":50}]}`,
	}}
	for _, tc := range tests {
		r := &Route{}
		loadString(t, `{"spec":`+tc.in+`}`, r)
		r.SetDefaults(ctx)
		if got := mustJSON(t, r.Spec); got != tc.want {
			t.Errorf("%s: SetDefaults() = %s, want %s", tc.name, got, tc.want)
		}
	}
}
