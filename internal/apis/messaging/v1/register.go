package v1

import "github.com/skiff-sh/skiff/internal/apis"

// GroupName is the API group of the kinds in this package.
const GroupName = "messaging.knative.dev"

// Version is the API version of the kinds in this package.
const Version = "v1"

// SubscribableDuckVersionAnnotation records the version of the subscribable
// duck type a channel's spec.subscribers follows.
const SubscribableDuckVersionAnnotation = "messaging.knative.dev/subscribable"

// Printer columns shared by the kinds, as Knative's CRDs spell them.
var (
	urlColumn    = apis.Column{Name: "URL", Type: "string", JSONPath: ".status.address.url"}
	ageColumn    = apis.Column{Name: "Age", Type: "date", JSONPath: ".metadata.creationTimestamp"}
	readyColumn  = apis.Column{Name: "Ready", Type: "string", JSONPath: ".status.conditions[?(@.type=='Ready')].status"}
	reasonColumn = apis.Column{Name: "Reason", Type: "string", JSONPath: ".status.conditions[?(@.type=='Ready')].reason"}
)

// Kinds describes Channel, InMemoryChannel and Subscription.
func Kinds() []apis.Kind {
	channelCategories := []string{"all", "knative", "messaging", "channel"}
	return []apis.Kind{{
		Group: GroupName, Version: Version, Kind: "Channel", ListKind: "ChannelList",
		Plural: "channels", Singular: "channel", ShortNames: []string{"ch"}, Categories: channelCategories,
		Namespaced: true, HasStatus: true,
		New:     func() apis.Object { return &Channel{} },
		Columns: []apis.Column{urlColumn, ageColumn, readyColumn, reasonColumn},
	}, {
		Group: GroupName, Version: Version, Kind: "InMemoryChannel", ListKind: "InMemoryChannelList",
		Plural: "inmemorychannels", Singular: "inmemorychannel", ShortNames: []string{"imc"}, Categories: channelCategories,
		Namespaced: true, HasStatus: true,
		New:     func() apis.Object { return &InMemoryChannel{} },
		Columns: []apis.Column{urlColumn, ageColumn, readyColumn, reasonColumn},
	}, {
		Group: GroupName, Version: Version, Kind: "Subscription", ListKind: "SubscriptionList",
		Plural: "subscriptions", Singular: "subscription", ShortNames: []string{"sub"},
		Categories: []string{"all", "knative", "messaging"},
		Namespaced: true, HasStatus: true,
		New:     func() apis.Object { return &Subscription{} },
		Columns: []apis.Column{ageColumn, readyColumn, reasonColumn},
	}}
}
