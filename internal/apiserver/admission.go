package apiserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"

	"github.com/skiff-sh/skiff/internal/apis"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"
)

// fieldValidation is the fieldValidation query parameter.
type fieldValidation string

const (
	fieldValidationStrict fieldValidation = "Strict"
	fieldValidationWarn   fieldValidation = "Warn"
	fieldValidationIgnore fieldValidation = "Ignore"
)

func parseFieldValidation(v string) (fieldValidation, error) {
	switch fieldValidation(v) {
	case "":
		return fieldValidationWarn, nil
	case fieldValidationStrict, fieldValidationWarn, fieldValidationIgnore:
		return fieldValidation(v), nil
	}
	return "", badRequest("fieldValidation must be one of Strict, Warn or Ignore, got %q", v)
}

// errTooLarge is returned by readBody for bodies over the limit.
var errTooLarge = errors.New("request entity too large")

// readBody reads a request body up to limit bytes and turns YAML into JSON.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	body, err := readLimited(r.Body, limit)
	if err != nil {
		if errors.Is(err, errTooLarge) {
			return nil, newStatusError(http.StatusRequestEntityTooLarge, metav1.StatusReasonRequestEntityTooLarge,
				fmt.Sprintf("Request entity too large: limit is %d", limit))
		}
		return nil, badRequest("read body: %v", err)
	}
	ct := r.Header.Get("Content-Type")
	if strings.Contains(ct, "protobuf") || strings.Contains(ct, "cbor") {
		// kubectl sends protobuf for the core kinds first and falls back to
		// JSON on 415.
		return nil, newStatusError(http.StatusUnsupportedMediaType, metav1.StatusReasonUnsupportedMediaType,
			fmt.Sprintf("the body of the request was in an unknown format (%s) - accepted media types include: application/json, application/yaml", ct))
	}
	if strings.Contains(ct, "yaml") {
		j, err := yaml.YAMLToJSON(body)
		if err != nil {
			return nil, badRequest("decode yaml body: %v", err)
		}
		body = j
	}
	return body, nil
}

// admitter decodes, defaults and validates objects of one kind.
type admitter struct {
	kind      *apis.Kind
	namespace string // from the URL
	fv        fieldValidation
	warnings  []string
	// dryRun admits without storing.
	dryRun bool
}

// cannotHandle is the prefix of Kubernetes' decoding errors.
func (a *admitter) cannotHandle(format string, args ...any) error {
	return badRequest("%s in version %q cannot be handled as a %s: %s",
		a.kind.Kind, a.kind.Version, a.kind.Kind, fmt.Sprintf(format, args...))
}

