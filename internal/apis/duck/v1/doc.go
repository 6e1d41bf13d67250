// Package v1 holds the duck types that Knative's eventing kinds share, with
// the JSON shapes of knative.dev/pkg/apis/duck/v1 and
// knative.dev/eventing/pkg/apis/duck/v1: references and destinations,
// addresses, delivery options, the source spec and status, and the
// channelable and subscribable contracts. It also holds the validation
// helpers that apply Knative's rules to them; they take the path of the value
// inside its object so that errors name the field from the object's root.
package v1
