// Package v1 defines the sources.knative.dev/v1 kinds: PingSource,
// ApiServerSource, ContainerSource and SinkBinding, with Knative's JSON
// shapes, the defaulting and validation of Knative's admission webhooks, and
// the condition helpers their reconcilers use.
package v1
