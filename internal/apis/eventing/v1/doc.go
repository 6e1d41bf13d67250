// Package v1 defines the eventing.knative.dev/v1 kinds, Broker and Trigger,
// with Knative's JSON shapes, the defaulting and validation of Knative's
// admission webhooks, and the condition helpers their reconcilers use.
package v1
