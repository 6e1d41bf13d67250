package v1

import "github.com/skiff-sh/skiff/internal/apis"

// GroupName is the API group of Knative Serving.
const GroupName = "serving.knative.dev"

// Labels Knative Serving puts on the objects it creates.
const (
	// ServiceLabelKey names the Service that owns a Configuration, Route
	// or Revision.
	ServiceLabelKey = GroupName + "/service"
	// ServiceUIDLabelKey holds the UID of that Service.
	ServiceUIDLabelKey = GroupName + "/serviceUID"
	// ConfigurationLabelKey names the Configuration of a Revision.
	ConfigurationLabelKey = GroupName + "/configuration"
	// ConfigurationUIDLabelKey holds the UID of that Configuration.
	ConfigurationUIDLabelKey = GroupName + "/configurationUID"
	// ConfigurationGenerationLabelKey holds the Configuration generation a
	// Revision was stamped from.
	ConfigurationGenerationLabelKey = GroupName + "/configurationGeneration"
	// RevisionLabelKey names a Revision.
	RevisionLabelKey = GroupName + "/revision"
	// RevisionUIDLabelKey holds the UID of that Revision.
	RevisionUIDLabelKey = GroupName + "/revisionUID"
	// RouteLabelKey names the Route of an object.
	RouteLabelKey = GroupName + "/route"
	// RoutingStateLabelKey holds a Revision's RoutingState.
	RoutingStateLabelKey = GroupName + "/routingState"
	// VisibilityLabelKey makes a Service or Route private with the value
	// VisibilityClusterLocal.
	VisibilityLabelKey = "networking.knative.dev/visibility"
	// VisibilityClusterLocal is the only value VisibilityLabelKey accepts.
	VisibilityClusterLocal = "cluster-local"
)

// Annotations of Knative Serving.
const (
	// CreatorAnnotation and UpdaterAnnotation record who created and last
	// changed an object.
	CreatorAnnotation = GroupName + "/creator"
	UpdaterAnnotation = GroupName + "/lastModifier"
	// RoutesAnnotationKey lists the Routes that send traffic to a Revision.
	RoutesAnnotationKey = GroupName + "/routes"
	// RoutingStateModifiedAnnotationKey is when RoutingStateLabelKey last
	// changed.
	RoutingStateModifiedAnnotationKey = GroupName + "/routingStateModified"
	// RevisionLastPinnedAnnotationKey is when a Revision was last routed to.
	RevisionLastPinnedAnnotationKey = GroupName + "/lastPinned"
	// NoGCAnnotationKey keeps a Revision from garbage collection.
	NoGCAnnotationKey = GroupName + "/no-gc"
	// RolloutDurationKey sets the gradual rollout duration of a Service or
	// Route; RolloutDurationLegacyKey is the old spelling Knative still reads.
	RolloutDurationKey       = GroupName + "/rollout-duration"
	RolloutDurationLegacyKey = GroupName + "/rolloutDuration"
	// ProgressDeadlineAnnotationKey overrides, on a revision template, how
	// long a Revision may take to become ready.
	ProgressDeadlineAnnotationKey = GroupName + "/progress-deadline"
)

// RoutingState tells whether a Revision is routed to.
type RoutingState string

// The routing states of a Revision.
const (
	RoutingStateUnset   RoutingState = ""
	RoutingStatePending RoutingState = "pending"
	RoutingStateActive  RoutingState = "active"
	RoutingStateReserve RoutingState = "reserve"
)

var (
	categories = []string{"all", "knative", "serving"}
	readyCol   = apis.Column{Name: "Ready", Type: "string", JSONPath: ".status.conditions[?(@.type=='Ready')].status"}
	reasonCol  = apis.Column{Name: "Reason", Type: "string", JSONPath: ".status.conditions[?(@.type=='Ready')].reason"}
	urlCol     = apis.Column{Name: "URL", Type: "string", JSONPath: ".status.url"}
	latestCols = []apis.Column{
		{Name: "LatestCreated", Type: "string", JSONPath: ".status.latestCreatedRevisionName"},
		{Name: "LatestReady", Type: "string", JSONPath: ".status.latestReadyRevisionName"},
	}
)

// Kinds returns the kinds of serving.knative.dev/v1 with the names,
// categories and printer columns of Knative's CRDs.
func Kinds() []apis.Kind {
	return []apis.Kind{{
		Group: GroupName, Version: "v1",
		Kind: "Service", ListKind: "ServiceList",
		Plural: "services", Singular: "service",
		ShortNames: []string{"kservice", "ksvc"},
		Categories: categories,
		Namespaced: true, HasStatus: true,
		New:     func() apis.Object { return &Service{} },
		Columns: append(append([]apis.Column{urlCol}, latestCols...), readyCol, reasonCol),
	}, {
		Group: GroupName, Version: "v1",
		Kind: "Configuration", ListKind: "ConfigurationList",
		Plural: "configurations", Singular: "configuration",
		ShortNames: []string{"config", "cfg"},
		Categories: categories,
		Namespaced: true, HasStatus: true,
		New:     func() apis.Object { return &Configuration{} },
		Columns: append(append([]apis.Column{}, latestCols...), readyCol, reasonCol),
	}, {
		Group: GroupName, Version: "v1",
		Kind: "Revision", ListKind: "RevisionList",
		Plural: "revisions", Singular: "revision",
		ShortNames: []string{"rev"},
		Categories: categories,
		Namespaced: true, HasStatus: true,
		New: func() apis.Object { return &Revision{} },
		Columns: []apis.Column{
			{Name: "Config Name", Type: "string", JSONPath: `.metadata.labels['serving\.knative\.dev/configuration']`},
			{Name: "Generation", Type: "string", JSONPath: `.metadata.labels['serving\.knative\.dev/configurationGeneration']`},
			readyCol, reasonCol,
			{Name: "Actual Replicas", Type: "integer", JSONPath: ".status.actualReplicas"},
			{Name: "Desired Replicas", Type: "integer", JSONPath: ".status.desiredReplicas"},
		},
	}, {
		Group: GroupName, Version: "v1",
		Kind: "Route", ListKind: "RouteList",
		Plural: "routes", Singular: "route",
		ShortNames: []string{"rt"},
		Categories: categories,
		Namespaced: true, HasStatus: true,
		New:     func() apis.Object { return &Route{} },
		Columns: []apis.Column{urlCol, readyCol, reasonCol},
	}}
}
