package v1

import (
	"context"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/apis"
)

// Validate checks the metadata (the visibility label, the rollout duration,
// no autoscaling annotations) and the traffic split.
func (r *Route) Validate(_ context.Context, _ apis.Object) field.ErrorList {
	errs := validateObjectMeta(&r.ObjectMeta)
	errs = append(errs, validateNoAutoscalingAnnotations(r.Annotations, metadataPath.Child("annotations"))...)
	errs = append(errs, validateRolloutDuration(r.Annotations, metadataPath.Child("annotations"))...)
	errs = append(errs, validateVisibilityLabel(r.Labels, metadataPath.Child("labels"))...)
	errs = append(errs, verifyLabelOwnerRef(&r.ObjectMeta, ServiceLabelKey, "Service", metadataPath.Child("labels"))...)
	return append(errs, r.Spec.validate(false, field.NewPath("spec"))...)
}

// validate checks the traffic split: each target, tags that are unique
// DNS-1035 labels, and shares that sum to 100. Within a Service
// (defaultConfig) targets name no Configuration.
func (rs *RouteSpec) validate(defaultConfig bool, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	tp := p.Child("traffic")
	tags := map[string]bool{}
	var sum int64
	for i := range rs.Traffic {
		tt := &rs.Traffic[i]
		ip := tp.Index(i)
		errs = append(errs, tt.validate(defaultConfig, ip)...)
		if tt.Percent != nil {
			sum += *tt.Percent
		}
		if tt.Tag == "" {
			continue
		}
		if msgs := validation.IsDNS1035Label(tt.Tag); len(msgs) > 0 {
			errs = append(errs, field.Invalid(ip.Child("tag"), tt.Tag, fmt.Sprint("not a DNS 1035 label: ", msgs)))
		}
		if tags[tt.Tag] {
			errs = append(errs, field.Duplicate(ip.Child("tag"), tt.Tag))
		}
		tags[tt.Tag] = true
	}
	if sum != 100 {
		errs = append(errs, field.Invalid(tp, sum, fmt.Sprintf("Traffic targets sum to %d, want 100", sum)))
	}
	return errs
}

// validate checks one target of a spec.
func (tt *TrafficTarget) validate(defaultConfig bool, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if tt.LatestRevision != nil {
		// Following the latest Revision and pinning one exclude each other.
		if lr := *tt.LatestRevision; lr == (tt.RevisionName != "") {
			errs = append(errs, field.Invalid(p.Child("latestRevision"), lr,
				fmt.Sprintf("may not set revisionName %q when latestRevision is %t", tt.RevisionName, lr)))
		}
	}
	switch {
	case defaultConfig && tt.ConfigurationName != "":
		errs = append(errs, disallowed(p.Child("configurationName")))
	case tt.RevisionName != "" && tt.ConfigurationName != "":
		errs = append(errs, multipleOneOf(p, "revisionName", "configurationName"))
	case tt.RevisionName != "":
		if msgs := validation.IsQualifiedName(tt.RevisionName); len(msgs) > 0 {
			errs = append(errs, field.Invalid(p.Child("revisionName"), tt.RevisionName, strings.Join(msgs, "; ")))
		}
	case tt.ConfigurationName != "":
		if msgs := validation.IsQualifiedName(tt.ConfigurationName); len(msgs) > 0 {
			errs = append(errs, field.Invalid(p.Child("configurationName"), tt.ConfigurationName, strings.Join(msgs, "; ")))
		}
	case defaultConfig:
		// The Service's own Configuration.
	default:
		errs = append(errs, missingOneOf(p, "revisionName", "configurationName"))
	}
	if tt.Percent != nil && (*tt.Percent < 0 || *tt.Percent > 100) {
		errs = append(errs, outOfBounds(p.Child("percent"), *tt.Percent, 0, 100))
	}
	if tt.URL != nil {
		// URLs are assigned in status.
		errs = append(errs, disallowed(p.Child("url")))
	}
	return errs
}
