package v1

import (
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// NameFunc checks a name (or, with prefix, a generateName) and returns the
// reasons it is invalid.
type NameFunc = apivalidation.ValidateNameFunc

// Name rules of the Kubernetes API.
var (
	// NameIsDNSSubdomain accepts DNS-1123 subdomains (ConfigMaps, Secrets,
	// custom resources).
	NameIsDNSSubdomain NameFunc = apivalidation.NameIsDNSSubdomain
	// NameIsDNSLabel accepts DNS-1123 labels (Namespaces).
	NameIsDNSLabel NameFunc = apivalidation.NameIsDNSLabel
)

// ValidateObjectMeta applies the Kubernetes API server's metadata rules to an
// object on create: name (or generateName) per nameFn, namespace format (or
// its absence for cluster-scoped kinds), label and annotation syntax, owner
// references and finalizers. A namespaced object without a namespace passes,
// because the API server fills the namespace in from the request path.
func ValidateObjectMeta(meta *metav1.ObjectMeta, namespaced bool, nameFn NameFunc, path *field.Path) field.ErrorList {
	return apivalidation.ValidateObjectMeta(meta, namespaced && meta.Namespace != "", nameFn, path)
}
