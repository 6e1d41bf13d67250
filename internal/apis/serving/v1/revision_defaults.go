package v1

import (
	"bytes"
	"context"
	"strconv"
	"text/template"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiff-sh/skiff/internal/apis"
	corev1 "github.com/skiff-sh/skiff/internal/apis/core/v1"
)

// defaultContainerName is the container name when the configured template
// cannot be used.
const defaultContainerName = "user-container"

// SetDefaults fills in the Revision's spec as Knative's webhook does.
func (r *Revision) SetDefaults(ctx context.Context) {
	r.Spec.setDefaults(apis.ConfigFrom(ctx), nil)
}

// setDefaults defaults a template; parent is the owning Service or
// Configuration, whose metadata the container name template sees.
func (rts *RevisionTemplateSpec) setDefaults(cfg *apis.Config, parent *metav1.ObjectMeta) {
	rts.Spec.setDefaults(cfg, parent)
}

// setDefaults applies config-defaults: timeouts, container concurrency,
// container names, the default readiness probe and read-only mounts.
func (rs *RevisionSpec) setDefaults(cfg *apis.Config, parent *metav1.ObjectMeta) {
	if rs.TimeoutSeconds == nil || *rs.TimeoutSeconds == 0 {
		rs.TimeoutSeconds = ptr(cfg.RevisionTimeoutSeconds)
	}
	// The idle and response-start timeouts are defaulted only from a
	// non-zero setting below the request timeout; nil means "none".
	if rs.IdleTimeoutSeconds == nil && cfg.RevisionIdleTimeoutSeconds != 0 && cfg.RevisionIdleTimeoutSeconds < *rs.TimeoutSeconds {
		rs.IdleTimeoutSeconds = ptr(cfg.RevisionIdleTimeoutSeconds)
	}
	if rs.ResponseStartTimeoutSeconds == nil && cfg.RevisionResponseStartTimeoutSeconds != 0 &&
		cfg.RevisionResponseStartTimeoutSeconds < *rs.TimeoutSeconds {
		rs.ResponseStartTimeoutSeconds = ptr(cfg.RevisionResponseStartTimeoutSeconds)
	}
	if rs.ContainerConcurrency == nil {
		rs.ContainerConcurrency = ptr(cfg.ContainerConcurrency)
	}
	if rs.EnableServiceLinks == nil {
		// config-defaults enable-service-links is "false" by default.
		rs.EnableServiceLinks = ptr(false)
	}

	rs.defaultContainerNames(userContainerName(cfg, parent))

	writable := map[string]bool{}
	for _, v := range rs.Volumes {
		if v.EmptyDir != nil {
			writable[v.Name] = true
		}
	}
	for i := range rs.Containers {
		c := &rs.Containers[i]
		// Default probes go to the serving container only.
		if len(rs.Containers) == 1 || len(c.Ports) > 0 {
			applyProbeDefaults(c)
		}
		for j := range c.Ports {
			// Knative's CRD schema defaults the protocol.
			if c.Ports[j].Protocol == "" {
				c.Ports[j].Protocol = corev1.ProtocolTCP
			}
		}
		for j := range c.VolumeMounts {
			if !writable[c.VolumeMounts[j].Name] {
				c.VolumeMounts[j].ReadOnly = true
			}
		}
	}
}

// defaultContainerNames names unnamed containers after the template; with
// several containers, or a clash with a user's name, a numeric suffix is
// added, skipping names already taken.
func (rs *RevisionSpec) defaultContainerNames(base string) {
	taken := map[string]bool{}
	for _, c := range rs.Containers {
		taken[c.Name] = true
	}
	next := 0
	for i := range rs.Containers {
		if rs.Containers[i].Name != "" {
			continue
		}
		name := base
		if len(rs.Containers) > 1 || taken[name] {
			for {
				name = base + "-" + strconv.Itoa(next)
				next++
				if !taken[name] {
					break
				}
			}
		}
		taken[name] = true
		rs.Containers[i].Name = name
	}
}

// userContainerName renders config-defaults container-name-template against
// the parent's metadata, as Knative does ("{{.Name}}" names the container
// after the Service).
func userContainerName(cfg *apis.Config, parent *metav1.ObjectMeta) string {
	tmpl := cfg.ContainerNameTemplate
	if tmpl == "" {
		return defaultContainerName
	}
	t, err := template.New("container-name").Option("missingkey=zero").Parse(tmpl)
	if err != nil {
		return defaultContainerName
	}
	if parent == nil {
		parent = &metav1.ObjectMeta{}
	}
	var b bytes.Buffer
	if err := t.Execute(&b, parent); err != nil || b.Len() == 0 {
		return defaultContainerName
	}
	return b.String()
}

// applyProbeDefaults gives the serving container Knative's default readiness
// probe: TCP on the user port, probed aggressively (periodSeconds 0) unless
// the user set a period, when Kubernetes' defaults apply.
func applyProbeDefaults(c *corev1.Container) {
	if c.ReadinessProbe == nil {
		c.ReadinessProbe = &corev1.Probe{}
	}
	p := c.ReadinessProbe
	if p.TCPSocket == nil && p.HTTPGet == nil && p.Exec == nil && p.GRPC == nil {
		p.TCPSocket = &corev1.TCPSocketAction{}
	}
	if p.SuccessThreshold == 0 {
		p.SuccessThreshold = 1
	}
	if p.PeriodSeconds != 0 {
		if p.FailureThreshold == 0 {
			p.FailureThreshold = 3
		}
		if p.TimeoutSeconds == 0 {
			p.TimeoutSeconds = 1
		}
	}
}

func ptr[T any](v T) *T { return &v }
