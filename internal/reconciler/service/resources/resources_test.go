package resources

import (
	"testing"

	corev1 "github.com/skiff-sh/skiff/internal/apis/core/v1"
	servingv1 "github.com/skiff-sh/skiff/internal/apis/serving/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func svc() *servingv1.Service {
	p90, p10 := int64(90), int64(10)
	latest := true
	return &servingv1.Service{
		ObjectMeta: metav1.ObjectMeta{
			Name: "hello", Namespace: "default", UID: "u1",
			Labels:      map[string]string{"team": "a", servingv1.VisibilityLabelKey: servingv1.VisibilityClusterLocal},
			Annotations: map[string]string{"a": "b", lastApplied: "{}"},
		},
		Spec: servingv1.ServiceSpec{
			ConfigurationSpec: servingv1.ConfigurationSpec{Template: servingv1.RevisionTemplateSpec{
				Spec: servingv1.RevisionSpec{PodSpec: corev1.PodSpec{Containers: []corev1.Container{{Image: "/bin/x"}}}},
			}},
			RouteSpec: servingv1.RouteSpec{Traffic: []servingv1.TrafficTarget{
				{RevisionName: "hello-00001", Percent: &p90},
				{LatestRevision: &latest, Percent: &p10, Tag: "next"},
			}},
		},
	}
}

func TestMakeConfiguration(t *testing.T) {
	c := MakeConfiguration(svc())
	if c.Name != "hello" || c.Namespace != "default" {
		t.Errorf("name = %s/%s", c.Namespace, c.Name)
	}
	for k, want := range map[string]string{"team": "a", servingv1.ServiceLabelKey: "hello", servingv1.ServiceUIDLabelKey: "u1"} {
		if c.Labels[k] != want {
			t.Errorf("label %s = %q, want %q", k, c.Labels[k], want)
		}
	}
	if _, ok := c.Annotations[lastApplied]; ok || c.Annotations["a"] != "b" {
		t.Errorf("annotations = %v; want a=b and no last-applied", c.Annotations)
	}
	if len(c.OwnerReferences) != 1 || c.OwnerReferences[0].UID != "u1" || !*c.OwnerReferences[0].Controller {
		t.Errorf("owner = %+v", c.OwnerReferences)
	}
	if c.Spec.Template.Spec.Containers[0].Image != "/bin/x" {
		t.Errorf("template not copied")
	}
}

func TestMakeRoute(t *testing.T) {
	r := MakeRoute(svc())
	if len(r.Spec.Traffic) != 2 {
		t.Fatalf("traffic = %+v", r.Spec.Traffic)
	}
	if r.Spec.Traffic[0].ConfigurationName != "" || r.Spec.Traffic[0].RevisionName != "hello-00001" {
		t.Errorf("pinned target = %+v", r.Spec.Traffic[0])
	}
	if r.Spec.Traffic[1].ConfigurationName != "hello" || r.Spec.Traffic[1].Tag != "next" {
		t.Errorf("latest target = %+v; want configurationName hello", r.Spec.Traffic[1])
	}
	if r.Labels[servingv1.VisibilityLabelKey] != servingv1.VisibilityClusterLocal {
		t.Errorf("visibility label not carried to the route: %v", r.Labels)
	}
}
