// Package resources builds the Revisions a Configuration stamps out.
package resources

import (
	"fmt"
	"maps"
	"strconv"

	servingv1 "github.com/skiff-sh/skiff/internal/apis/serving/v1"
	"github.com/skiff-sh/skiff/internal/reconciler/typed"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// RevisionName is the name of the Revision for the Configuration's current
// generation: the template's own name, or <configuration>-<generation as
// five digits>, as Knative names them.
func RevisionName(cfg *servingv1.Configuration) string {
	if n := cfg.Spec.Template.Name; n != "" {
		return n
	}
	return fmt.Sprintf("%s-%05d", cfg.Name, cfg.Generation)
}

// MakeRevision returns the Revision of the Configuration's current
// template: its labels and annotations plus Knative's configuration and
// service labels, owned by the Configuration.
func MakeRevision(cfg *servingv1.Configuration) *servingv1.Revision {
	labels := maps.Clone(cfg.Spec.Template.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels[servingv1.ConfigurationLabelKey] = cfg.Name
	labels[servingv1.ConfigurationUIDLabelKey] = string(cfg.UID)
	labels[servingv1.ConfigurationGenerationLabelKey] = strconv.FormatInt(cfg.Generation, 10)
	labels[servingv1.RoutingStateLabelKey] = string(servingv1.RoutingStatePending)
	if s := cfg.Labels[servingv1.ServiceLabelKey]; s != "" {
		labels[servingv1.ServiceLabelKey] = s
		labels[servingv1.ServiceUIDLabelKey] = cfg.Labels[servingv1.ServiceUIDLabelKey]
	}
	return &servingv1.Revision{
		TypeMeta: metav1.TypeMeta{APIVersion: "serving.knative.dev/v1", Kind: "Revision"},
		ObjectMeta: metav1.ObjectMeta{
			Name: RevisionName(cfg), Namespace: cfg.Namespace,
			Labels: labels, Annotations: maps.Clone(cfg.Spec.Template.Annotations),
			OwnerReferences: []metav1.OwnerReference{typed.OwnerReference(cfg, "serving.knative.dev/v1", "Configuration")},
		},
		Spec: typed.Clone(cfg.Spec.Template.Spec),
	}
}
