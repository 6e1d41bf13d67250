package v1

import (
	"slices"

	"github.com/skiff-sh/skiff/internal/apis"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// SourceSpec is the part every source's spec inlines: where events go and
// how they are amended.
type SourceSpec struct {
	// Sink is where the source sends its events.
	Sink Destination `json:"sink,omitempty,omitzero"`
	// CloudEventOverrides amends the events the source sends.
	CloudEventOverrides *CloudEventOverrides `json:"ceOverrides,omitempty,omitzero"`
}

// CloudEventOverrides lists extension attributes set on every outbound
// event.
type CloudEventOverrides struct {
	// Extensions are set on each event as extension attributes.
	Extensions map[string]string `json:"extensions,omitempty,omitzero"`
}

// SourceStatus is the part every source's status inlines.
type SourceStatus struct {
	apis.Status `json:",inline"`
	// SinkURI is the resolved URI of the sink.
	SinkURI *apis.URL `json:"sinkUri,omitempty,omitzero"`
	// SinkCACerts are the PEM CA certificates of the sink.
	SinkCACerts *string `json:"sinkCACerts,omitempty,omitzero"`
	// SinkAudience is the OIDC audience of the sink.
	SinkAudience *string `json:"sinkAudience,omitempty,omitzero"`
	// CloudEventAttributes are the types and sources of the events the
	// source sends.
	CloudEventAttributes []CloudEventAttributes `json:"ceAttributes,omitempty,omitzero"`
	// Auth names the service account the source sends as.
	Auth *AuthStatus `json:"auth,omitempty,omitzero"`
}

// CloudEventAttributes is one type and source of the events a source sends.
type CloudEventAttributes struct {
	Type   string `json:"type,omitempty,omitzero"`
	Source string `json:"source,omitempty,omitzero"`
}

// SourceConditionSinkProvided is True when the source's sink resolved.
const SourceConditionSinkProvided = "SinkProvided"

// contextAttributes are the CloudEvents 1.0 context attributes, which
// extensions must not replace.
var contextAttributes = []string{
	"data", "data_base64", "datacontenttype", "dataschema", "id",
	"source", "specversion", "subject", "time", "type",
}

// IsCloudEventsAttributeName reports whether name is a valid CloudEvents
// attribute name: one or more lower-case ASCII letters or digits.
func IsCloudEventsAttributeName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// ValidateCloudEventOverrides checks that every extension name is a valid
// CloudEvents attribute name and not a context attribute. path is the path
// of o; a nil o is valid.
func ValidateCloudEventOverrides(o *CloudEventOverrides, path *field.Path) field.ErrorList {
	if o == nil {
		return nil
	}
	var errs field.ErrorList
	keys := make([]string, 0, len(o.Extensions))
	for k := range o.Extensions {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	ext := path.Child("extensions")
	for _, k := range keys {
		switch {
		case k == "":
			errs = append(errs, field.Invalid(ext.Key(k), k, "keys MUST NOT be empty"))
		case !IsCloudEventsAttributeName(k):
			errs = append(errs, field.Invalid(ext.Key(k), k,
				"keys MUST consist of lower-case letters ('a' to 'z') or digits ('0' to '9') from the ASCII character set"))
		case slices.Contains(contextAttributes, k):
			errs = append(errs, field.Invalid(ext.Key(k), k, "keys MUST NOT be a CloudEvents context attribute"))
		}
	}
	return errs
}

// ValidateSourceSpec checks the sink, which every source requires, and the
// CloudEvent overrides. path is the path of the spec that inlines s.
func ValidateSourceSpec(s *SourceSpec, path *field.Path) field.ErrorList {
	errs := ValidateDestination(s.Sink, path.Child("sink"))
	return append(errs, ValidateCloudEventOverrides(s.CloudEventOverrides, path.Child("ceOverrides"))...)
}
