package v1

import (
	"testing"

	corev1 "github.com/skiff-sh/skiff/internal/apis/core/v1"
)

func TestRevisionSpecHelpers(t *testing.T) {
	tests := []struct {
		name       string
		containers []corev1.Container
		container  string
		port       int32
		protocol   string
	}{{
		name:     "no containers",
		port:     DefaultUserPort,
		protocol: ProtocolHTTP1,
	}, {
		name:       "one container without a port",
		containers: []corev1.Container{{Name: "a"}},
		container:  "a", port: 8080, protocol: ProtocolHTTP1,
	}, {
		name:       "h2c",
		containers: []corev1.Container{{Name: "a", Ports: []corev1.ContainerPort{{Name: "h2c", ContainerPort: 9000}}}},
		container:  "a", port: 9000, protocol: ProtocolH2C,
	}, {
		name: "serving container is the one with a port",
		containers: []corev1.Container{
			{Name: "sidecar"},
			{Name: "app", Ports: []corev1.ContainerPort{{ContainerPort: 8881}}},
		},
		container: "app", port: 8881, protocol: ProtocolHTTP1,
	}}
	for _, tc := range tests {
		rs := RevisionSpec{PodSpec: corev1.PodSpec{Containers: tc.containers}}
		var got string
		if c := rs.GetContainer(); c != nil {
			got = c.Name
		}
		if got != tc.container {
			t.Errorf("%s: GetContainer() = %q, want %q", tc.name, got, tc.container)
		}
		if got := rs.UserPort(); got != tc.port {
			t.Errorf("%s: UserPort() = %d, want %d", tc.name, got, tc.port)
		}
		if got := rs.Protocol(); got != tc.protocol {
			t.Errorf("%s: Protocol() = %q, want %q", tc.name, got, tc.protocol)
		}
	}
}

func TestRevisionJSONShape(t *testing.T) {
	const in = `{"metadata":{"name":"r"},
	  "status":{"observedGeneration":1,"logUrl":"http://logs/r","actualReplicas":2,"desiredReplicas":3,
	    "containerStatuses":[{"name":"user-container","imageDigest":"img@sha256:00"}],
	    "conditions":[{"type":"Active","status":"True","lastTransitionTime":"2024-01-02T03:04:05Z"}]}}`
	var r Revision
	loadString(t, in, &r)
	if got := *r.Status.ActualReplicas; got != 2 {
		t.Errorf("ActualReplicas = %d, want 2", got)
	}
	if got := r.Status.ContainerStatuses[0].ImageDigest; got != "img@sha256:00" {
		t.Errorf("ImageDigest = %q", got)
	}
	if diff := jsonDiff(t, mustJSON(t, &r), in); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}
