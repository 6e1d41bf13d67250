// Package apiserver serves skiff's Kubernetes-style HTTP API: legacy
// discovery, a small OpenAPI v3 document, CRUD with merge patch, watch,
// meta.k8s.io/v1 Tables and Status errors, so that an unmodified kubectl can
// drive skiff. It turns requests into typed objects, defaults and validates
// them with the rules of the kind (package apis), and hands them to the store.
package apiserver
