package v1

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiff-sh/skiff/internal/apis"
)

func TestRouteValidate(t *testing.T) {
	tests := []struct {
		name    string
		meta    metav1.ObjectMeta
		traffic string
		want    []string
	}{{
		name:    "valid testdata split",
		traffic: `[{"revisionName":"my-service-00001","percent":90},{"configurationName":"my-service","latestRevision":true,"percent":10,"tag":"latest"}]`,
	}, {
		name:    "no traffic",
		traffic: `[]`,
		want:    []string{"spec.traffic: Invalid value: 0: Traffic targets sum to 0, want 100"},
	}, {
		name:    "missing percent counts as zero",
		traffic: `[{"configurationName":"c"}]`,
		want:    []string{"Traffic targets sum to 0, want 100"},
	}, {
		name:    "neither revision nor configuration",
		traffic: `[{"percent":100}]`,
		want:    []string{"spec.traffic[0]: Required value: expected exactly one, got neither: revisionName, configurationName"},
	}, {
		name:    "both revision and configuration",
		traffic: `[{"revisionName":"c-1","configurationName":"c","latestRevision":false,"percent":100}]`,
		want:    []string{"spec.traffic[0]: Forbidden: expected exactly one, got both: revisionName, configurationName"},
	}, {
		name:    "configuration pinned",
		traffic: `[{"configurationName":"c","latestRevision":false,"percent":100}]`,
		want:    []string{`spec.traffic[0].latestRevision: Invalid value: false: may not set revisionName "" when latestRevision is false`},
	}, {
		name:    "invalid revision name",
		traffic: `[{"revisionName":"-bad-","percent":100}]`,
		want:    []string{`spec.traffic[0].revisionName: Invalid value: "-bad-"`},
	}, {
		name:    "duplicate and bad tags",
		traffic: `[{"configurationName":"c","tag":"x","percent":50},{"revisionName":"c-1","tag":"x","percent":25},{"revisionName":"c-2","tag":"9lives","percent":25}]`,
		want: []string{
			`spec.traffic[1].tag: Duplicate value: "x"`,
			`spec.traffic[2].tag: Invalid value: "9lives": not a DNS 1035 label`,
		},
	}, {
		name:    "url in spec",
		traffic: `[{"configurationName":"c","percent":100,"url":"http://x"}]`,
		want:    []string{"spec.traffic[0].url: Forbidden: must not set the field(s)"},
	}, {
		name:    "visibility label",
		meta:    metav1.ObjectMeta{Labels: map[string]string{VisibilityLabelKey: "internal"}},
		traffic: `[{"configurationName":"c","percent":100}]`,
		want:    []string{`metadata.labels[networking.knative.dev/visibility]: Unsupported value: "internal"`},
	}, {
		name:    "service label needs an owner",
		meta:    metav1.ObjectMeta{Labels: map[string]string{ServiceLabelKey: "s"}},
		traffic: `[{"configurationName":"c","percent":100}]`,
		want:    []string{"metadata.labels[serving.knative.dev/service]: Invalid value"},
	}, {
		name:    "rollout duration",
		meta:    metav1.ObjectMeta{Annotations: map[string]string{RolloutDurationKey: "1h"}},
		traffic: `[{"configurationName":"c","percent":100}]`,
	}, {
		name:    "autoscaling annotation",
		meta:    metav1.ObjectMeta{Annotations: map[string]string{WindowAnnotationKey: "1m"}},
		traffic: `[{"configurationName":"c","percent":100}]`,
		want:    []string{"metadata.annotations[autoscaling.knative.dev/window]: Forbidden"},
	}}
	for _, tc := range tests {
		r := &Route{}
		loadString(t, `{"spec":{"traffic":`+tc.traffic+`}}`, r)
		r.ObjectMeta = tc.meta
		r.Name, r.Namespace = "rt", "default"
		r.SetDefaults(ctx)
		checkErrs(t, tc.name, r.Validate(ctx, nil), tc.want)
	}
}

func TestRouteValidateTestdata(t *testing.T) {
	var r Route
	load(t, "route.json", &r)
	r.SetDefaults(ctx)
	checkErrs(t, "route.json", r.Validate(ctx, nil), nil)
	var _ apis.Object = &r
}
