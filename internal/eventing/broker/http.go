package broker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// batchContentType is the batched structured mode, which Knative's broker
// does not accept.
const batchContentType = "application/cloudevents-batch+json"

// ceHeaderPrefix starts the headers of binary-mode attributes.
const ceHeaderPrefix = "Ce-"

// httpError is an error with the status the ingress answers it with.
type httpError struct {
	status int
	err    error
}

func (e *httpError) Error() string { return e.err.Error() }
func (e *httpError) Unwrap() error { return e.err }

// statusError wraps err with the HTTP status it is answered with.
func statusError(status int, format string, args ...any) error {
	return &httpError{status: status, err: fmt.Errorf(format, args...)}
}

// ServeHTTP accepts one event for the broker named by the path
// /<namespace>/<broker>, in binary or structured mode, and answers 202 once
// it is stored. It answers as Knative's broker ingress does: OPTIONS is the
// CloudEvents webhook handshake, other methods than POST are 405, a bad
// path 400, an unknown broker 404, a body over the limit 413, a batch or
// an invalid event 400 and a failure of JetStream 503 or 500.
func (in *Ingress) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodOptions {
		w.Header().Set("Allow", "POST, OPTIONS")
		w.Header().Set("WebHook-Allowed-Origin", "*")
		w.Header().Set("WebHook-Allowed-Rate", "*")
		w.WriteHeader(http.StatusOK)
		return
	}
	if err := in.serve(w, r); err != nil {
		in.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

// serve does the work of ServeHTTP; errors are mapped to statuses by
// writeError alone.
func (in *Ingress) serve(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST, OPTIONS")
		return statusError(http.StatusMethodNotAllowed, "method %s not allowed", r.Method)
	}
	namespace, name, ok := parsePath(r.URL.Path)
	if !ok {
		return statusError(http.StatusBadRequest, "path %q is not /<namespace>/<broker>", r.URL.Path)
	}
	if !in.known(namespace, name) {
		return statusError(http.StatusNotFound, "broker %s/%s: %w", namespace, name, ErrUnknownBroker)
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err == nil && strings.EqualFold(mt, batchContentType) {
			return statusError(http.StatusBadRequest, "%w: batched events (%s) are not supported, send one event per request", ErrInvalidEvent, batchContentType)
		}
	}
	if r.ContentLength > in.max {
		return statusError(http.StatusRequestEntityTooLarge, "event of %d bytes is over the limit of %d bytes", r.ContentLength, in.max)
	}
	body, err := readBody(w, r, in.max)
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return statusError(http.StatusRequestEntityTooLarge, "event is over the limit of %d bytes", in.max)
		}
		return statusError(http.StatusBadRequest, "read event: %w", err)
	}
	header, err := decodeBinaryHeaders(r.Header)
	if err != nil {
		return statusError(http.StatusBadRequest, "%w: %w", ErrInvalidEvent, err)
	}
	// The SDK reads only the header and body of the request.
	req := *r
	req.Header = header
	req.Body = io.NopCloser(bytes.NewReader(body))
	e, err := cehttp.NewEventFromHTTPRequest(&req)
	if err != nil {
		return statusError(http.StatusBadRequest, "%w: %w", ErrInvalidEvent, err)
	}
	if err := e.Validate(); err != nil {
		return statusError(http.StatusBadRequest, "%w: %w", ErrInvalidEvent, err)
	}
	// Built only when needed: nearly every event is stored without a word.
	log := func() *slog.Logger {
		return in.logger.With(logKeyNamespace, namespace, logKeyBroker, name, logKeyID, e.ID(), logKeySource, e.Source())
	}
	if ttl, ok := TTL(*e); !ok {
		// Knative gives an event without a usable TTL the default one.
		e.SetExtension(ExtTTL, DefaultTTL)
	} else if ttl <= 0 {
		// A spent TTL means the event is looping; Knative drops it and the
		// sender is told it was accepted, so it does not retry.
		log().Info("dropping event whose ttl ran out", logKeyTTL, ttl)
		return nil
	}
	if err := in.store(r.Context(), namespace, name, *e, true); err != nil {
		if errors.Is(err, ErrInvalidEvent) {
			// An attribute that has no canonical string form.
			return statusError(http.StatusBadRequest, "%w", err)
		}
		log().Warn("store event", logKeyError, err)
		return err
	}
	return nil
}

// writeError is the one place an ingress error becomes an HTTP status.
func (in *Ingress) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusInternalServerError
	if he, ok := errors.AsType[*httpError](err); ok {
		status = he.status
	} else if unavailable(err) {
		status = http.StatusServiceUnavailable
	}
	if status >= 500 {
		in.logger.Error("ingress request failed", "path", r.URL.Path, logKeyError, err)
	}
	http.Error(w, err.Error(), status)
}

// unavailable reports whether a publish failed because JetStream could not
// be reached in time, which a client may retry, rather than a fault.
func unavailable(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, nats.ErrNoResponders) ||
		errors.Is(err, jetstream.ErrNoStreamResponse) ||
		errors.Is(err, nats.ErrConnectionClosed) ||
		errors.Is(err, nats.ErrConnectionDraining) ||
		errors.Is(err, nats.ErrConnectionReconnecting)
}

// parsePath splits /<namespace>/<broker>.
func parsePath(p string) (namespace, name string, ok bool) {
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	if len(parts) != 2 || parts[0] == "" || parts[1] == "" {
		return "", "", false
	}
	return parts[0], parts[1], true
}

// preallocMax bounds the buffer allocated from a Content-Length before any
// of the body arrived, so that a client announcing a large body and sending
// none of it does not hold that much memory.
const preallocMax = 64 << 10

// readBody reads the request body, at most limit bytes, into a buffer sized
// from Content-Length (up to preallocMax) when the client sent one.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	body := http.MaxBytesReader(w, r.Body, limit)
	switch cl := r.ContentLength; {
	case cl < 0:
		return io.ReadAll(body)
	case cl <= preallocMax:
		// net/http ends the body at Content-Length.
		buf := make([]byte, cl)
		if _, err := io.ReadFull(body, buf); err != nil {
			return nil, err
		}
		return buf, nil
	}
	var buf bytes.Buffer
	buf.Grow(preallocMax)
	if _, err := buf.ReadFrom(body); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// decodeBinaryHeaders percent-decodes the ce- headers of a binary-mode
// request, as the CloudEvents HTTP binding requires and the SDK does not
// do, and rejects values that are not valid percent-encoded UTF-8. h is
// returned as it is when nothing is percent-encoded, else a decoded copy.
func decodeBinaryHeaders(h http.Header) (http.Header, error) {
	encoded := false
	for k, vs := range h {
		if strings.HasPrefix(k, ceHeaderPrefix) && slices.ContainsFunc(vs, func(v string) bool { return strings.Contains(v, "%") }) {
			encoded = true
			break
		}
	}
	if !encoded {
		return h, nil
	}
	out := h.Clone()
	for k, vs := range out {
		if !strings.HasPrefix(k, ceHeaderPrefix) {
			continue
		}
		for i, v := range vs {
			if !strings.Contains(v, "%") {
				continue
			}
			d, err := url.PathUnescape(v)
			if err != nil {
				return nil, fmt.Errorf("header %s: bad percent-encoding: %w", k, err)
			}
			if !utf8.ValidString(d) {
				return nil, fmt.Errorf("header %s: percent-encoded value is not UTF-8", k)
			}
			vs[i] = d
		}
	}
	return out, nil
}

var _ http.Handler = (*Ingress)(nil)
