// Package v1 holds the Kubernetes core types that skiff needs: the container
// and pod shapes that Knative's RevisionSpec embeds (with exactly the JSON
// names Kubernetes uses), and three whole kinds of the core API group,
// Namespace, ConfigMap and Secret, with Kubernetes' defaulting and
// validation.
//
// The pod types carry only the fields Knative Serving allows by default, so
// that strict decoding reports the others as unknown fields. Import it as
// corev1.
package v1
