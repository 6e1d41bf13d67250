package v1

import "github.com/skiff-sh/skiff/internal/apis"

// GroupName is the API group of the kinds in this package.
const GroupName = "eventing.knative.dev"

// Version is the API version of the kinds in this package.
const Version = "v1"

// Printer columns shared by the kinds, as Knative's CRDs spell them.
var (
	ageColumn    = apis.Column{Name: "Age", Type: "date", JSONPath: ".metadata.creationTimestamp"}
	readyColumn  = apis.Column{Name: "Ready", Type: "string", JSONPath: ".status.conditions[?(@.type=='Ready')].status"}
	reasonColumn = apis.Column{Name: "Reason", Type: "string", JSONPath: ".status.conditions[?(@.type=='Ready')].reason"}
)

// Kinds describes Broker and Trigger.
func Kinds() []apis.Kind {
	categories := []string{"all", "knative", "eventing"}
	return []apis.Kind{{
		Group: GroupName, Version: Version, Kind: "Broker", ListKind: "BrokerList",
		Plural: "brokers", Singular: "broker", Categories: categories,
		Namespaced: true, HasStatus: true,
		New: func() apis.Object { return &Broker{} },
		Columns: []apis.Column{
			{Name: "URL", Type: "string", JSONPath: ".status.address.url"},
			ageColumn, readyColumn, reasonColumn,
			{Name: "Class", Type: "string", Priority: 1, JSONPath: `.metadata.annotations.eventing\.knative\.dev/broker\.class`},
		},
	}, {
		Group: GroupName, Version: Version, Kind: "Trigger", ListKind: "TriggerList",
		Plural: "triggers", Singular: "trigger", Categories: categories,
		Namespaced: true, HasStatus: true,
		New: func() apis.Object { return &Trigger{} },
		Columns: []apis.Column{
			{Name: "Broker", Type: "string", JSONPath: ".spec.broker"},
			{Name: "Subscriber_URI", Type: "string", JSONPath: ".status.subscriberUri"},
			ageColumn, readyColumn, reasonColumn,
		},
	}}
}
