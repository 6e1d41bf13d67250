package v1

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiff-sh/skiff/internal/apis"
	corev1 "github.com/skiff-sh/skiff/internal/apis/core/v1"
)

func TestServiceValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Service)
		want   []string
	}{{
		name:   "valid",
		mutate: func(*Service) {},
	}, {
		name:   "missing name",
		mutate: func(s *Service) { s.Name = "" },
		want:   []string{"metadata.name: Required value: name or generateName is required"},
	}, {
		name:   "generateName instead of name",
		mutate: func(s *Service) { s.Name, s.GenerateName = "", "svc-" },
		want:   []string{"metadata.name: Required value"},
	}, {
		name:   "name must be a DNS-1035 label",
		mutate: func(s *Service) { s.Name = "1svc" },
		want:   []string{`metadata.name: Invalid value: "1svc": not a DNS 1035 label: [a DNS-1035 label must consist of`},
	}, {
		name:   "name too long",
		mutate: func(s *Service) { s.Name = strings.Repeat("a", 64) },
		want:   []string{"not a DNS 1035 label: [must be no more than 63 characters]"},
	}, {
		name:   "63 characters is fine",
		mutate: func(s *Service) { s.Name = strings.Repeat("a", 63) },
	}, {
		name: "autoscaling annotation on the service",
		mutate: func(s *Service) {
			s.Annotations = map[string]string{MinScaleAnnotationKey: "1"}
		},
		want: []string{`metadata.annotations[autoscaling.knative.dev/min-scale]: Forbidden: autoscaling annotations must be put under "spec.template.metadata.annotations" to work`},
	}, {
		name:   "visibility cluster-local",
		mutate: func(s *Service) { s.Labels = map[string]string{VisibilityLabelKey: "cluster-local"} },
	}, {
		name:   "visibility other",
		mutate: func(s *Service) { s.Labels = map[string]string{VisibilityLabelKey: "public"} },
		want:   []string{`metadata.labels[networking.knative.dev/visibility]: Unsupported value: "public": supported values: "cluster-local"`},
	}, {
		name:   "rollout duration",
		mutate: func(s *Service) { s.Annotations = map[string]string{RolloutDurationKey: "2m"} },
	}, {
		name:   "rollout duration legacy key, negative",
		mutate: func(s *Service) { s.Annotations = map[string]string{RolloutDurationLegacyKey: "-2m"} },
		want:   []string{"metadata.annotations[serving.knative.dev/rolloutDuration]: Invalid value: \"-2m\": rollout-duration=-2m must be positive"},
	}, {
		name:   "rollout duration sub-second",
		mutate: func(s *Service) { s.Annotations = map[string]string{RolloutDurationKey: "1.5s"} },
		want:   []string{"rollout-duration=1.5s is not at second precision"},
	}, {
		name:   "rollout duration not a duration",
		mutate: func(s *Service) { s.Annotations = map[string]string{RolloutDurationKey: "soon"} },
		want:   []string{`metadata.annotations[serving.knative.dev/rollout-duration]: Invalid value: "soon"`},
	}, {
		name:   "no containers",
		mutate: func(s *Service) { s.Spec.Template.Spec.Containers = nil },
		want:   []string{"spec.template.spec.containers: Required value"},
	}, {
		name:   "image required",
		mutate: func(s *Service) { s.Spec.Template.Spec.Containers[0].Image = "" },
		want:   []string{"spec.template.spec.containers[0].image: Required value"},
	}, {
		name:   "local path image",
		mutate: func(s *Service) { s.Spec.Template.Spec.Containers[0].Image = "/usr/local/bin/hello" },
	}, {
		name: "timeout above max",
		mutate: func(s *Service) {
			s.Spec.Template.Spec.TimeoutSeconds = ptr[int64](601)
		},
		want: []string{"spec.template.spec.timeoutSeconds: Invalid value: 601: expected 0 <= 601 <= 600"},
	}, {
		name:   "negative timeout",
		mutate: func(s *Service) { s.Spec.Template.Spec.TimeoutSeconds = ptr[int64](-1) },
		want:   []string{"expected 0 <= -1 <= 600"},
	}, {
		name: "response start timeout above timeout",
		mutate: func(s *Service) {
			s.Spec.Template.Spec.TimeoutSeconds = ptr[int64](100)
			s.Spec.Template.Spec.ResponseStartTimeoutSeconds = ptr[int64](101)
		},
		want: []string{"spec.template.spec.responseStartTimeoutSeconds: Invalid value: 101: expected 0 <= 101 <= 100"},
	}, {
		name: "idle timeout above timeout",
		mutate: func(s *Service) {
			s.Spec.Template.Spec.IdleTimeoutSeconds = ptr[int64](301)
		},
		want: []string{"spec.template.spec.idleTimeoutSeconds: Invalid value: 301: expected 0 <= 301 <= 300"},
	}, {
		name: "sub-timeouts within timeout",
		mutate: func(s *Service) {
			s.Spec.Template.Spec.ResponseStartTimeoutSeconds = ptr[int64](300)
			s.Spec.Template.Spec.IdleTimeoutSeconds = ptr[int64](0)
		},
	}, {
		name:   "container concurrency above limit",
		mutate: func(s *Service) { s.Spec.Template.Spec.ContainerConcurrency = ptr[int64](1001) },
		want:   []string{"spec.template.spec.containerConcurrency: Invalid value: 1001: expected 0 <= 1001 <= 1000"},
	}, {
		name:   "negative container concurrency",
		mutate: func(s *Service) { s.Spec.Template.Spec.ContainerConcurrency = ptr[int64](-1) },
		want:   []string{"expected 0 <= -1 <= 1000"},
	}, {
		name:   "container concurrency at limit",
		mutate: func(s *Service) { s.Spec.Template.Spec.ContainerConcurrency = ptr[int64](1000) },
	}, {
		name:   "traffic sums to 90",
		mutate: func(s *Service) { s.Spec.Traffic[0].Percent = ptr[int64](90) },
		want:   []string{"spec.traffic: Invalid value: 90: Traffic targets sum to 90, want 100"},
	}, {
		name: "percent out of range",
		mutate: func(s *Service) {
			s.Spec.Traffic = []TrafficTarget{
				{LatestRevision: ptr(true), Percent: ptr[int64](150)},
				{RevisionName: "svc-1", LatestRevision: ptr(false), Percent: ptr[int64](-50)},
			}
		},
		want: []string{
			"spec.traffic[0].percent: Invalid value: 150: expected 0 <= 150 <= 100",
			"spec.traffic[1].percent: Invalid value: -50: expected 0 <= -50 <= 100",
		},
	}, {
		name: "configurationName not allowed in a service",
		mutate: func(s *Service) {
			s.Spec.Traffic[0].ConfigurationName = "other"
		},
		want: []string{"spec.traffic[0].configurationName: Forbidden: must not set the field(s)"},
	}, {
		name: "split between latest and a pinned revision, with tags",
		mutate: func(s *Service) {
			s.Spec.Traffic = []TrafficTarget{
				{Tag: "current", RevisionName: "svc-00001", LatestRevision: ptr(false), Percent: ptr[int64](90)},
				{Tag: "latest", LatestRevision: ptr(true), Percent: ptr[int64](10)},
			}
		},
	}, {
		name: "duplicate tags",
		mutate: func(s *Service) {
			s.Spec.Traffic = []TrafficTarget{
				{Tag: "a", LatestRevision: ptr(true), Percent: ptr[int64](50)},
				{Tag: "a", RevisionName: "svc-1", LatestRevision: ptr(false), Percent: ptr[int64](50)},
			}
		},
		want: []string{`spec.traffic[1].tag: Duplicate value: "a"`},
	}, {
		name: "tag not a DNS label",
		mutate: func(s *Service) {
			s.Spec.Traffic[0].Tag = "Not_Valid"
		},
		want: []string{`spec.traffic[0].tag: Invalid value: "Not_Valid": not a DNS 1035 label`},
	}, {
		name: "latestRevision true with a revision",
		mutate: func(s *Service) {
			s.Spec.Traffic[0].RevisionName = "svc-1"
		},
		want: []string{`spec.traffic[0].latestRevision: Invalid value: true: may not set revisionName "svc-1" when latestRevision is true`},
	}, {
		name: "latestRevision false without a revision",
		mutate: func(s *Service) {
			s.Spec.Traffic[0].LatestRevision = ptr(false)
		},
		want: []string{`spec.traffic[0].latestRevision: Invalid value: false: may not set revisionName "" when latestRevision is false`},
	}, {
		name: "url in spec traffic",
		mutate: func(s *Service) {
			s.Spec.Traffic[0].Tag = "a"
			s.Spec.Traffic[0].URL, _ = apis.ParseURL("http://a-svc.default.localhost")
		},
		want: []string{"spec.traffic[0].url: Forbidden: must not set the field(s)"},
	}, {
		name:   "revision name with the service prefix",
		mutate: func(s *Service) { s.Spec.Template.Name = "svc-v1" },
	}, {
		name:   "revision name without the service prefix",
		mutate: func(s *Service) { s.Spec.Template.Name = "other-v1" },
		want:   []string{`spec.template.metadata.name: Invalid value: "other-v1": "other-v1" must have prefix "svc-"`},
	}, {
		name:   "revision name not a DNS label",
		mutate: func(s *Service) { s.Spec.Template.Name = "svc-V1" },
		want:   []string{`spec.template.metadata.name: Invalid value: "svc-V1": not a DNS 1035 label`},
	}, {
		name: "revision name with a generated service name",
		mutate: func(s *Service) {
			s.Name, s.GenerateName = "", "svc-"
			s.Spec.Template.Name = "svc-v1"
		},
		want: []string{"metadata.name: Required value", "spec.template.metadata.name: Forbidden: must not set the field(s)"},
	}, {
		name: "autoscaling annotations on the template",
		mutate: func(s *Service) {
			s.Spec.Template.Annotations = map[string]string{MinScaleAnnotationKey: "3", MaxScaleAnnotationKey: "2"}
		},
		want: []string{`spec.template.metadata.annotations[autoscaling.knative.dev/max-scale]: Invalid value: "2": max-scale=2 is less than min-scale=3`},
	}, {
		name: "progress deadline",
		mutate: func(s *Service) {
			s.Spec.Template.Annotations = map[string]string{ProgressDeadlineAnnotationKey: "0s"}
		},
		want: []string{"progress-deadline=0s must be positive"},
	}, {
		name: "template label syntax",
		mutate: func(s *Service) {
			s.Spec.Template.Labels = map[string]string{"bad key": "v"}
		},
		want: []string{`spec.template.metadata.labels: Invalid value: "bad key"`},
	}}
	for _, tc := range tests {
		s := testService()
		tc.mutate(s)
		checkErrs(t, tc.name, s.Validate(ctx, nil), tc.want)
	}
}

