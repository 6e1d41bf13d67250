package v1

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiff-sh/skiff/internal/apis"
)

func TestConfigMapValidate(t *testing.T) {
	meta := metav1.ObjectMeta{Name: "config-a.b", Namespace: "default"}
	tests := []struct {
		name string
		cm   ConfigMap
		old  *ConfigMap
		want []string
	}{{
		name: "valid",
		cm:   ConfigMap{ObjectMeta: meta, Data: map[string]string{"a.b_C-1": "x"}, BinaryData: map[string][]byte{"bin": {0, 1}}},
	}, {
		name: "without namespace (filled in by the server)",
		cm:   ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "a"}},
	}, {
		name: "subdomain name required",
		cm:   ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "A_b", Namespace: "default"}},
		want: []string{`metadata.name: Invalid value: "A_b": a lowercase RFC 1123 subdomain`},
	}, {
		name: "bad namespace",
		cm:   ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: "x.y"}},
		want: []string{`metadata.namespace: Invalid value: "x.y"`},
	}, {
		name: "bad data key",
		cm:   ConfigMap{ObjectMeta: meta, Data: map[string]string{"a/b": "x"}},
		want: []string{`data[a/b]: Invalid value: "a/b": a valid config key must consist of alphanumeric characters`},
	}, {
		name: "dot-dot key",
		cm:   ConfigMap{ObjectMeta: meta, Data: map[string]string{"..": "x"}},
		want: []string{`data[..]: Invalid value: "..": must not be '..'`},
	}, {
		name: "bad binary key",
		cm:   ConfigMap{ObjectMeta: meta, BinaryData: map[string][]byte{"a b": nil}},
		want: []string{`binaryData[a b]: Invalid value: "a b"`},
	}, {
		name: "key in both",
		cm:   ConfigMap{ObjectMeta: meta, Data: map[string]string{"k": "x"}, BinaryData: map[string][]byte{"k": nil}},
		want: []string{`binaryData[k]: Invalid value: "k": duplicate of key present in data`},
	}, {
		name: "too large",
		cm:   ConfigMap{ObjectMeta: meta, Data: map[string]string{"k": strings.Repeat("x", MaxDataSize+1)}},
		want: []string{"Too long"},
	}, {
		name: "mutable update",
		cm:   ConfigMap{ObjectMeta: meta, Data: map[string]string{"k": "new"}},
		old:  &ConfigMap{ObjectMeta: meta, Data: map[string]string{"k": "old"}},
	}, {
		name: "immutable unchanged",
		cm:   ConfigMap{ObjectMeta: meta, Immutable: ptr(true), Data: map[string]string{"k": "old"}},
		old:  &ConfigMap{ObjectMeta: meta, Immutable: ptr(true), Data: map[string]string{"k": "old"}},
	}, {
		name: "immutable data changed",
		cm:   ConfigMap{ObjectMeta: meta, Immutable: ptr(true), Data: map[string]string{"k": "new"}, BinaryData: map[string][]byte{"b": {1}}},
		old:  &ConfigMap{ObjectMeta: meta, Immutable: ptr(true), Data: map[string]string{"k": "old"}},
		want: []string{
			"binaryData: Forbidden: field is immutable when `immutable` is set",
			"data: Forbidden: field is immutable when `immutable` is set",
		},
	}, {
		name: "immutable unset",
		cm:   ConfigMap{ObjectMeta: meta, Data: map[string]string{"k": "old"}},
		old:  &ConfigMap{ObjectMeta: meta, Immutable: ptr(true), Data: map[string]string{"k": "old"}},
		want: []string{"immutable: Forbidden: field is immutable when `immutable` is set"},
	}}
	for _, tc := range tests {
		var old apis.Object
		if tc.old != nil {
			old = tc.old
		}
		checkErrs(t, tc.name, tc.cm.Validate(context.Background(), old), tc.want)
	}
}
