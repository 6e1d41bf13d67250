package dispatch

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/cloudevents/sdk-go/v2/binding"
	"github.com/cloudevents/sdk-go/v2/event"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"

	"github.com/skiff-sh/skiff/internal/eventing/broker"
)

// Extensions of a dead-lettered event, as Knative sets them.
const (
	// ExtErrorDest is the URL whose delivery failed.
	ExtErrorDest = "knativeerrordest"
	// ExtErrorCode is the HTTP status of the last attempt; 500 when the
	// request failed without a response.
	ExtErrorCode = "knativeerrorcode"
	// ExtErrorData is the response body of the last attempt, base64,
	// truncated to ErrorDataMax characters.
	ExtErrorData = "knativeerrordata"
	// ErrorDataMax is the longest knativeerrordata.
	ErrorDataMax = 1024
)

// maxResponseBytes bounds the response body read from a subscriber.
const maxResponseBytes = 4 << 20

// result is the outcome of one or more attempts at sending an event.
type result struct {
	// status is the HTTP status; 500 for a transport error and 502 for a
	// 2xx whose body is not a CloudEvent, as Knative counts them.
	status int
	// body is the response body, for knativeerrordata.
	body []byte
	// retryAfter is the wait the Retry-After header asked for; zero when
	// absent.
	retryAfter time.Duration
	// reply is the CloudEvent a subscriber answered with, if any.
	reply *event.Event
	// err says why the attempt failed, for logs.
	err error
	// permanent marks a failure no retry can cure: the event could not be
	// encoded for the request.
	permanent bool
}

// ok reports whether the event was delivered.
func (r result) ok() bool { return r.err == nil && r.status >= 200 && r.status < 300 }

// retryable reports whether a failed attempt is worth another, as Knative's
// SelectiveRetry decides: transport errors, 5xx, 404, 408, 409 and 429, and
// never a redirect or another client error.
func (r result) retryable() bool {
	switch {
	case r.permanent:
		return false
	case r.status >= 500:
		return true
	case r.status == http.StatusNotFound, r.status == http.StatusRequestTimeout,
		r.status == http.StatusConflict, r.status == http.StatusTooManyRequests:
		return true
	}
	return false
}

// deliver sends e to the Trigger's subscriber with retries, publishes a
// reply into the broker, and dead-letters e when every attempt failed. It
// returns nil once the event is done with (delivered, dead-lettered, or
// dropped for want of a dead-letter sink) and an error when it must be
// delivered again.
func (d *Dispatcher) deliver(ctx context.Context, t *Trigger, e event.Event, log func() *slog.Logger) error {
	res := d.sendWithRetries(ctx, t.SubscriberURL, e, t.Delivery, true, log)
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("deliver to %s: %w", t.SubscriberURL, err)
	}
	if res.ok() {
		if res.reply == nil {
			return nil
		}
		r := *res.reply
		// The reply carries the TTL of the event it answers; Publish spends
		// one unit of it.
		if ttl, ok := broker.TTL(e); ok {
			r.SetExtension(broker.ExtTTL, ttl)
		}
		err := d.reply(ctx, t.Namespace, t.Broker, r)
		if err == nil {
			return nil
		}
		if !errors.Is(err, broker.ErrInvalidEvent) {
			// The broker could not store it now: deliver again later.
			return fmt.Errorf("reply %s into broker %s/%s: %w", r.ID(), t.Namespace, t.Broker, err)
		}
		// A reply the broker refuses is the subscriber's failure, as a
		// reply that is not a CloudEvent is; sending again would loop.
		res = result{status: http.StatusBadGateway, body: res.body, permanent: true,
			err: fmt.Errorf("reply %s refused by broker %s/%s: %w", r.ID(), t.Namespace, t.Broker, err)}
	}
	log().Info("delivery failed", logKeyStatus, res.status, logKeyError, res.err)
	if t.Delivery.DeadLetterURL == "" {
		log().Warn("dropping undeliverable event: no dead-letter sink", logKeyStatus, res.status)
		return nil
	}
	dl := DeadLetter(e, t.SubscriberURL, res.status, res.body)
	dres := d.sendWithRetries(ctx, t.Delivery.DeadLetterURL, dl, t.Delivery, false, log)
	if dres.permanent {
		// Sending it again cannot succeed either.
		log().Error("dropping event that cannot be encoded for its dead-letter sink", logKeyError, dres.err)
		return nil
	}
	if !dres.ok() {
		return fmt.Errorf("dead-letter to %s: status %d: %v", t.Delivery.DeadLetterURL, dres.status, dres.err)
	}
	return nil
}

