package v1

import (
	"context"
	"encoding/json"
	"maps"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/apis"
)

// SecretType tells what a Secret holds and which keys it needs.
type SecretType string

// The Secret types of Kubernetes and the keys they require.
const (
	SecretTypeOpaque              SecretType = "Opaque"
	SecretTypeServiceAccountToken SecretType = "kubernetes.io/service-account-token"
	SecretTypeDockercfg           SecretType = "kubernetes.io/dockercfg"
	SecretTypeDockerConfigJSON    SecretType = "kubernetes.io/dockerconfigjson"
	SecretTypeBasicAuth           SecretType = "kubernetes.io/basic-auth"
	SecretTypeSSHAuth             SecretType = "kubernetes.io/ssh-auth"
	SecretTypeTLS                 SecretType = "kubernetes.io/tls"

	// ServiceAccountNameKey is the annotation a service account token
	// Secret must carry.
	ServiceAccountNameKey = "kubernetes.io/service-account.name"
	// DockerConfigKey is the key of a kubernetes.io/dockercfg Secret.
	DockerConfigKey = ".dockercfg"
	// DockerConfigJSONKey is the key of a kubernetes.io/dockerconfigjson
	// Secret.
	DockerConfigJSONKey = ".dockerconfigjson"
	// BasicAuthUsernameKey and BasicAuthPasswordKey are the keys of a
	// kubernetes.io/basic-auth Secret; one of them is required.
	BasicAuthUsernameKey = "username"
	BasicAuthPasswordKey = "password"
	// SSHAuthPrivateKey is the key of a kubernetes.io/ssh-auth Secret.
	SSHAuthPrivateKey = "ssh-privatekey"
	// TLSCertKey and TLSPrivateKeyKey are the keys of a kubernetes.io/tls
	// Secret.
	TLSCertKey       = "tls.crt"
	TLSPrivateKeyKey = "tls.key"
)

// Secret holds sensitive data.
type Secret struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty,omitzero"`

	// Immutable forbids changing data once set to true.
	Immutable *bool `json:"immutable,omitempty,omitzero"`
	// Data holds the values (base64 in JSON).
	Data map[string][]byte `json:"data,omitempty,omitzero"`
	// StringData is a write-only convenience: SetDefaults merges it into
	// Data (overriding keys of the same name) and clears it.
	StringData map[string]string `json:"stringData,omitempty,omitzero"`
	// Type tells what the Secret holds; it defaults to Opaque.
	Type SecretType `json:"type,omitempty,omitzero"`
}

var _ apis.Object = (*Secret)(nil)

// SetDefaults merges stringData into data and defaults the type to Opaque,
// as the Kubernetes API server does.
func (s *Secret) SetDefaults(context.Context) {
	if len(s.StringData) > 0 {
		if s.Data == nil {
			s.Data = make(map[string][]byte, len(s.StringData))
		}
		for k, v := range s.StringData {
			s.Data[k] = []byte(v)
		}
	}
	s.StringData = nil
	if s.Type == "" {
		s.Type = SecretTypeOpaque
	}
}

// Validate checks the name (a DNS-1123 subdomain), the keys, the total size,
// the keys each type requires, and, on update, that the type is unchanged
// and that an immutable Secret keeps its data.
func (s *Secret) Validate(_ context.Context, old apis.Object) field.ErrorList {
	errs := ValidateObjectMeta(&s.ObjectMeta, true, NameIsDNSSubdomain, field.NewPath("metadata"))
	data := field.NewPath("data")
	size := 0
	for k, v := range s.Data {
		errs = append(errs, validateDataKey(data.Key(k), k)...)
		size += len(v)
	}
	for k := range s.StringData {
		errs = append(errs, validateDataKey(field.NewPath("stringData").Key(k), k)...)
	}
	if size > MaxDataSize {
		errs = append(errs, field.TooLong(data, "", MaxDataSize))
	}
	errs = append(errs, s.validateType(data)...)

	if o, ok := old.(*Secret); ok && o != nil {
		if o.Type != s.Type {
			errs = append(errs, field.Invalid(field.NewPath("type"), s.Type, "field is immutable"))
		}
		if isTrue(o.Immutable) {
			if !isTrue(s.Immutable) {
				errs = append(errs, field.Forbidden(field.NewPath("immutable"), immutableMsg))
			}
			if !maps.EqualFunc(o.Data, s.Data, bytesEqual) {
				errs = append(errs, field.Forbidden(data, immutableMsg))
			}
		}
	}
	return errs
}

func (s *Secret) validateType(data *field.Path) field.ErrorList {
	var errs field.ErrorList
	require := func(key string) {
		if _, ok := s.Data[key]; !ok {
			errs = append(errs, field.Required(data.Key(key), ""))
		}
	}
	requireJSON := func(key string) {
		v, ok := s.Data[key]
		if !ok {
			errs = append(errs, field.Required(data.Key(key), ""))
			return
		}
		var m map[string]any
		if err := json.Unmarshal(v, &m); err != nil {
			errs = append(errs, field.Invalid(data.Key(key), "<secret contents redacted>", err.Error()))
		}
	}
	switch s.Type {
	case SecretTypeServiceAccountToken:
		if s.Annotations[ServiceAccountNameKey] == "" {
			errs = append(errs, field.Required(field.NewPath("metadata", "annotations").Key(ServiceAccountNameKey), ""))
		}
	case SecretTypeDockercfg:
		requireJSON(DockerConfigKey)
	case SecretTypeDockerConfigJSON:
		requireJSON(DockerConfigJSONKey)
	case SecretTypeBasicAuth:
		_, u := s.Data[BasicAuthUsernameKey]
		_, p := s.Data[BasicAuthPasswordKey]
		if !u && !p {
			errs = append(errs, field.Required(data.Key(BasicAuthUsernameKey), ""),
				field.Required(data.Key(BasicAuthPasswordKey), ""))
		}
	case SecretTypeSSHAuth:
		require(SSHAuthPrivateKey)
	case SecretTypeTLS:
		require(TLSCertKey)
		require(TLSPrivateKeyKey)
	}
	return errs
}
