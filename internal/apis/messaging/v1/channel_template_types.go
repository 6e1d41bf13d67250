package v1

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ChannelTemplateSpec names the channel kind to create, and the spec to
// give it.
type ChannelTemplateSpec struct {
	metav1.TypeMeta `json:",inline"`
	// Spec is passed verbatim as the spec of the created channel.
	Spec *runtime.RawExtension `json:"spec,omitempty,omitzero"`
}

// ValidateChannelTemplate requires the template's kind and apiVersion. path
// is the path of ct.
func ValidateChannelTemplate(ct *ChannelTemplateSpec, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if ct.Kind == "" {
		errs = append(errs, field.Required(path.Child("kind"), ""))
	}
	if ct.APIVersion == "" {
		errs = append(errs, field.Required(path.Child("apiVersion"), ""))
	}
	return errs
}

// DefaultChannelTemplate returns the channel template of the cluster's
// default channel (default-ch-webhook), or nil when none is configured.
func DefaultChannelTemplate(apiVersion, kind string) *ChannelTemplateSpec {
	if kind == "" {
		return nil
	}
	return &ChannelTemplateSpec{TypeMeta: metav1.TypeMeta{APIVersion: apiVersion, Kind: kind}}
}
