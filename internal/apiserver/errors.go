package apiserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/skiff-sh/skiff/internal/apis"
	"github.com/skiff-sh/skiff/internal/store"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// statusError is an error that already knows its Kubernetes Status.
type statusError struct{ status metav1.Status }

func (e *statusError) Error() string { return e.status.Message }

func newStatusError(code int32, reason metav1.StatusReason, msg string) *statusError {
	return &statusError{status: metav1.Status{Status: metav1.StatusFailure, Code: code, Reason: reason, Message: msg}}
}

func badRequest(format string, a ...any) error {
	return newStatusError(http.StatusBadRequest, metav1.StatusReasonBadRequest, fmt.Sprintf(format, a...))
}

func fromAPIError(err *apierrors.StatusError) error { return &statusError{status: err.ErrStatus} }

func groupResource(k *apis.Kind) schema.GroupResource {
	return schema.GroupResource{Group: k.Group, Resource: k.Plural}
}

// notFound, alreadyExists, conflict and invalid build Kubernetes' own errors
// so that kubectl prints them as it prints a real cluster's.
func notFound(k *apis.Kind, name string) error {
	return fromAPIError(apierrors.NewNotFound(groupResource(k), name))
}

func invalid(k *apis.Kind, name string, errs field.ErrorList) error {
	return fromAPIError(apierrors.NewInvalid(schema.GroupKind{Group: k.Group, Kind: k.Kind}, name, errs))
}

// toStatus maps any error to the Status sent to the client. It is the one
// place where errors become HTTP status codes.
func toStatus(err error, k *apis.Kind, name string) metav1.Status {
	var se *statusError
	if errors.As(err, &se) {
		return se.status
	}
	var ae *apierrors.StatusError
	if errors.As(err, &ae) {
		return ae.ErrStatus
	}
	if k != nil {
		gr := groupResource(k)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return apierrors.NewNotFound(gr, name).ErrStatus
		case errors.Is(err, store.ErrExists):
			return apierrors.NewAlreadyExists(gr, name).ErrStatus
		case errors.Is(err, store.ErrConflict):
			return apierrors.NewConflict(gr, name, errors.New("the object has been modified; please apply your changes to the latest version and try again")).ErrStatus
		case errors.Is(err, store.ErrExpired):
			return apierrors.NewResourceExpired(err.Error()).ErrStatus
		case errors.Is(err, store.ErrInvalid):
			return apierrors.NewBadRequest(err.Error()).ErrStatus
		}
	}
	return apierrors.NewInternalError(err).ErrStatus
}

// writeStatus writes s as the JSON body of an error reply.
func writeStatus(w http.ResponseWriter, s metav1.Status) {
	s.TypeMeta = metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}
	if s.Status == "" {
		s.Status = metav1.StatusFailure
	}
	if s.Code == 0 {
		s.Code = http.StatusInternalServerError
	}
	body, _ := json.Marshal(s)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(int(s.Code))
	_, _ = w.Write(body)
}

// writeError writes err as a Status.
func writeError(w http.ResponseWriter, err error, k *apis.Kind, name string) {
	writeStatus(w, toStatus(err, k, name))
}

func apiNotFound(group, resource, name string) *apierrors.StatusError {
	return apierrors.NewNotFound(schema.GroupResource{Group: group, Resource: resource}, name)
}