func TestServiceValidateNameChange(t *testing.T) {
	named := func(name, image string) *Service {
		s := testService()
		s.Spec.Template.Name = name
		s.Spec.Template.Spec.Containers[0].Image = image
		return s
	}
	tests := []struct {
		name     string
		old, new *Service
		want     []string
	}{{
		name: "unchanged",
		old:  named("svc-v1", "a"),
		new:  named("svc-v1", "a"),
	}, {
		name: "changed with a new name",
		old:  named("svc-v1", "a"),
		new:  named("svc-v2", "b"),
	}, {
		name: "changed without a new name",
		old:  named("svc-v1", "a"),
		new:  named("svc-v1", "b"),
		want: []string{`spec.template.metadata.name: Invalid value: "svc-v1": Saw the following changes without a name change (-old +new): spec.containers[0].image`},
	}, {
		name: "unnamed template may change",
		old:  named("", "a"),
		new:  named("", "b"),
	}, {
		name: "traffic may change without a new name",
		old:  named("svc-v1", "a"),
		new: func() *Service {
			s := named("svc-v1", "a")
			s.Spec.Traffic = []TrafficTarget{{RevisionName: "svc-v1", LatestRevision: ptr(false), Percent: ptr[int64](100)}}
			return s
		}(),
	}, {
		name: "template annotations count as a change",
		old:  named("svc-v1", "a"),
		new: func() *Service {
			s := named("svc-v1", "a")
			s.Spec.Template.Annotations = map[string]string{MinScaleAnnotationKey: "1"}
			return s
		}(),
		want: []string{"Saw the following changes without a name change (-old +new): metadata.annotations"},
	}}
	for _, tc := range tests {
		checkErrs(t, tc.name, tc.new.Validate(ctx, tc.old), tc.want)
	}
}

func TestServiceValidateConfig(t *testing.T) {
	cfg := apis.DefaultConfig()
	cfg.MaxRevisionTimeoutSeconds = 3600
	cfg.ContainerConcurrencyMaxLimit = 10
	c := apis.WithConfig(context.Background(), cfg)
	s := &Service{ObjectMeta: metav1.ObjectMeta{Name: "svc"}}
	s.Spec.Template.Spec.Containers = []corev1.Container{{Image: "i"}}
	s.Spec.Template.Spec.TimeoutSeconds = ptr[int64](1800)
	s.Spec.Template.Spec.ContainerConcurrency = ptr[int64](11)
	s.SetDefaults(c)
	checkErrs(t, "config limits", s.Validate(c, nil), []string{"containerConcurrency: Invalid value: 11: expected 0 <= 11 <= 10"})
}
