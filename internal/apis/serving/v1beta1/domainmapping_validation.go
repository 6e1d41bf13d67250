package v1beta1

import (
	"context"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/apis"
	corev1 "github.com/skiff-sh/skiff/internal/apis/core/v1"
)

// ClusterLocalDomain is the cluster's own domain; a DomainMapping may not
// claim names under it.
const ClusterLocalDomain = "cluster.local"

// anyName accepts every name, leaving the name to validateName.
func anyName(string, bool) []string { return nil }

// Validate checks that the name is a fully qualified domain name outside the
// cluster-local domain, that generateName is not used, and the reference.
func (dm *DomainMapping) Validate(_ context.Context, _ apis.Object) field.ErrorList {
	mp := field.NewPath("metadata")
	errs := corev1.ValidateObjectMeta(&dm.ObjectMeta, true, anyName, mp)
	if dm.GenerateName != "" {
		errs = append(errs, field.Forbidden(mp.Child("generateName"), "must not set the field(s)"))
	}
	if dm.Name != "" {
		if ferrs := validation.IsFullyQualifiedDomainName(mp.Child("name"), dm.Name); len(ferrs) > 0 {
			errs = append(errs, field.Invalid(mp.Child("name"), dm.Name,
				fmt.Sprintf("invalid name %q: %s", dm.Name, ferrs.ToAggregate())))
		}
		if strings.HasSuffix(strings.TrimSuffix(dm.Name, "."), "."+ClusterLocalDomain) {
			errs = append(errs, field.Invalid(mp.Child("name"), dm.Name,
				fmt.Sprintf("invalid name %q: must not be a subdomain of cluster local domain %q", dm.Name, ClusterLocalDomain)))
		}
	}
	return append(errs, dm.Spec.validate(dm.Namespace, field.NewPath("spec"))...)
}

func (s *DomainMappingSpec) validate(namespace string, p *field.Path) field.ErrorList {
	rp := p.Child("ref")
	var errs field.ErrorList
	if s.Ref.Name == "" {
		errs = append(errs, field.Required(rp.Child("name"), ""))
	}
	if s.Ref.APIVersion == "" {
		errs = append(errs, field.Required(rp.Child("apiVersion"), ""))
	}
	if s.Ref.Kind == "" {
		errs = append(errs, field.Required(rp.Child("kind"), ""))
	}
	if s.Ref.Namespace != "" && namespace != "" && s.Ref.Namespace != namespace {
		errs = append(errs, field.Invalid(rp.Child("namespace"), s.Ref.Namespace,
			fmt.Sprintf("mismatched namespaces: parent namespace: %q does not match ref: %q", namespace, s.Ref.Namespace)))
	}
	if s.TLS != nil {
		tp := p.Child("tls", "secretName")
		if s.TLS.SecretName == "" {
			errs = append(errs, field.Required(tp, ""))
		} else {
			for _, msg := range validation.IsDNS1123Subdomain(s.TLS.SecretName) {
				errs = append(errs, field.Invalid(tp, s.TLS.SecretName, msg))
			}
		}
	}
	return errs
}
