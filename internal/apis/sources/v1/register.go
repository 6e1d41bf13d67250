package v1

import "github.com/skiff-sh/skiff/internal/apis"

// GroupName is the API group of the kinds in this package.
const GroupName = "sources.knative.dev"

// Version is the API version of the kinds in this package.
const Version = "v1"

// Printer columns shared by the kinds, as Knative's CRDs spell them.
var (
	sinkColumn   = apis.Column{Name: "Sink", Type: "string", JSONPath: ".status.sinkUri"}
	ageColumn    = apis.Column{Name: "Age", Type: "date", JSONPath: ".metadata.creationTimestamp"}
	readyColumn  = apis.Column{Name: "Ready", Type: "string", JSONPath: ".status.conditions[?(@.type=='Ready')].status"}
	reasonColumn = apis.Column{Name: "Reason", Type: "string", JSONPath: ".status.conditions[?(@.type=='Ready')].reason"}
)

// Kinds describes PingSource, ApiServerSource, ContainerSource and
// SinkBinding.
func Kinds() []apis.Kind {
	categories := []string{"all", "knative", "sources"}
	columns := []apis.Column{sinkColumn, ageColumn, readyColumn, reasonColumn}
	return []apis.Kind{{
		Group: GroupName, Version: Version, Kind: "PingSource", ListKind: "PingSourceList",
		Plural: "pingsources", Singular: "pingsource", Categories: categories,
		Namespaced: true, HasStatus: true,
		New: func() apis.Object { return &PingSource{} },
		Columns: []apis.Column{sinkColumn,
			{Name: "Schedule", Type: "string", JSONPath: ".spec.schedule"},
			ageColumn, readyColumn, reasonColumn},
	}, {
		Group: GroupName, Version: Version, Kind: "ApiServerSource", ListKind: "ApiServerSourceList",
		Plural: "apiserversources", Singular: "apiserversource", Categories: categories,
		Namespaced: true, HasStatus: true,
		New:     func() apis.Object { return &ApiServerSource{} },
		Columns: columns,
	}, {
		Group: GroupName, Version: Version, Kind: "ContainerSource", ListKind: "ContainerSourceList",
		Plural: "containersources", Singular: "containersource", Categories: categories,
		Namespaced: true, HasStatus: true,
		New:     func() apis.Object { return &ContainerSource{} },
		Columns: columns,
	}, {
		Group: GroupName, Version: Version, Kind: "SinkBinding", ListKind: "SinkBindingList",
		Plural: "sinkbindings", Singular: "sinkbinding", Categories: []string{"all", "knative", "sources", "bindings"},
		Namespaced: true, HasStatus: true,
		New:     func() apis.Object { return &SinkBinding{} },
		Columns: columns,
	}}
}
