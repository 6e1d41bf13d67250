package v1

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func testConfiguration() *Configuration {
	c := &Configuration{
		ObjectMeta: metav1.ObjectMeta{Name: "cfg", Namespace: "default"},
		Spec:       ConfigurationSpec{Template: RevisionTemplateSpec{Spec: testSpec()}},
	}
	c.SetDefaults(ctx)
	return c
}

func TestConfigurationValidate(t *testing.T) {
	owner := metav1.OwnerReference{APIVersion: "serving.knative.dev/v1", Kind: "Service", Name: "svc", UID: "u1"}
	tests := []struct {
		name   string
		mutate func(*Configuration)
		want   []string
	}{{
		name:   "valid",
		mutate: func(*Configuration) {},
	}, {
		name:   "valid testdata",
		mutate: func(c *Configuration) { *c = Configuration{}; load(t, "configuration.json", c); c.SetDefaults(ctx) },
	}, {
		name:   "bad name",
		mutate: func(c *Configuration) { c.Name = "cfg.v1" },
		want:   []string{`metadata.name: Invalid value: "cfg.v1": not a DNS 1035 label`},
	}, {
		name:   "autoscaling annotation on the configuration",
		mutate: func(c *Configuration) { c.Annotations = map[string]string{"autoscaling.knative.dev/maxScale": "1"} },
		want:   []string{`metadata.annotations[autoscaling.knative.dev/maxScale]: Forbidden`},
	}, {
		name: "service label with owner",
		mutate: func(c *Configuration) {
			c.Labels = map[string]string{ServiceLabelKey: "svc"}
			c.OwnerReferences = []metav1.OwnerReference{owner}
		},
	}, {
		name:   "service label without owner",
		mutate: func(c *Configuration) { c.Labels = map[string]string{ServiceLabelKey: "svc"} },
		want:   []string{`metadata.labels[serving.knative.dev/service]: Invalid value: "svc": the object must be owned by the Service named by this label`},
	}, {
		name:   "template name prefix",
		mutate: func(c *Configuration) { c.Spec.Template.Name = "svc-1" },
		want:   []string{`"svc-1" must have prefix "cfg-"`},
	}, {
		name:   "template generateName",
		mutate: func(c *Configuration) { c.Spec.Template.GenerateName = "cfg-" },
	}, {
		name:   "bad template generateName",
		mutate: func(c *Configuration) { c.Spec.Template.GenerateName = "Cfg-" },
		want:   []string{`spec.template.metadata.generateName: Invalid value: "Cfg-": not a DNS 1035 label prefix`},
	}, {
		name:   "template spec errors carry the full path",
		mutate: func(c *Configuration) { c.Spec.Template.Spec.Containers[0].Image = "" },
		want:   []string{"spec.template.spec.containers[0].image: Required value"},
	}}
	for _, tc := range tests {
		c := testConfiguration()
		tc.mutate(c)
		checkErrs(t, tc.name, c.Validate(ctx, nil), tc.want)
	}
}

func TestConfigurationValidateNameChange(t *testing.T) {
	old := testConfiguration()
	old.Spec.Template.Name = "cfg-a"
	c := testConfiguration()
	c.Spec.Template.Name = "cfg-a"
	c.Spec.Template.Spec.Containers[0].Env = append(c.Spec.Template.Spec.Containers[0].Env, envVar("A", "1"))
	checkErrs(t, "env added, same name", c.Validate(ctx, old),
		[]string{"spec.template.metadata.name: Invalid value: \"cfg-a\": Saw the following changes without a name change (-old +new): spec.containers[0].env"})
	c.Spec.Template.Name = "cfg-b"
	checkErrs(t, "env added, new name", c.Validate(ctx, old), nil)
}
