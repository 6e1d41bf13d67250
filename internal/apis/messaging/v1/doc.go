// Package v1 defines the messaging.knative.dev/v1 kinds: Channel,
// InMemoryChannel and Subscription, with Knative's JSON shapes, the
// defaulting and validation of Knative's admission webhooks, and the
// condition helpers their reconcilers use.
package v1
