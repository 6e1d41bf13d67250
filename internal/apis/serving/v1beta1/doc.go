// Package v1beta1 defines Knative Serving's serving.knative.dev/v1beta1
// DomainMapping, which maps a custom domain name to an addressable object
// such as a Knative Service, with Knative's defaulting, validation and
// condition helpers.
package v1beta1
