package v1

import "github.com/skiff-sh/skiff/internal/apis"

// ageColumn is the AGE column Kubernetes prints for its own kinds.
var ageColumn = apis.Column{Name: "Age", Type: "date", JSONPath: ".metadata.creationTimestamp"}

// Kinds returns the kinds of the core v1 API that skiff serves: Namespace,
// ConfigMap and Secret.
func Kinds() []apis.Kind {
	return []apis.Kind{{
		Version:    "v1",
		Kind:       "Namespace",
		ListKind:   "NamespaceList",
		Plural:     "namespaces",
		Singular:   "namespace",
		ShortNames: []string{"ns"},
		Namespaced: false,
		HasStatus:  true,
		New:        func() apis.Object { return &Namespace{} },
		Columns: []apis.Column{
			{Name: "Status", Type: "string", JSONPath: ".status.phase", Description: "The phase of the namespace"},
			ageColumn,
		},
	}, {
		Version:    "v1",
		Kind:       "ConfigMap",
		ListKind:   "ConfigMapList",
		Plural:     "configmaps",
		Singular:   "configmap",
		ShortNames: []string{"cm"},
		Namespaced: true,
		New:        func() apis.Object { return &ConfigMap{} },
		Columns:    []apis.Column{ageColumn},
	}, {
		Version:    "v1",
		Kind:       "Secret",
		ListKind:   "SecretList",
		Plural:     "secrets",
		Singular:   "secret",
		Namespaced: true,
		New:        func() apis.Object { return &Secret{} },
		Columns: []apis.Column{
			{Name: "Type", Type: "string", JSONPath: ".type", Description: "The type of the secret"},
			ageColumn,
		},
	}}
}
