package v1beta1

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestDomainMappingValidate(t *testing.T) {
	ref := KReference{Kind: "Service", Name: "hello", APIVersion: "serving.knative.dev/v1"}
	tests := []struct {
		name string
		dm   DomainMapping
		want []string
	}{{
		name: "valid",
		dm:   DomainMapping{ObjectMeta: metav1.ObjectMeta{Name: "example.org", Namespace: "default"}, Spec: DomainMappingSpec{Ref: ref}},
	}, {
		name: "subdomain",
		dm:   DomainMapping{ObjectMeta: metav1.ObjectMeta{Name: "a.b.example.org", Namespace: "default"}, Spec: DomainMappingSpec{Ref: ref}},
	}, {
		name: "missing name",
		dm:   DomainMapping{ObjectMeta: metav1.ObjectMeta{Namespace: "default"}, Spec: DomainMappingSpec{Ref: ref}},
		want: []string{"metadata.name: Required value"},
	}, {
		name: "generateName",
		dm:   DomainMapping{ObjectMeta: metav1.ObjectMeta{Name: "example.org", GenerateName: "x-"}, Spec: DomainMappingSpec{Ref: ref}},
		want: []string{"metadata.generateName: Forbidden: must not set the field(s)"},
	}, {
		name: "not fully qualified",
		dm:   DomainMapping{ObjectMeta: metav1.ObjectMeta{Name: "localhost"}, Spec: DomainMappingSpec{Ref: ref}},
		want: []string{`metadata.name: Invalid value: "localhost": invalid name "localhost": metadata.name: Invalid value: "localhost": should be a domain with at least two segments separated by dots`},
	}, {
		name: "uppercase",
		dm:   DomainMapping{ObjectMeta: metav1.ObjectMeta{Name: "Example.org"}, Spec: DomainMappingSpec{Ref: ref}},
		want: []string{`metadata.name: Invalid value: "Example.org": invalid name "Example.org"`},
	}, {
		name: "cluster local",
		dm:   DomainMapping{ObjectMeta: metav1.ObjectMeta{Name: "hello.default.svc.cluster.local"}, Spec: DomainMappingSpec{Ref: ref}},
		want: []string{`invalid name "hello.default.svc.cluster.local": must not be a subdomain of cluster local domain "cluster.local"`},
	}, {
		name: "empty ref",
		dm:   DomainMapping{ObjectMeta: metav1.ObjectMeta{Name: "example.org"}},
		want: []string{"spec.ref.apiVersion: Required value", "spec.ref.kind: Required value", "spec.ref.name: Required value"},
	}, {
		name: "other namespace",
		dm: DomainMapping{ObjectMeta: metav1.ObjectMeta{Name: "example.org", Namespace: "default"},
			Spec: DomainMappingSpec{Ref: KReference{Kind: "Service", Name: "hello", APIVersion: "serving.knative.dev/v1", Namespace: "prod"}}},
		want: []string{`spec.ref.namespace: Invalid value: "prod": mismatched namespaces: parent namespace: "default" does not match ref: "prod"`},
	}, {
		name: "tls",
		dm:   DomainMapping{ObjectMeta: metav1.ObjectMeta{Name: "example.org"}, Spec: DomainMappingSpec{Ref: ref, TLS: &SecretTLS{SecretName: "tls"}}},
	}, {
		name: "tls without secret",
		dm:   DomainMapping{ObjectMeta: metav1.ObjectMeta{Name: "example.org"}, Spec: DomainMappingSpec{Ref: ref, TLS: &SecretTLS{}}},
		want: []string{"spec.tls.secretName: Required value"},
	}, {
		name: "bad label",
		dm:   DomainMapping{ObjectMeta: metav1.ObjectMeta{Name: "example.org", Labels: map[string]string{"a b": ""}}, Spec: DomainMappingSpec{Ref: ref}},
		want: []string{`metadata.labels: Invalid value: "a b"`},
	}}
	for _, tc := range tests {
		tc.dm.SetDefaults(ctx)
		checkErrs(t, tc.name, tc.dm.Validate(ctx, nil), tc.want)
	}
}