// DeadLetter returns e with the knativeerror* extensions describing the
// failed delivery to dest.
func DeadLetter(e event.Event, dest string, status int, body []byte) event.Event {
	dl := e.Clone()
	dl.SetExtension(ExtErrorDest, dest)
	dl.SetExtension(ExtErrorCode, status)
	if len(body) > 0 {
		data := base64.StdEncoding.EncodeToString(body)
		if len(data) > ErrorDataMax {
			data = data[:ErrorDataMax]
		}
		dl.SetExtension(ExtErrorData, data)
	}
	return dl
}

// sendWithRetries makes up to del.Retry+1 attempts, waiting Backoff
// between them, and returns the last result.
func (d *Dispatcher) sendWithRetries(ctx context.Context, url string, e event.Event, del Delivery, wantReply bool, log func() *slog.Logger) result {
	for n := 0; ; n++ {
		res := d.send(ctx, url, e, del, wantReply)
		if res.ok() || !res.retryable() || n >= del.Retry || ctx.Err() != nil {
			return res
		}
		wait := Backoff(del, n, res.status, res.retryAfter)
		log().Debug("retrying delivery", logKeyAttempt, n+1, logKeyStatus, res.status, "wait", wait, logKeyError, res.err)
		if err := d.sleep(ctx, wait); err != nil {
			res.err = err
			return res
		}
	}
}

// Backoff is the wait before retry n (counted from 0), as Knative computes
// it: linear waits BackoffDelay × n, exponential BackoffDelay × 2^n. A 429
// or 503 with a Retry-After waits at least that long, capped by
// RetryAfterMax; a zero RetryAfterMax ignores Retry-After.
func Backoff(del Delivery, n, status int, retryAfter time.Duration) time.Duration {
	var wait time.Duration
	switch del.BackoffPolicy {
	case BackoffLinear:
		wait = del.BackoffDelay * time.Duration(n)
	default:
		f := float64(del.BackoffDelay) * math.Exp2(float64(n))
		if f >= math.MaxInt64 {
			wait = math.MaxInt64
		} else {
			wait = time.Duration(f)
		}
	}
	if del.RetryAfterMax > 0 && retryAfter > 0 &&
		(status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable) {
		ra := min(retryAfter, del.RetryAfterMax)
		wait = max(wait, ra)
	}
	return wait
}

// send makes one attempt.
func (d *Dispatcher) send(ctx context.Context, url string, e event.Event, del Delivery, wantReply bool) result {
	timeout := del.Timeout
	if timeout <= 0 {
		// A subscriber that never answers must not hold a worker forever.
		timeout = DefaultAttemptTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
	if err != nil {
		return result{status: http.StatusInternalServerError, err: fmt.Errorf("build request to %s: %w", url, err)}
	}
	wctx := binding.WithForceBinary(ctx)
	if del.Format == FormatJSON {
		wctx = binding.WithForceStructured(ctx)
		broker.MarkBinaryData(&e)
	}
	if err := cehttp.WriteRequest(wctx, binding.ToMessage(&e), req); err != nil {
		return result{status: http.StatusInternalServerError, permanent: true, err: fmt.Errorf("encode event for %s: %w", url, err)}
	}
	req.Header.Set("Prefer", "reply")
	resp, err := d.client.Do(req)
	if err != nil {
		return result{status: http.StatusInternalServerError, err: fmt.Errorf("post to %s: %w", url, err)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	res := result{status: resp.StatusCode, body: body, retryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())}
	if err != nil {
		res.status, res.err = http.StatusInternalServerError, fmt.Errorf("read response of %s: %w", url, err)
		return res
	}
	if !res.ok() {
		res.err = fmt.Errorf("post to %s: status %d", url, resp.StatusCode)
		return res
	}
	if !wantReply {
		return res
	}
	msg := cehttp.NewMessage(resp.Header, io.NopCloser(bytes.NewReader(body)))
	if msg.ReadEncoding() == binding.EncodingUnknown {
		if len(body) == 0 {
			return res
		}
		res.status, res.err = http.StatusBadGateway, fmt.Errorf("response of %s is not a CloudEvent", url)
		return res
	}
	reply, err := binding.ToEvent(ctx, msg)
	if err == nil {
		err = reply.Validate()
	}
	if err != nil {
		res.status, res.err = http.StatusBadGateway, fmt.Errorf("reply of %s is not a valid CloudEvent: %w", url, err)
		return res
	}
	res.reply = reply
	return res
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an
// HTTP-date. Absent or unreadable means zero.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}
