package v1

import "github.com/skiff-sh/skiff/internal/apis"

// GroupName is the API group of the kinds in this package.
const GroupName = "flows.knative.dev"

// Version is the API version of the kinds in this package.
const Version = "v1"

// Kinds describes Sequence and Parallel.
func Kinds() []apis.Kind {
	columns := []apis.Column{
		{Name: "URL", Type: "string", JSONPath: ".status.address.url"},
		{Name: "Age", Type: "date", JSONPath: ".metadata.creationTimestamp"},
		{Name: "Ready", Type: "string", JSONPath: ".status.conditions[?(@.type=='Ready')].status"},
		{Name: "Reason", Type: "string", JSONPath: ".status.conditions[?(@.type=='Ready')].reason"},
	}
	categories := []string{"all", "knative", "flows"}
	return []apis.Kind{{
		Group: GroupName, Version: Version, Kind: "Sequence", ListKind: "SequenceList",
		Plural: "sequences", Singular: "sequence", Categories: categories,
		Namespaced: true, HasStatus: true,
		New:     func() apis.Object { return &Sequence{} },
		Columns: columns,
	}, {
		Group: GroupName, Version: Version, Kind: "Parallel", ListKind: "ParallelList",
		Plural: "parallels", Singular: "parallel", Categories: categories,
		Namespaced: true, HasStatus: true,
		New:     func() apis.Object { return &Parallel{} },
		Columns: columns,
	}}
}
