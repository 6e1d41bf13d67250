// Package v1 defines Knative Serving's serving.knative.dev/v1 kinds, Service,
// Configuration, Revision and Route, with the JSON shape of Knative's CRDs,
// the defaulting and validation of Knative's admission webhook, and the
// condition helpers reconcilers use to report status.
//
// Each kind is split by concern: <kind>_types.go, <kind>_defaults.go,
// <kind>_validation.go and <kind>_lifecycle.go. Rules shared by several
// kinds (pod specs, metadata, autoscaling annotations) have files of their
// own. Settings such as the default timeout come from apis.ConfigFrom(ctx).
package v1
