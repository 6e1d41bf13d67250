// Package v1 defines the flows.knative.dev/v1 kinds, Sequence and Parallel,
// with Knative's JSON shapes, the defaulting and validation of Knative's
// admission webhooks, and the condition helpers their reconcilers use.
package v1
