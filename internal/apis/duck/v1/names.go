package v1

import (
	corev1 "github.com/skiff-sh/skiff/internal/apis/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidateObjectMeta applies the API server's metadata rules to an eventing
// object. The name is a DNS-1123 label when dnsLabel is set (for kinds whose
// names become host names), otherwise a DNS-1123 subdomain as Kubernetes
// requires of custom resources.
func ValidateObjectMeta(m *metav1.ObjectMeta, dnsLabel bool) field.ErrorList {
	nameFn := corev1.NameIsDNSSubdomain
	if dnsLabel {
		nameFn = corev1.NameIsDNSLabel
	}
	return corev1.ValidateObjectMeta(m, true, nameFn, field.NewPath("metadata"))
}
