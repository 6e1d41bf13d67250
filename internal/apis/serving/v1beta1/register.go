package v1beta1

import (
	"github.com/skiff-sh/skiff/internal/apis"
	servingv1 "github.com/skiff-sh/skiff/internal/apis/serving/v1"
)

// Kinds returns the kinds of serving.knative.dev/v1beta1 with the names,
// categories and printer columns of Knative's CRD.
func Kinds() []apis.Kind {
	return []apis.Kind{{
		Group: servingv1.GroupName, Version: "v1beta1",
		Kind: "DomainMapping", ListKind: "DomainMappingList",
		Plural: "domainmappings", Singular: "domainmapping",
		ShortNames: []string{"dm"},
		Categories: []string{"all", "knative", "serving"},
		Namespaced: true, HasStatus: true,
		New: func() apis.Object { return &DomainMapping{} },
		Columns: []apis.Column{
			{Name: "URL", Type: "string", JSONPath: ".status.url"},
			{Name: "Ready", Type: "string", JSONPath: ".status.conditions[?(@.type=='Ready')].status"},
			{Name: "Reason", Type: "string", JSONPath: ".status.conditions[?(@.type=='Ready')].reason"},
		},
	}}
}
