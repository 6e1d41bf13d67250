package v1

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiff-sh/skiff/internal/apis"
	corev1 "github.com/skiff-sh/skiff/internal/apis/core/v1"
)

func TestServiceDefaultsHelloWorld(t *testing.T) {
	// What Knative's webhook makes of the docs' hello-world Service.
	var s Service
	load(t, "service_helloworld.json", &s)
	s.SetDefaults(ctx)
	want := `{"kind":"Service","apiVersion":"serving.knative.dev/v1","metadata":{"name":"hello"},"spec":{
	  "template":{"spec":{
	    "containers":[{"name":"user-container","image":"ghcr.io/knative/helloworld-go:latest",
	      "ports":[{"containerPort":8080,"protocol":"TCP"}],"env":[{"name":"TARGET","value":"World"}],
	      "readinessProbe":{"tcpSocket":{"port":0},"successThreshold":1}}],
	    "enableServiceLinks":false,"containerConcurrency":0,"timeoutSeconds":300}},
	  "traffic":[{"latestRevision":true,"percent":100}]}}`
	if diff := jsonDiff(t, mustJSON(t, &s), want); diff != "" {
		t.Errorf("SetDefaults() (-want +got):\n%s", diff)
	}
}

func TestServiceDefaultsTraffic(t *testing.T) {
	tests := []struct {
		name string
		in   []TrafficTarget
		want string
	}{{
		name: "empty split goes to latest",
		want: `[{"latestRevision":true,"percent":100}]`,
	}, {
		name: "pinned target is not latest",
		in:   []TrafficTarget{{RevisionName: "svc-1", Percent: ptr[int64](100)}},
		want: `[{"revisionName":"svc-1","latestRevision":false,"percent":100}]`,
	}, {
		name: "unpinned target is latest",
		in:   []TrafficTarget{{Tag: "a", Percent: ptr[int64](100)}},
		want: `[{"tag":"a","latestRevision":true,"percent":100}]`,
	}, {
		name: "explicit value kept",
		in:   []TrafficTarget{{RevisionName: "svc-1", LatestRevision: ptr(true), Percent: ptr[int64](100)}},
		want: `[{"revisionName":"svc-1","latestRevision":true,"percent":100}]`,
	}}
	for _, tc := range tests {
		s := &Service{ObjectMeta: metav1.ObjectMeta{Name: "svc"}}
		s.Spec.Traffic = tc.in
		s.SetDefaults(ctx)
		if got := mustJSON(t, s.Spec.Traffic); got != tc.want {
			t.Errorf("%s: SetDefaults() traffic = %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestServiceDefaultsContainerNameTemplate(t *testing.T) {
	cfg := apis.DefaultConfig()
	cfg.ContainerNameTemplate = "{{.Name}}-app"
	c := apis.WithConfig(context.Background(), cfg)
	s := &Service{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}
	s.Spec.Template.Spec.Containers = make([]corev1.Container, 1)
	s.SetDefaults(c)
	if got, want := s.Spec.Template.Spec.Containers[0].Name, "shop-app"; got != want {
		t.Errorf("container name = %q, want %q", got, want)
	}
}

func TestServiceDefaultsIdempotent(t *testing.T) {
	var s Service
	load(t, "service_grpc_probes_volumes.json", &s)
	s.SetDefaults(ctx)
	once := mustJSON(t, &s)
	s.SetDefaults(ctx)
	if twice := mustJSON(t, &s); once != twice {
		t.Errorf("SetDefaults twice = %s, want %s", twice, once)
	}
}
