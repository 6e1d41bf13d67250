package resources

import (
	"testing"

	servingv1 "github.com/skiff-sh/skiff/internal/apis/serving/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestRevisionNameAndLabels(t *testing.T) {
	cfg := &servingv1.Configuration{ObjectMeta: metav1.ObjectMeta{
		Name: "hello", Namespace: "default", UID: "c1", Generation: 7,
		Labels: map[string]string{servingv1.ServiceLabelKey: "hello", servingv1.ServiceUIDLabelKey: "s1"},
	}}
	cfg.Spec.Template.Labels = map[string]string{"app": "x"}
	cfg.Spec.Template.Annotations = map[string]string{"autoscaling.knative.dev/min-scale": "2"}
	tests := []struct {
		userName, want string
	}{
		{"", "hello-00007"},
		{"hello-blue", "hello-blue"},
	}
	for _, tt := range tests {
		cfg.Spec.Template.Name = tt.userName
		if got := RevisionName(cfg); got != tt.want {
			t.Errorf("RevisionName(template name %q) = %q, want %q", tt.userName, got, tt.want)
		}
	}
	cfg.Spec.Template.Name = ""
	rev := MakeRevision(cfg)
	for k, want := range map[string]string{
		"app": "x", servingv1.ConfigurationLabelKey: "hello", servingv1.ConfigurationUIDLabelKey: "c1",
		servingv1.ConfigurationGenerationLabelKey: "7", servingv1.ServiceLabelKey: "hello",
		servingv1.ServiceUIDLabelKey: "s1", servingv1.RoutingStateLabelKey: "pending",
	} {
		if rev.Labels[k] != want {
			t.Errorf("label %s = %q, want %q", k, rev.Labels[k], want)
		}
	}
	if rev.Annotations["autoscaling.knative.dev/min-scale"] != "2" || rev.OwnerReferences[0].UID != "c1" {
		t.Errorf("annotations %v owner %+v", rev.Annotations, rev.OwnerReferences)
	}
	// The template's labels map is not shared with the revision.
	rev.Labels["app"] = "changed"
	if cfg.Spec.Template.Labels["app"] != "x" {
		t.Error("MakeRevision aliases the template's labels")
	}
}
