package images

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// UploadPath is where the API serves Handler.
const UploadPath = "/skiff/v1/images"

// MaxUploadBytes is the largest image the upload endpoint takes.
const MaxUploadBytes = 512 << 20

// UploadReply is the JSON reply of a successful upload.
type UploadReply struct {
	// Digest is the image's digest, "sha256:<hex>".
	Digest string `json:"digest"`
}

// Handler returns the HTTP endpoint that `skiff apply` uploads built images
// to: POST /skiff/v1/images with the binary as the body, answered with
// UploadReply. Errors are Kubernetes Status objects, as the API's. The
// caller authenticates requests.
func (s *Store) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeStatus(w, http.StatusMethodNotAllowed, metav1.StatusReasonMethodNotAllowed,
				fmt.Sprintf("%s is not supported on %s; upload an image with POST", r.Method, r.URL.Path))
			return
		}
		if r.ContentLength > s.maxUpload {
			writeStatus(w, http.StatusRequestEntityTooLarge, metav1.StatusReasonRequestEntityTooLarge, s.tooLarge())
			return
		}
		digest, err := s.Put(r.Context(), http.MaxBytesReader(w, r.Body, s.maxUpload))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				writeStatus(w, http.StatusRequestEntityTooLarge, metav1.StatusReasonRequestEntityTooLarge, s.tooLarge())
				return
			}
			writeStatus(w, http.StatusInternalServerError, metav1.StatusReasonInternalError, err.Error())
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(UploadReply{Digest: digest})
	})
}

func (s *Store) tooLarge() string {
	return fmt.Sprintf("image is larger than the limit of %d MiB", s.maxUpload>>20)
}

// writeStatus writes a failure as a Kubernetes Status, which the CLI's
// client turns into its error.
func writeStatus(w http.ResponseWriter, code int, reason metav1.StatusReason, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(metav1.Status{
		TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   metav1.StatusFailure, Code: int32(code), Reason: reason, Message: msg,
	})
}
