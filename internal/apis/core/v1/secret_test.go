package v1

import (
	"context"
	"encoding/json"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiff-sh/skiff/internal/apis"
)

func TestSecretDefaults(t *testing.T) {
	var s Secret
	if _, err := apis.Decode([]byte(`{"metadata":{"name":"s"},"data":{"a":"b2xk","b":"Yg=="},"stringData":{"a":"new","c":"c"}}`), &s); err != nil {
		t.Fatal(err)
	}
	s.SetDefaults(context.Background())
	got, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"metadata":{"name":"s"},"data":{"a":"bmV3","b":"Yg==","c":"Yw=="},"type":"Opaque"}`
	if string(got) != want {
		t.Errorf("SetDefaults() = %s, want %s", got, want)
	}

	tls := Secret{Type: SecretTypeTLS}
	tls.SetDefaults(context.Background())
	if tls.Type != SecretTypeTLS {
		t.Errorf("SetDefaults() changed type to %q, want %q", tls.Type, SecretTypeTLS)
	}
}

func TestSecretValidate(t *testing.T) {
	meta := metav1.ObjectMeta{Name: "creds", Namespace: "default"}
	tests := []struct {
		name string
		s    Secret
		old  *Secret
		want []string
	}{{
		name: "valid opaque",
		s:    Secret{ObjectMeta: meta, Type: SecretTypeOpaque, Data: map[string][]byte{"token": []byte("x")}},
	}, {
		name: "bad name",
		s:    Secret{ObjectMeta: metav1.ObjectMeta{Name: "Creds"}, Type: SecretTypeOpaque},
		want: []string{`metadata.name: Invalid value: "Creds"`},
	}, {
		name: "bad key",
		s:    Secret{ObjectMeta: meta, Type: SecretTypeOpaque, Data: map[string][]byte{"a:b": nil}},
		want: []string{`data[a:b]: Invalid value: "a:b"`},
	}, {
		name: "tls needs cert and key",
		s:    Secret{ObjectMeta: meta, Type: SecretTypeTLS, Data: map[string][]byte{"tls.crt": nil}},
		want: []string{"data[tls.key]: Required value"},
	}, {
		name: "tls valid",
		s:    Secret{ObjectMeta: meta, Type: SecretTypeTLS, Data: map[string][]byte{"tls.crt": nil, "tls.key": nil}},
	}, {
		name: "basic auth needs a username or password",
		s:    Secret{ObjectMeta: meta, Type: SecretTypeBasicAuth},
		want: []string{"data[password]: Required value", "data[username]: Required value"},
	}, {
		name: "basic auth with password",
		s:    Secret{ObjectMeta: meta, Type: SecretTypeBasicAuth, Data: map[string][]byte{"password": []byte("p")}},
	}, {
		name: "ssh auth",
		s:    Secret{ObjectMeta: meta, Type: SecretTypeSSHAuth},
		want: []string{"data[ssh-privatekey]: Required value"},
	}, {
		name: "dockerconfigjson must be JSON",
		s:    Secret{ObjectMeta: meta, Type: SecretTypeDockerConfigJSON, Data: map[string][]byte{".dockerconfigjson": []byte("nope")}},
		want: []string{`data[.dockerconfigjson]: Invalid value: "<secret contents redacted>"`},
	}, {
		name: "dockerconfigjson valid",
		s:    Secret{ObjectMeta: meta, Type: SecretTypeDockerConfigJSON, Data: map[string][]byte{".dockerconfigjson": []byte(`{"auths":{}}`)}},
	}, {
		name: "service account token needs annotation",
		s:    Secret{ObjectMeta: meta, Type: SecretTypeServiceAccountToken},
		want: []string{"metadata.annotations[kubernetes.io/service-account.name]: Required value"},
	}, {
		name: "type is immutable",
		s:    Secret{ObjectMeta: meta, Type: SecretTypeOpaque},
		old:  &Secret{ObjectMeta: meta, Type: SecretTypeBasicAuth},
		want: []string{`type: Invalid value: "Opaque": field is immutable`},
	}, {
		name: "immutable data",
		s:    Secret{ObjectMeta: meta, Type: SecretTypeOpaque, Immutable: ptr(true), Data: map[string][]byte{"a": []byte("2")}},
		old:  &Secret{ObjectMeta: meta, Type: SecretTypeOpaque, Immutable: ptr(true), Data: map[string][]byte{"a": []byte("1")}},
		want: []string{"data: Forbidden: field is immutable when `immutable` is set"},
	}, {
		name: "immutable unchanged",
		s:    Secret{ObjectMeta: meta, Type: SecretTypeOpaque, Immutable: ptr(true), Data: map[string][]byte{"a": []byte("1")}},
		old:  &Secret{ObjectMeta: meta, Type: SecretTypeOpaque, Immutable: ptr(true), Data: map[string][]byte{"a": []byte("1")}},
	}, {
		name: "cannot unset immutable",
		s:    Secret{ObjectMeta: meta, Type: SecretTypeOpaque, Immutable: ptr(false)},
		old:  &Secret{ObjectMeta: meta, Type: SecretTypeOpaque, Immutable: ptr(true)},
		want: []string{"immutable: Forbidden"},
	}}
	for _, tc := range tests {
		var old apis.Object
		if tc.old != nil {
			old = tc.old
		}
		checkErrs(t, tc.name, tc.s.Validate(context.Background(), old), tc.want)
	}
}
