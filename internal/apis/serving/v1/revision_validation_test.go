package v1

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func testRevision() *Revision {
	r := &Revision{ObjectMeta: metav1.ObjectMeta{Name: "cfg-00001", Namespace: "default"}, Spec: testSpec()}
	r.SetDefaults(ctx)
	return r
}

func TestRevisionValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Revision)
		want   []string
	}{{
		name:   "valid",
		mutate: func(*Revision) {},
	}, {
		name:   "valid testdata",
		mutate: func(r *Revision) { *r = Revision{}; load(t, "revision.json", r); r.SetDefaults(ctx) },
	}, {
		name:   "autoscaling annotations belong on a revision",
		mutate: func(r *Revision) { r.Annotations = map[string]string{MinScaleAnnotationKey: "1"} },
	}, {
		name:   "bad autoscaling annotation",
		mutate: func(r *Revision) { r.Annotations = map[string]string{MinScaleAnnotationKey: "-1"} },
		want:   []string{`metadata.annotations[autoscaling.knative.dev/min-scale]: Invalid value: "-1": expected 0 <= -1 <= 2147483647`},
	}, {
		name:   "configuration label without owner",
		mutate: func(r *Revision) { r.Labels = map[string]string{ConfigurationLabelKey: "cfg"} },
		want:   []string{"metadata.labels[serving.knative.dev/configuration]: Invalid value: \"cfg\""},
	}, {
		name: "configuration label with owner",
		mutate: func(r *Revision) {
			r.Labels = map[string]string{ConfigurationLabelKey: "cfg"}
			r.OwnerReferences = []metav1.OwnerReference{{APIVersion: "serving.knative.dev/v1", Kind: "Configuration", Name: "cfg", UID: "u"}}
		},
	}, {
		name:   "spec is validated on create",
		mutate: func(r *Revision) { r.Spec.Containers[0].Image = "" },
		want:   []string{"spec.containers[0].image: Required value"},
	}, {
		name:   "name",
		mutate: func(r *Revision) { r.Name = "cfg_1" },
		want:   []string{`metadata.name: Invalid value: "cfg_1": not a DNS 1035 label`},
	}}
	for _, tc := range tests {
		r := testRevision()
		tc.mutate(r)
		checkErrs(t, tc.name, r.Validate(ctx, nil), tc.want)
	}
}

func TestRevisionValidateImmutable(t *testing.T) {
	old := testRevision()
	r := testRevision()
	r.Labels = map[string]string{RoutingStateLabelKey: string(RoutingStateReserve)}
	checkErrs(t, "metadata may change", r.Validate(ctx, old), nil)

	r.Spec.Containers[0].Image = "other"
	checkErrs(t, "spec may not change", r.Validate(ctx, old),
		[]string{"spec: Forbidden: Immutable fields changed (-old +new): containers[0].image"})
}
