package resolver

import (
	"context"
	"errors"
	"testing"

	"github.com/skiff-sh/skiff/internal/apis"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
	"github.com/skiff-sh/skiff/internal/reconciler/reconcilertest"
	"github.com/skiff-sh/skiff/internal/store"
)

func TestResolve(t *testing.T) {
	ctx := context.Background()
	st := reconcilertest.NewStore(t, nil)
	put := func(group, res, name, body string) {
		t.Helper()
		if _, err := st.Create(ctx, store.Key{Group: group, Resource: res, Namespace: "default", Name: name}, []byte(body)); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Update(ctx, store.Key{Group: group, Resource: res, Namespace: "default", Name: name}, []byte(body), store.UpdateOptions{Status: true}); err != nil {
			t.Fatal(err)
		}
	}
	put("serving.knative.dev", "services", "hello", `{"apiVersion":"serving.knative.dev/v1","kind":"Service","metadata":{"name":"hello","namespace":"default"},"status":{"url":"http://hello.default.localhost:8080","address":{"url":"http://127.0.0.1:4000"}}}`)
	put("serving.knative.dev", "services", "starting", `{"apiVersion":"serving.knative.dev/v1","kind":"Service","metadata":{"name":"starting","namespace":"default"}}`)
	put("eventing.knative.dev", "brokers", "default", `{"apiVersion":"eventing.knative.dev/v1","kind":"Broker","metadata":{"name":"default","namespace":"default"},"status":{"address":{"url":"http://127.0.0.1:8080/default/default"}}}`)

	r := &Resolver{Store: st}
	u := func(s string) *apis.URL { p, _ := apis.ParseURL(s); return p }
	ref := func(apiVersion, kind, name string) *duckv1.KReference {
		return &duckv1.KReference{APIVersion: apiVersion, Kind: kind, Name: name}
	}
	tests := []struct {
		name    string
		dest    duckv1.Destination
		want    string
		wantErr error
	}{
		{"uri", duckv1.Destination{URI: u("http://example.com/x")}, "http://example.com/x", nil},
		{"ksvc", duckv1.Destination{Ref: ref("serving.knative.dev/v1", "Service", "hello")}, "http://127.0.0.1:4000", nil},
		{"ksvc plus path", duckv1.Destination{Ref: ref("serving.knative.dev/v1", "Service", "hello"), URI: u("/events")}, "http://127.0.0.1:4000/events", nil},
		{"broker", duckv1.Destination{Ref: ref("eventing.knative.dev/v1", "Broker", "default")}, "http://127.0.0.1:8080/default/default", nil},
		{"no address yet", duckv1.Destination{Ref: ref("serving.knative.dev/v1", "Service", "starting")}, "", ErrNotAddressable},
		{"missing", duckv1.Destination{Ref: ref("serving.knative.dev/v1", "Service", "nope")}, "", store.ErrNotFound},
		{"unknown kind", duckv1.Destination{Ref: ref("v1", "Pod", "p")}, "", ErrNotAddressable},
	}
	for _, tt := range tests {
		got, err := r.Resolve(ctx, "default", tt.dest)
		if tt.wantErr != nil {
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("%s: Resolve() error = %v, want %v", tt.name, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got.String() != tt.want {
			t.Errorf("%s: Resolve() = %v, %v; want %s", tt.name, got, err, tt.want)
		}
	}
}
