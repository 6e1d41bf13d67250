package v1

import (
	"context"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/apis"
)

// Validate checks a Revision's metadata (autoscaling annotations belong
// here), and its spec on create; on update the spec must not change.
func (r *Revision) Validate(ctx context.Context, old apis.Object) field.ErrorList {
	cfg := apis.ConfigFrom(ctx)
	errs := validateObjectMeta(&r.ObjectMeta)
	errs = append(errs, ValidateAutoscalingAnnotations(cfg, r.Annotations, metadataPath.Child("annotations"))...)
	errs = append(errs, verifyLabelOwnerRef(&r.ObjectMeta, ConfigurationLabelKey, "Configuration", metadataPath.Child("labels"))...)

	if o, ok := old.(*Revision); ok && o != nil {
		if !equality.Semantic.DeepEqual(o.Spec, r.Spec) {
			errs = append(errs, field.Forbidden(field.NewPath("spec"),
				"Immutable fields changed (-old +new): "+diffPaths(o.Spec, r.Spec)))
		}
		return errs
	}
	return append(errs, r.Spec.validate(cfg, field.NewPath("spec"))...)
}

// validate checks a revision template within its parent (a Service or
// Configuration): the spec, the autoscaling annotations, and the name.
func (rts *RevisionTemplateSpec) validate(cfg *apis.Config, parent *metav1.ObjectMeta, p *field.Path) field.ErrorList {
	mp := p.Child("metadata")
	errs := rts.Spec.validate(cfg, p.Child("spec"))
	errs = append(errs, validateTemplateMeta(&rts.ObjectMeta, mp)...)
	errs = append(errs, ValidateAutoscalingAnnotations(cfg, rts.Annotations, mp.Child("annotations"))...)
	errs = append(errs, validateProgressDeadline(rts.Annotations, mp.Child("annotations"))...)
	return append(errs, validateRevisionName(rts.Name, rts.GenerateName, parent, mp)...)
}

// validateRevisionName checks a user-chosen revision name: a DNS-1035 label
// that starts with "<parent name>-", which needs a parent with a name.
func validateRevisionName(name, generateName string, parent *metav1.ObjectMeta, p *field.Path) field.ErrorList {
	if generateName != "" {
		if msgs := nameIsDNS1035Label(generateName, true); len(msgs) > 0 {
			return field.ErrorList{field.Invalid(p.Child("generateName"), generateName, msgs[0])}
		}
	}
	if name == "" {
		return nil
	}
	if msgs := nameIsDNS1035Label(name, false); len(msgs) > 0 {
		return field.ErrorList{field.Invalid(p.Child("name"), name, msgs[0])}
	}
	if parent.Name == "" && parent.GenerateName != "" {
		// The parent's name is not known yet, so the prefix cannot be checked.
		return field.ErrorList{disallowed(p.Child("name"))}
	}
	if prefix := parent.Name + "-"; !strings.HasPrefix(name, prefix) {
		return field.ErrorList{field.Invalid(p.Child("name"), name, fmt.Sprintf("%q must have prefix %q", name, prefix))}
	}
	return nil
}

// verifyNameChange enforces that a user-named template gets a new name
// whenever it changes, since the name is the Revision's and Revisions are
// immutable.
func (rts *RevisionTemplateSpec) verifyNameChange(old *RevisionTemplateSpec, p *field.Path) field.ErrorList {
	if rts.Name == "" || rts.Name != old.Name {
		return nil
	}
	if equality.Semantic.DeepEqual(old, rts) {
		return nil
	}
	return field.ErrorList{field.Invalid(p.Child("metadata", "name"), rts.Name,
		"Saw the following changes without a name change (-old +new): "+diffPaths(old, rts))}
}

// validate checks the pod spec and Knative's request settings.
func (rs *RevisionSpec) validate(cfg *apis.Config, p *field.Path) field.ErrorList {
	errs := validatePodSpec(&rs.PodSpec, p)
	timeout := cfg.MaxRevisionTimeoutSeconds
	if t := rs.TimeoutSeconds; t != nil {
		if *t != 0 && (*t < 0 || *t > cfg.MaxRevisionTimeoutSeconds) {
			errs = append(errs, outOfBounds(p.Child("timeoutSeconds"), *t, 0, cfg.MaxRevisionTimeoutSeconds))
		} else if *t > 0 {
			timeout = *t
		}
	}
	// Neither sub-timeout may outlast the request timeout.
	if t := rs.ResponseStartTimeoutSeconds; t != nil && *t != 0 && (*t < 0 || *t > timeout) {
		errs = append(errs, outOfBounds(p.Child("responseStartTimeoutSeconds"), *t, 0, timeout))
	}
	if t := rs.IdleTimeoutSeconds; t != nil && *t != 0 && (*t < 0 || *t > timeout) {
		errs = append(errs, outOfBounds(p.Child("idleTimeoutSeconds"), *t, 0, timeout))
	}
	if cc := rs.ContainerConcurrency; cc != nil && (*cc < 0 || *cc > cfg.ContainerConcurrencyMaxLimit) {
		errs = append(errs, outOfBounds(p.Child("containerConcurrency"), *cc, 0, cfg.ContainerConcurrencyMaxLimit))
	}
	return errs
}
