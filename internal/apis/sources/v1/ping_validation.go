package v1

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"

	"github.com/skiff-sh/skiff/internal/apis"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// maxShownData bounds how much of data or dataBase64 an error repeats.
const maxShownData = 64

// Validate checks the schedule (a standard cron schedule, @every not
// allowed), the time zone, the sink and overrides, and the data: data and
// dataBase64 are exclusive, dataBase64 is base64, and with contentType
// application/json the body is a JSON object.
func (s *PingSource) Validate(ctx context.Context, old apis.Object) field.ErrorList {
	errs := duckv1.ValidateObjectMeta(&s.ObjectMeta, false)
	spec := field.NewPath("spec")
	errs = append(errs, validateSchedule(s.Spec.Schedule, s.Spec.Timezone, spec)...)
	errs = append(errs, duckv1.ValidateSourceSpec(&s.Spec.SourceSpec, spec)...)
	switch {
	case s.Spec.Data != "" && s.Spec.DataBase64 != "":
		errs = append(errs, field.Forbidden(spec.Child("dataBase64"), "expected exactly one, got both: data, dataBase64"))
	case s.Spec.DataBase64 != "":
		p := spec.Child("dataBase64")
		decoded, err := base64.StdEncoding.DecodeString(s.Spec.DataBase64)
		if err != nil {
			errs = append(errs, field.Invalid(p, shorten(s.Spec.DataBase64), err.Error()))
		} else if isJSON(s.Spec.ContentType) {
			if err := validateJSONObject(decoded); err != nil {
				errs = append(errs, field.Invalid(p, shorten(s.Spec.DataBase64), err.Error()))
			}
		}
	case s.Spec.Data != "" && isJSON(s.Spec.ContentType):
		if err := validateJSONObject([]byte(s.Spec.Data)); err != nil {
			errs = append(errs, field.Invalid(spec.Child("data"), shorten(s.Spec.Data), err.Error()))
		}
	}
	return errs
}

// validateSchedule checks schedule in timezone the way Knative does, by
// parsing "CRON_TZ=<timezone> <schedule>".
func validateSchedule(schedule, timezone string, spec *field.Path) field.ErrorList {
	var errs field.ErrorList
	if strings.Contains(schedule, "@every") {
		errs = append(errs, field.Invalid(spec.Child("schedule"), schedule, "unsupported descriptor @every"))
	}
	full := schedule
	if timezone != "" {
		full = "CRON_TZ=" + timezone + " " + schedule
	}
	if err := validateCronSchedule(full); err != nil {
		if errors.Is(err, errBadLocation) {
			errs = append(errs, field.Invalid(spec.Child("timezone"), timezone, err.Error()))
		} else {
			errs = append(errs, field.Invalid(spec.Child("schedule"), schedule, err.Error()))
		}
	}
	return errs
}

// isJSON reports whether contentType is application/json, as Knative
// compares it: exactly.
func isJSON(contentType string) bool { return contentType == "application/json" }

func validateJSONObject(b []byte) error {
	var m map[string]any
	return json.Unmarshal(b, &m)
}

func shorten(s string) string {
	if len(s) > maxShownData {
		return s[:maxShownData] + "..."
	}
	return s
}