// decode turns body into a typed object of the kind, checking apiVersion,
// kind and namespace against the request and applying fieldValidation.
func (a *admitter) decode(body []byte) (apis.Object, error) {
	var tm struct {
		metav1.TypeMeta `json:",inline"`
		Metadata        *struct {
			Namespace string `json:"namespace"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(body, &tm); err != nil {
		return nil, a.cannotHandle("%v", err)
	}
	if tm.APIVersion != "" && tm.APIVersion != a.kind.GroupVersion() {
		return nil, badRequest("the API version in the data (%s) does not match the expected API version (%s)", tm.APIVersion, a.kind.GroupVersion())
	}
	if tm.Kind != "" && tm.Kind != a.kind.Kind {
		return nil, badRequest("the kind in the data (%s) does not match the expected kind (%s)", tm.Kind, a.kind.Kind)
	}
	if tm.Metadata != nil && a.kind.Namespaced && tm.Metadata.Namespace != "" && a.namespace != "" && tm.Metadata.Namespace != a.namespace {
		return nil, badRequest("the namespace of the provided object does not match the namespace sent on the request")
	}
	obj := a.kind.New()
	strict, err := apis.Decode(body, obj)
	if err != nil {
		return nil, a.cannotHandle("%v", strings.TrimPrefix(err.Error(), "decode: "))
	}
	if len(strict) > 0 {
		switch a.fv {
		case fieldValidationStrict:
			return nil, a.cannotHandle("strict decoding error: %s", strings.Join(strict, ", "))
		case fieldValidationWarn:
			a.warnings = append(a.warnings, strict...)
		}
	}
	// The type and namespace always come from the request.
	setTypeMeta(obj, a.kind)
	if a.kind.Namespaced {
		if a.namespace != "" {
			obj.SetNamespace(a.namespace)
		}
	} else {
		obj.SetNamespace("")
	}
	return obj, nil
}

// admit defaults and validates obj (old is nil on create) and encodes it.
//
// Defaults are applied and validated in full, but inside lists the user
// wrote (containers, env, traffic, ...) the stored object keeps the user's
// elements as given: a JSON merge patch replaces lists whole, so a list
// holding server defaults would never equal the manifest again and every
// `kubectl apply` would report "configured". Readers apply SetDefaults
// again, which is idempotent, to see the effective values.
func (a *admitter) admit(ctx context.Context, obj, old apis.Object) ([]byte, error) {
	asGiven, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", a.kind.Kind, err)
	}
	obj.SetDefaults(ctx)
	errs := validateMeta(obj)
	errs = append(errs, obj.Validate(ctx, old)...)
	if len(errs) > 0 {
		return nil, invalid(a.kind, obj.GetName(), errs)
	}
	out, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", a.kind.Kind, err)
	}
	return keepGivenLists(out, asGiven)
}

// keepGivenLists returns defaulted with every list that given also has (at
// the same path, reached through objects only) replaced by given's.
func keepGivenLists(defaulted, given []byte) ([]byte, error) {
	var d, g map[string]any
	if err := json.Unmarshal(defaulted, &d); err != nil {
		return nil, fmt.Errorf("keep given lists: %w", err)
	}
	if err := json.Unmarshal(given, &g); err != nil {
		return nil, fmt.Errorf("keep given lists: %w", err)
	}
	if !replaceLists(d, g) {
		return defaulted, nil
	}
	return json.Marshal(d)
}

func replaceLists(d, g map[string]any) (changed bool) {
	for k, gv := range g {
		switch gv := gv.(type) {
		case []any:
			if dv, ok := d[k].([]any); ok && !reflect.DeepEqual(dv, gv) {
				d[k] = gv
				changed = true
			}
		case map[string]any:
			if dv, ok := d[k].(map[string]any); ok && replaceLists(dv, gv) {
				changed = true
			}
		}
	}
	return changed
}

// validateMeta applies Kubernetes' generic metadata rules: labels and
// annotations.
func validateMeta(obj apis.Object) field.ErrorList {
	md := field.NewPath("metadata")
	errs := metav1validation.ValidateLabels(obj.GetLabels(), md.Child("labels"))
	for k := range obj.GetAnnotations() {
		for _, msg := range validation.IsQualifiedName(strings.ToLower(k)) {
			errs = append(errs, field.Invalid(md.Child("annotations"), k, msg))
		}
	}
	total := 0
	for k, v := range obj.GetAnnotations() {
		total += len(k) + len(v)
	}
	if total > 256*1024 {
		errs = append(errs, field.TooLong(md.Child("annotations"), "", 256*1024))
	}
	return errs
}

// setTypeMeta sets apiVersion and kind on obj, whose struct embeds
// metav1.TypeMeta.
func setTypeMeta(obj apis.Object, k *apis.Kind) {
	if tm, ok := obj.(interface{ GetObjectKind() schema.ObjectKind }); ok {
		tm.GetObjectKind().SetGroupVersionKind(schema.GroupVersionKind{Group: k.Group, Version: k.Version, Kind: k.Kind})
	}
}

// readLimited reads all of r, failing with errTooLarge past limit bytes.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > limit {
		return nil, errTooLarge
	}
	return body, nil
}
