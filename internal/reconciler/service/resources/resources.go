// Package resources builds the Configuration and Route a Knative Service
// owns. The builders are pure functions of the Service.
package resources

import (
	"maps"

	servingv1 "github.com/skiff-sh/skiff/internal/apis/serving/v1"
	"github.com/skiff-sh/skiff/internal/reconciler/typed"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// lastApplied is kubectl's annotation, which children do not inherit.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// childMeta is the metadata Knative gives a Service's children: the
// Service's labels plus the service labels, its annotations but kubectl's,
// and a controller reference.
func childMeta(svc *servingv1.Service) metav1.ObjectMeta {
	labels := maps.Clone(svc.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels[servingv1.ServiceLabelKey] = svc.Name
	labels[servingv1.ServiceUIDLabelKey] = string(svc.UID)
	var ann map[string]string
	for k, v := range svc.Annotations {
		if k == lastApplied {
			continue
		}
		if ann == nil {
			ann = map[string]string{}
		}
		ann[k] = v
	}
	return metav1.ObjectMeta{
		Name: svc.Name, Namespace: svc.Namespace, Labels: labels, Annotations: ann,
		OwnerReferences: []metav1.OwnerReference{typed.OwnerReference(svc, "serving.knative.dev/v1", "Service")},
	}
}

// MakeConfiguration returns the Configuration of svc.
func MakeConfiguration(svc *servingv1.Service) *servingv1.Configuration {
	return &servingv1.Configuration{
		TypeMeta:   metav1.TypeMeta{APIVersion: "serving.knative.dev/v1", Kind: "Configuration"},
		ObjectMeta: childMeta(svc),
		Spec:       typed.Clone(svc.Spec.ConfigurationSpec),
	}
}

// MakeRoute returns the Route of svc: its traffic, with targets that follow
// the latest revision pointed at the Service's Configuration.
func MakeRoute(svc *servingv1.Service) *servingv1.Route {
	r := &servingv1.Route{
		TypeMeta:   metav1.TypeMeta{APIVersion: "serving.knative.dev/v1", Kind: "Route"},
		ObjectMeta: childMeta(svc),
	}
	for _, t := range svc.Spec.Traffic {
		t := typed.Clone(t)
		if t.RevisionName == "" {
			t.ConfigurationName = svc.Name
		}
		r.Spec.Traffic = append(r.Spec.Traffic, t)
	}
	return r
}
