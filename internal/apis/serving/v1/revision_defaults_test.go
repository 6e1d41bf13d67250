package v1

import (
	"context"
	"testing"

	"github.com/skiff-sh/skiff/internal/apis"
	corev1 "github.com/skiff-sh/skiff/internal/apis/core/v1"
)

func TestRevisionDefaults(t *testing.T) {
	tests := []struct {
		name string
		cfg  func(*apis.Config)
		in   string
		want string
	}{{
		name: "minimal",
		in:   `{"containers":[{"image":"i"}]}`,
		want: `{"containers":[{"name":"user-container","image":"i",
		  "readinessProbe":{"tcpSocket":{"port":0},"successThreshold":1}}],
		  "enableServiceLinks":false,"containerConcurrency":0,"timeoutSeconds":300}`,
	}, {
		name: "zero timeout means default",
		in:   `{"timeoutSeconds":0,"containers":[{"image":"i"}]}`,
		want: `{"containers":[{"name":"user-container","image":"i",
		  "readinessProbe":{"tcpSocket":{"port":0},"successThreshold":1}}],
		  "enableServiceLinks":false,"containerConcurrency":0,"timeoutSeconds":300}`,
	}, {
		name: "configured defaults",
		cfg: func(c *apis.Config) {
			c.RevisionTimeoutSeconds = 100
			c.ContainerConcurrency = 10
			c.RevisionIdleTimeoutSeconds = 50
			c.RevisionResponseStartTimeoutSeconds = 200 // above the timeout: not applied
			c.ContainerNameTemplate = "app"
		},
		in: `{"enableServiceLinks":true,"containers":[{"image":"i"}]}`,
		want: `{"containers":[{"name":"app","image":"i",
		  "readinessProbe":{"tcpSocket":{"port":0},"successThreshold":1}}],
		  "enableServiceLinks":true,"containerConcurrency":10,"timeoutSeconds":100,"idleTimeoutSeconds":50}`,
	}, {
		name: "user probe with a period gets Kubernetes' defaults",
		in:   `{"containers":[{"name":"a","image":"i","readinessProbe":{"httpGet":{"path":"/ready"},"periodSeconds":5}}]}`,
		want: `{"containers":[{"name":"a","image":"i",
		  "readinessProbe":{"httpGet":{"path":"/ready","port":0},"timeoutSeconds":1,"periodSeconds":5,"successThreshold":1,"failureThreshold":3}}],
		  "enableServiceLinks":false,"containerConcurrency":0,"timeoutSeconds":300}`,
	}, {
		name: "multi-container: suffixed names, probe on the serving container only",
		in:   `{"containers":[{"image":"a","ports":[{"containerPort":8881}]},{"name":"user-container-0","image":"b"},{"image":"c"}]}`,
		want: `{"containers":[
		    {"name":"user-container-1","image":"a","ports":[{"containerPort":8881,"protocol":"TCP"}],
		     "readinessProbe":{"tcpSocket":{"port":0},"successThreshold":1}},
		    {"name":"user-container-0","image":"b"},
		    {"name":"user-container-2","image":"c"}],
		  "enableServiceLinks":false,"containerConcurrency":0,"timeoutSeconds":300}`,
	}, {
		name: "mounts are read-only except emptyDir",
		in: `{"volumes":[{"name":"cm","configMap":{"name":"x"}},{"name":"tmp","emptyDir":{}}],
		  "containers":[{"name":"a","image":"i","volumeMounts":[{"name":"cm","mountPath":"/cm"},{"name":"tmp","mountPath":"/tmp"}]}]}`,
		want: `{"volumes":[{"name":"cm","configMap":{"name":"x"}},{"name":"tmp","emptyDir":{}}],
		  "containers":[{"name":"a","image":"i",
		    "volumeMounts":[{"name":"cm","readOnly":true,"mountPath":"/cm"},{"name":"tmp","mountPath":"/tmp"}],
		    "readinessProbe":{"tcpSocket":{"port":0},"successThreshold":1}}],
		  "enableServiceLinks":false,"containerConcurrency":0,"timeoutSeconds":300}`,
	}}
	for _, tc := range tests {
		cfg := apis.DefaultConfig()
		if tc.cfg != nil {
			tc.cfg(cfg)
		}
		r := &Revision{}
		loadString(t, `{"spec":`+tc.in+`}`, r)
		r.SetDefaults(apis.WithConfig(context.Background(), cfg))
		if diff := jsonDiff(t, mustJSON(t, r.Spec), tc.want); diff != "" {
			t.Errorf("%s: SetDefaults() spec (-want +got):\n%s", tc.name, diff)
		}
	}
}

func TestUserContainerName(t *testing.T) {
	tests := []struct {
		tmpl string
		want string
	}{
		{"", "user-container"},
		{"user-container", "user-container"},
		{"{{.Name}}", "user-container"}, // no parent: falls back
		{"{{.Bad", "user-container"},
		{"{{.Nope}}", "user-container"},
	}
	for _, tc := range tests {
		cfg := apis.DefaultConfig()
		cfg.ContainerNameTemplate = tc.tmpl
		if got := userContainerName(cfg, nil); got != tc.want {
			t.Errorf("userContainerName(%q) = %q, want %q", tc.tmpl, got, tc.want)
		}
	}
}

func TestRevisionDefaultsKeepUserNames(t *testing.T) {
	rs := RevisionSpec{PodSpec: corev1.PodSpec{Containers: []corev1.Container{{Name: "user-container", Image: "a", Ports: []corev1.ContainerPort{{ContainerPort: 1}}}, {Image: "b"}}}}
	rs.setDefaults(apis.DefaultConfig(), nil)
	if got := rs.Containers[1].Name; got != "user-container-0" {
		t.Errorf("second container name = %q, want user-container-0", got)
	}
}
