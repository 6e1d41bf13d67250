// Package apis holds what every skiff resource kind shares: the Object
// interface that the API server and the store work through, the Kind
// descriptor that drives discovery, tables and routing, Knative-style status
// conditions, the URL wire type, and strict or lenient decoding.
//
// The per-group packages below it (serving/v1, eventing/v1, ...) define the
// kinds themselves. This package imports nothing of skiff.
package apis
