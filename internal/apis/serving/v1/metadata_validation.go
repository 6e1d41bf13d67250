package v1

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	corev1 "github.com/skiff-sh/skiff/internal/apis/core/v1"
)

var metadataPath = field.NewPath("metadata")

// nameIsDNS1035Label is the name rule of every Knative Serving object, with
// Knative's wording.
func nameIsDNS1035Label(name string, prefix bool) []string {
	msgs := apivalidation.NameIsDNS1035Label(name, prefix)
	if len(msgs) == 0 {
		return nil
	}
	if prefix {
		return []string{fmt.Sprint("not a DNS 1035 label prefix: ", msgs)}
	}
	return []string{fmt.Sprint("not a DNS 1035 label: ", msgs)}
}

// validateObjectMeta applies the API server's metadata rules with Knative's
// name rule (a DNS-1035 label of at most 63 characters).
func validateObjectMeta(meta *metav1.ObjectMeta) field.ErrorList {
	return corev1.ValidateObjectMeta(meta, true, nameIsDNS1035Label, metadataPath)
}

// validateNoAutoscalingAnnotations rejects autoscaling annotations on a
// Service, Configuration or Route, where Knative ignores them.
func validateNoAutoscalingAnnotations(annotations map[string]string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, k := range sortedKeys(annotations) {
		if strings.HasPrefix(k, AutoscalingGroupName+"/") {
			errs = append(errs, field.Forbidden(p.Key(k),
				`autoscaling annotations must be put under "spec.template.metadata.annotations" to work`))
		}
	}
	return errs
}

// validateRolloutDuration checks serving.knative.dev/rollout-duration: a
// non-negative Go duration at second precision.
func validateRolloutDuration(annotations map[string]string, p *field.Path) field.ErrorList {
	k, v, ok := lookup(annotations, RolloutDurationKey, RolloutDurationLegacyKey)
	if !ok || v == "" {
		return nil
	}
	d, err := time.ParseDuration(v)
	switch {
	case err != nil:
		return field.ErrorList{field.Invalid(p.Key(k), v, "not a valid duration: "+err.Error())}
	case d.Round(time.Second) != d:
		return field.ErrorList{field.Invalid(p.Key(k), v, fmt.Sprintf("rollout-duration=%s is not at second precision", v))}
	case d < 0:
		return field.ErrorList{field.Invalid(p.Key(k), v, fmt.Sprintf("rollout-duration=%s must be positive", v))}
	}
	return nil
}

// validateVisibilityLabel checks that networking.knative.dev/visibility, when
// present, is cluster-local.
func validateVisibilityLabel(labels map[string]string, p *field.Path) field.ErrorList {
	if v, ok := labels[VisibilityLabelKey]; ok && v != VisibilityClusterLocal {
		return field.ErrorList{field.NotSupported(p.Key(VisibilityLabelKey), v, []string{VisibilityClusterLocal})}
	}
	return nil
}

// verifyLabelOwnerRef checks that an object labelled with its parent's name
// (serving.knative.dev/service, .../configuration) is owned by that parent,
// so that users cannot attach objects to a parent by labelling them.
func verifyLabelOwnerRef(meta *metav1.ObjectMeta, label, kind string, p *field.Path) field.ErrorList {
	val, ok := meta.Labels[label]
	if !ok {
		return nil
	}
	for _, ref := range meta.OwnerReferences {
		if ref.Kind == kind && ref.Name == val {
			return nil
		}
	}
	return field.ErrorList{field.Invalid(p.Key(label), val,
		fmt.Sprintf("the object must be owned by the %s named by this label", kind))}
}

// validateTemplateMeta checks the label and annotation syntax of a revision
// template, which become the Revision's.
func validateTemplateMeta(meta *metav1.ObjectMeta, p *field.Path) field.ErrorList {
	errs := metav1validation.ValidateLabels(meta.Labels, p.Child("labels"))
	return append(errs, apivalidation.ValidateAnnotations(meta.Annotations, p.Child("annotations"))...)
}

// validateProgressDeadline checks serving.knative.dev/progress-deadline: a
// positive Go duration at second precision.
func validateProgressDeadline(annotations map[string]string, p *field.Path) field.ErrorList {
	v, ok := annotations[ProgressDeadlineAnnotationKey]
	if !ok || v == "" {
		return nil
	}
	k := p.Key(ProgressDeadlineAnnotationKey)
	d, err := time.ParseDuration(v)
	switch {
	case err != nil:
		return field.ErrorList{field.Invalid(k, v, "not a valid duration: "+err.Error())}
	case d.Round(time.Second) != d:
		return field.ErrorList{field.Invalid(k, v, fmt.Sprintf("progress-deadline=%s is not at second precision", v))}
	case d <= 0:
		return field.ErrorList{field.Invalid(k, v, fmt.Sprintf("progress-deadline=%s must be positive", v))}
	}
	return nil
}

// sortedKeys returns the keys of m in order, so that errors come out in a
// stable order.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// lookup returns the first of keys present in m, with its value.
func lookup(m map[string]string, keys ...string) (key, value string, ok bool) {
	for _, k := range keys {
		if v, ok := m[k]; ok {
			return k, v, true
		}
	}
	return "", "", false
}
