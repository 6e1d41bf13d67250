package v1

import (
	"testing"
)

func TestConfigurationDefaults(t *testing.T) {
	var c Configuration
	load(t, "configuration.json", &c)
	c.SetDefaults(ctx)
	rs := c.Spec.Template.Spec
	if got, want := *rs.TimeoutSeconds, int64(300); got != want {
		t.Errorf("TimeoutSeconds = %d, want %d", got, want)
	}
	if got, want := *rs.ContainerConcurrency, int64(0); got != want {
		t.Errorf("ContainerConcurrency = %d, want %d", got, want)
	}
	if got, want := rs.Containers[0].Name, "user-container"; got != want {
		t.Errorf("container name = %q, want %q", got, want)
	}
	if rs.Containers[0].ReadinessProbe == nil || rs.Containers[0].ReadinessProbe.TCPSocket == nil {
		t.Errorf("ReadinessProbe = %+v, want the default TCP probe", rs.Containers[0].ReadinessProbe)
	}
	if rs.IdleTimeoutSeconds != nil || rs.ResponseStartTimeoutSeconds != nil {
		t.Errorf("idle/response start timeouts = %v/%v, want nil without a configured default",
			rs.IdleTimeoutSeconds, rs.ResponseStartTimeoutSeconds)
	}
}
