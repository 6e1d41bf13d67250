package dispatch

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"
	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/skiff-sh/skiff/internal/eventing/broker"
	"github.com/skiff-sh/skiff/internal/eventing/filter"
	"github.com/skiff-sh/skiff/internal/natsembed"
)

// checkFor polls cond until it holds or the deadline passes.
func checkFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// sink is an httptest server that records the events posted to it and
// answers with respond (202 when nil).
type sink struct {
	srv     *httptest.Server
	mu      sync.Mutex
	events  []event.Event
	headers []http.Header
	respond func(n int, w http.ResponseWriter) // n counts requests from 0
}

func newSink(t *testing.T, respond func(n int, w http.ResponseWriter)) *sink {
	s := &sink{respond: respond}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e, err := cehttp.NewEventFromHTTPRequest(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		n := len(s.events)
		s.events = append(s.events, *e)
		s.headers = append(s.headers, r.Header.Clone())
		s.mu.Unlock()
		if s.respond == nil {
			w.WriteHeader(http.StatusAccepted)
			return
		}
		s.respond(n, w)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *sink) got() []event.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]event.Event(nil), s.events...)
}

func (s *sink) ids() []string {
	var ids []string
	for _, e := range s.got() {
		ids = append(ids, e.ID())
	}
	return ids
}

// sleeps records the waits of the dispatcher without waiting.
type sleeps struct {
	mu sync.Mutex
	ds []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.ds = append(s.ds, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.ds...)
}

// replies records what the dispatcher puts back into brokers.
type replies struct {
	mu     sync.Mutex
	events []event.Event
	// refuse, when set, is returned for every reply after recording it.
	refuse error
}

func (r *replies) reply(_ context.Context, ns, b string, e event.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
	return r.refuse
}

func (r *replies) got() []event.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]event.Event(nil), r.events...)
}

type fixture struct {
	js      jetstream.JetStream
	in      *broker.Ingress
	d       *Dispatcher
	sleeps  *sleeps
	replies *replies
}

func newFixture(t *testing.T, ackWait time.Duration) *fixture {
	t.Helper()
	ctx := t.Context()
	n, err := natsembed.Start(ctx, natsembed.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatalf("natsembed.Start: %v", err)
	}
	t.Cleanup(n.Close)
	in := broker.NewIngress(n.JetStream(), broker.IngressOptions{})
	if err := in.EnsureBroker(ctx, "default", "b", true); err != nil {
		t.Fatalf("EnsureBroker: %v", err)
	}
	f := &fixture{js: n.JetStream(), in: in, sleeps: &sleeps{}, replies: &replies{}}
	f.d = New(n.JetStream(), f.replies.reply, Options{Sleep: f.sleeps.sleep, AckWait: ackWait, Workers: 4})
	t.Cleanup(f.d.Close)
	return f
}

func (f *fixture) publish(t *testing.T, id, typ string) {
	t.Helper()
	e := event.New()
	e.SetID(id)
	e.SetSource("/test")
	e.SetType(typ)
	_ = e.SetData(event.ApplicationJSON, map[string]string{"id": id})
	if err := f.in.Publish(t.Context(), "default", "b", e); err != nil {
		t.Fatalf("publish %s: %v", id, err)
	}
}

func (f *fixture) setTrigger(t *testing.T, tr Trigger) {
	t.Helper()
	if tr.Namespace == "" {
		tr.Namespace, tr.Broker = "default", "b"
	}
	if tr.Name == "" {
		tr.Name = "t"
	}
	if tr.UID == "" {
		tr.UID = "uid-1"
	}
	if err := f.d.SetTrigger(t.Context(), tr); err != nil {
		t.Fatalf("SetTrigger: %v", err)
	}
}

// acked waits until the trigger's consumer has nothing pending and has
// acknowledged n stream messages.
func (f *fixture) acked(t *testing.T, uid string, n uint64) {
	t.Helper()
	checkFor(t, fmt.Sprintf("%d events acked", n), 10*time.Second, func() bool {
		c, err := f.js.Consumer(t.Context(), broker.StreamName("default", "b"), ConsumerName(uid))
		if err != nil {
			return false
		}
		info, err := c.Info(t.Context())
		return err == nil && info.NumAckPending == 0 && info.AckFloor.Stream >= n && info.NumPending == 0
	})
}

func TestDeliveryAndAck(t *testing.T) {
	for _, format := range []string{"", FormatJSON} {
		t.Run("format="+format, func(t *testing.T) {
			f := newFixture(t, 0)
			s := newSink(t, nil)
			f.setTrigger(t, Trigger{SubscriberURL: s.srv.URL, Delivery: Delivery{Format: format}})
			f.publish(t, "e1", "dev.example")
			f.publish(t, "e2", "dev.example")
			checkFor(t, "2 deliveries", 10*time.Second, func() bool { return len(s.got()) == 2 })
			f.acked(t, "uid-1", 2)
			s.mu.Lock()
			h := s.headers[0]
			s.mu.Unlock()
			if got := h.Get("Prefer"); got != "reply" {
				t.Errorf("Prefer = %q, want reply", got)
			}
			wantCT := "application/json"
			if format == FormatJSON {
				wantCT = "application/cloudevents+json"
			}
			if got := h.Get("Content-Type"); !strings.HasPrefix(got, wantCT) {
				t.Errorf("Content-Type = %q, want %s", got, wantCT)
			}
			if e := s.got()[0]; e.Extensions()[broker.ExtArrivalTime] == nil {
				t.Errorf("delivered event lacks %s", broker.ExtArrivalTime)
			}
		})
	}
}

func TestFiltering(t *testing.T) {
	f := newFixture(t, 0)
	s := newSink(t, nil)
	flt, err := filter.Compile(map[string]string{"type": "keep"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.setTrigger(t, Trigger{SubscriberURL: s.srv.URL, Filter: flt})
	f.publish(t, "a", "drop")
	f.publish(t, "b", "keep")
	f.publish(t, "c", "drop")
	f.acked(t, "uid-1", 3)
	if diff := cmp.Diff([]string{"b"}, s.ids()); diff != "" {
		t.Errorf("delivered ids (-want +got):\n%s", diff)
	}
}

func TestReply(t *testing.T) {
	tests := []struct {
		name      string
		respond   func(n int, w http.ResponseWriter)
		wantReply bool
		wantCalls int
		wantDLQ   int // status in knativeerrorcode, 0: none
	}{
		{"binary reply", func(n int, w http.ResponseWriter) {
			w.Header().Set("Ce-Specversion", "1.0")
			w.Header().Set("Ce-Id", "reply-1")
			w.Header().Set("Ce-Source", "/sub")
			w.Header().Set("Ce-Type", "dev.example.reply")
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusOK)
			_, _ = io.WriteString(w, "hi")
		}, true, 1, 0},
		{"structured reply", func(n int, w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/cloudevents+json")
			_, _ = io.WriteString(w, `{"specversion":"1.0","id":"reply-1","source":"/sub","type":"dev.example.reply"}`)
		}, true, 1, 0},
		{"empty body", func(n int, w http.ResponseWriter) { w.WriteHeader(http.StatusOK) }, false, 1, 0},
		{"non-event body is 502, retried", func(n int, w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/plain")
			_, _ = io.WriteString(w, "not an event")
		}, false, 2, http.StatusBadGateway},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, 0)
			s := newSink(t, tt.respond)
			dlq := newSink(t, nil)
			f.setTrigger(t, Trigger{SubscriberURL: s.srv.URL, Delivery: Delivery{Retry: 1, DeadLetterURL: dlq.srv.URL}})
			f.publish(t, "e1", "dev.example")
			f.acked(t, "uid-1", 1)
			if got := len(s.got()); got != tt.wantCalls {
				t.Errorf("subscriber called %d times, want %d", got, tt.wantCalls)
			}
			rs := f.replies.got()
			if tt.wantReply {
				if len(rs) != 1 || rs[0].ID() != "reply-1" {
					t.Fatalf("replies = %v, want reply-1", rs)
				}
				// The event was published with 254 left; the reply carries it.
				if ttl, ok := broker.TTL(rs[0]); !ok || ttl != broker.DefaultTTL-1 {
					t.Errorf("reply TTL = %d, %v, want %d", ttl, ok, broker.DefaultTTL-1)
				}
			} else if len(rs) != 0 {
				t.Errorf("replies = %v, want none", rs)
			}
			dl := dlq.got()
			if tt.wantDLQ == 0 {
				if len(dl) != 0 {
					t.Errorf("dead-lettered %v, want none", dl)
				}
				return
			}
			if len(dl) != 1 || fmt.Sprint(dl[0].Extensions()[ExtErrorCode]) != fmt.Sprint(tt.wantDLQ) {
				t.Errorf("dead letters = %v, want one with code %d", dl, tt.wantDLQ)
			}
		})
	}
}

func TestRetrySchedule(t *testing.T) {
	tests := []struct {
		policy string
		want   []time.Duration
	}{
		// Knative (go-retryablehttp) counts retries from 0: linear waits
		// delay×n, exponential delay×2^n.
		{BackoffLinear, []time.Duration{0, 100 * time.Millisecond, 200 * time.Millisecond}},
		{BackoffExponential, []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.policy, func(t *testing.T) {
			f := newFixture(t, 0)
			s := newSink(t, func(n int, w http.ResponseWriter) { http.Error(w, "boom", http.StatusInternalServerError) })
			dlq := newSink(t, nil)
			f.setTrigger(t, Trigger{SubscriberURL: s.srv.URL, Delivery: Delivery{
				Retry: 3, BackoffPolicy: tt.policy, BackoffDelay: 100 * time.Millisecond, DeadLetterURL: dlq.srv.URL,
			}})
			f.publish(t, "e1", "dev.example")
			f.acked(t, "uid-1", 1)
			if got := len(s.got()); got != 4 {
				t.Errorf("attempts = %d, want 4 (retry + 1)", got)
			}
			if diff := cmp.Diff(tt.want, f.sleeps.got()); diff != "" {
				t.Errorf("waits (-want +got):\n%s", diff)
			}
			if got := len(dlq.got()); got != 1 {
				t.Errorf("dead letters = %d, want 1", got)
			}
		})
	}
}

func TestRetryableStatuses(t *testing.T) {
	tests := []struct {
		status       int
		wantAttempts int
	}{
		{http.StatusBadRequest, 1},
		{http.StatusUnauthorized, 1},
		{http.StatusMovedPermanently, 1},
		{http.StatusNotFound, 3},
		{http.StatusRequestTimeout, 3},
		{http.StatusConflict, 3},
		{http.StatusTooManyRequests, 3},
		{http.StatusServiceUnavailable, 3},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status), func(t *testing.T) {
			f := newFixture(t, 0)
			s := newSink(t, func(n int, w http.ResponseWriter) {
				w.Header().Set("Location", "http://elsewhere")
				http.Error(w, "nope", tt.status)
			})
			dlq := newSink(t, nil)
			f.setTrigger(t, Trigger{SubscriberURL: s.srv.URL, Delivery: Delivery{Retry: 2, DeadLetterURL: dlq.srv.URL}})
			f.publish(t, "e1", "dev.example")
			f.acked(t, "uid-1", 1)
			if got := len(s.got()); got != tt.wantAttempts {
				t.Errorf("attempts after %d = %d, want %d", tt.status, got, tt.wantAttempts)
			}
			if got := len(dlq.got()); got != 1 {
				t.Errorf("dead letters = %d, want 1", got)
			}
		})
	}
}

func TestDeadLetterExtensions(t *testing.T) {
	f := newFixture(t, 0)
	s := newSink(t, func(n int, w http.ResponseWriter) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, "bad input")
	})
	dlq := newSink(t, nil)
	f.setTrigger(t, Trigger{SubscriberURL: s.srv.URL, Delivery: Delivery{Retry: 5, DeadLetterURL: dlq.srv.URL}})
	f.publish(t, "e1", "dev.example")
	f.acked(t, "uid-1", 1)
	if got := len(s.got()); got != 1 {
		t.Errorf("attempts = %d, want 1: 400 is not retried", got)
	}
	if got := f.sleeps.got(); len(got) != 0 {
		t.Errorf("waits = %v, want none", got)
	}
	dl := dlq.got()
	if len(dl) != 1 {
		t.Fatalf("dead letters = %d, want 1", len(dl))
	}
	ext := dl[0].Extensions()
	want := map[string]string{
		ExtErrorDest: s.srv.URL,
		ExtErrorCode: "400",
		ExtErrorData: base64.StdEncoding.EncodeToString([]byte("bad input")),
	}
	for k, v := range want {
		if got := fmt.Sprint(ext[k]); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if dl[0].ID() != "e1" || string(dl[0].Data()) != `{"id":"e1"}` {
		t.Errorf("dead letter = %v, want the original event", dl[0])
	}
}

func TestDeadLetterTransportError(t *testing.T) {
	f := newFixture(t, 0)
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	dlq := newSink(t, nil)
	f.setTrigger(t, Trigger{SubscriberURL: gone.URL, Delivery: Delivery{Retry: 1, DeadLetterURL: dlq.srv.URL}})
	f.publish(t, "e1", "dev.example")
	f.acked(t, "uid-1", 1)
	dl := dlq.got()
	if len(dl) != 1 || fmt.Sprint(dl[0].Extensions()[ExtErrorCode]) != "500" {
		t.Fatalf("dead letters = %v, want one with code 500", dl)
	}
	if _, ok := dl[0].Extensions()[ExtErrorData]; ok {
		t.Errorf("%s set for a transport error with no body", ExtErrorData)
	}
}

func TestDeadLetterData(t *testing.T) {
	e := event.New()
	e.SetID("1")
	body := []byte(strings.Repeat("x", 2000))
	dl := DeadLetter(e, "http://sub", 500, body)
	got := fmt.Sprint(dl.Extensions()[ExtErrorData])
	if len(got) != ErrorDataMax || got != base64.StdEncoding.EncodeToString(body)[:ErrorDataMax] {
		t.Errorf("%s has %d chars, want the first %d of the base64 body", ExtErrorData, len(got), ErrorDataMax)
	}
	if _, ok := e.Extensions()[ExtErrorDest]; ok {
		t.Errorf("DeadLetter changed its input")
	}
}

func TestDeadLetterDownRedelivers(t *testing.T) {
	f := newFixture(t, time.Second)
	s := newSink(t, func(n int, w http.ResponseWriter) { w.WriteHeader(http.StatusBadRequest) })
	dlq := newSink(t, func(n int, w http.ResponseWriter) {
		if n == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})
	f.setTrigger(t, Trigger{SubscriberURL: s.srv.URL, Delivery: Delivery{DeadLetterURL: dlq.srv.URL}})
	f.publish(t, "e1", "dev.example")
	checkFor(t, "first dead-letter attempt", 10*time.Second, func() bool { return len(dlq.got()) == 1 })
	c, err := f.js.Consumer(t.Context(), broker.StreamName("default", "b"), ConsumerName("uid-1"))
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if info.AckFloor.Stream != 0 {
		t.Errorf("event acked although the dead-letter sink failed")
	}
	f.acked(t, "uid-1", 1)
	if got := len(s.got()); got != 2 {
		t.Errorf("subscriber attempts = %d, want 2 (redelivered after AckWait)", got)
	}
	if got := len(dlq.got()); got != 2 {
		t.Errorf("dead-letter attempts = %d, want 2", got)
	}
}

func TestRecreatedTriggerDoesNotReplay(t *testing.T) {
	f := newFixture(t, 0)
	s := newSink(t, nil)
	f.setTrigger(t, Trigger{SubscriberURL: s.srv.URL, UID: "uid-1"})
	f.publish(t, "e1", "dev.example")
	f.acked(t, "uid-1", 1)
	// Updating the same trigger keeps its consumer and position.
	f.setTrigger(t, Trigger{SubscriberURL: s.srv.URL, UID: "uid-1", Delivery: Delivery{Retry: 3}})
	f.publish(t, "e2", "dev.example")
	f.acked(t, "uid-1", 2)
	if err := f.d.RemoveTrigger(t.Context(), "default", "t", "uid-1"); err != nil {
		t.Fatalf("RemoveTrigger: %v", err)
	}
	if _, err := f.js.Consumer(t.Context(), broker.StreamName("default", "b"), ConsumerName("uid-1")); err == nil {
		t.Errorf("consumer of removed trigger still exists")
	}
	f.publish(t, "e3", "dev.example")
	f.setTrigger(t, Trigger{SubscriberURL: s.srv.URL, UID: "uid-2"})
	f.publish(t, "e4", "dev.example")
	f.acked(t, "uid-2", 4)
	if diff := cmp.Diff([]string{"e1", "e2", "e4"}, s.ids()); diff != "" {
		t.Errorf("delivered ids (-want +got):\n%s", diff)
	}
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		name          string
		status        int
		retryAfter    string
		retryAfterMax time.Duration
		want          time.Duration
	}{
		{"honoured", http.StatusTooManyRequests, "2", 10 * time.Second, 2 * time.Second},
		{"capped", http.StatusServiceUnavailable, "60", 3 * time.Second, 3 * time.Second},
		{"off", http.StatusTooManyRequests, "60", 0, 100 * time.Millisecond},
		{"backoff larger", http.StatusTooManyRequests, "0", 3 * time.Second, 100 * time.Millisecond},
		{"not on 500", http.StatusInternalServerError, "60", 3 * time.Second, 100 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, 0)
			s := newSink(t, func(n int, w http.ResponseWriter) {
				if n == 0 {
					w.Header().Set("Retry-After", tt.retryAfter)
					w.WriteHeader(tt.status)
					return
				}
				w.WriteHeader(http.StatusAccepted)
			})
			f.setTrigger(t, Trigger{SubscriberURL: s.srv.URL, Delivery: Delivery{
				Retry: 1, BackoffDelay: 100 * time.Millisecond, RetryAfterMax: tt.retryAfterMax,
			}})
			f.publish(t, "e1", "dev.example")
			f.acked(t, "uid-1", 1)
			if diff := cmp.Diff([]time.Duration{tt.want}, f.sleeps.got()); diff != "" {
				t.Errorf("waits (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	lin := Delivery{BackoffPolicy: BackoffLinear, BackoffDelay: time.Second}
	exp := Delivery{BackoffPolicy: BackoffExponential, BackoffDelay: time.Second, RetryAfterMax: time.Minute}
	tests := []struct {
		del        Delivery
		n, status  int
		retryAfter time.Duration
		want       time.Duration
	}{
		{lin, 0, 500, 0, 0},
		{lin, 3, 500, 0, 3 * time.Second},
		{exp, 0, 500, 0, time.Second},
		{exp, 4, 500, 0, 16 * time.Second},
		{exp, 200, 500, 0, time.Duration(1<<63 - 1)},
		{exp, 1, 429, 30 * time.Second, 30 * time.Second},
		{exp, 1, 503, 2 * time.Hour, time.Minute},
		{lin, 1, 429, 30 * time.Second, time.Second},
	}
	for _, tt := range tests {
		if got := Backoff(tt.del, tt.n, tt.status, tt.retryAfter); got != tt.want {
			t.Errorf("Backoff(%+v, %d, %d, %v) = %v, want %v", tt.del, tt.n, tt.status, tt.retryAfter, got, tt.want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"5", 5 * time.Second},
		{"-1", 0},
		{"soon", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestSetTriggerErrors(t *testing.T) {
	f := newFixture(t, 0)
	if err := f.d.SetTrigger(t.Context(), Trigger{Namespace: "default", Name: "t"}); err == nil {
		t.Errorf("SetTrigger without uid, broker and subscriber = nil, want error")
	}
	err := f.d.SetTrigger(t.Context(), Trigger{Namespace: "default", Name: "t", UID: "u", Broker: "missing", SubscriberURL: "http://x"})
	if err == nil {
		t.Errorf("SetTrigger on a broker without stream = nil, want error")
	}
	f.d.Close()
	err = f.d.SetTrigger(t.Context(), Trigger{Namespace: "default", Name: "t", UID: "u", Broker: "b", SubscriberURL: "http://x"})
	if err == nil {
		t.Errorf("SetTrigger after Close = nil, want %v", ErrClosed)
	}
}

// A delivery that takes several AckWaits is kept by the heartbeat: JetStream
// does not hand the event out again while it is being worked on.
func TestHeartbeatHoldsLongDelivery(t *testing.T) {
	const ackWait = 300 * time.Millisecond
	f := newFixture(t, ackWait)
	release := make(chan struct{})
	s := newSink(t, func(n int, w http.ResponseWriter) {
		if n == 0 {
			<-release
		}
		w.WriteHeader(http.StatusAccepted)
	})
	f.setTrigger(t, Trigger{SubscriberURL: s.srv.URL})
	f.publish(t, "slow", "dev.example")
	checkFor(t, "the first delivery", 10*time.Second, func() bool { return len(s.got()) == 1 })
	time.Sleep(4 * ackWait)
	close(release)
	f.acked(t, "uid-1", 1)
	if got := s.ids(); len(got) != 1 {
		t.Errorf("deliveries = %v, want the event once", got)
	}
}

// Structured delivery carries data that is not JSON, or not text, as
// data_base64, so that it arrives intact.
func TestStructuredDeliveryOfBinaryData(t *testing.T) {
	f := newFixture(t, 0)
	s := newSink(t, nil)
	f.setTrigger(t, Trigger{SubscriberURL: s.srv.URL, Delivery: Delivery{Format: FormatJSON}})
	datas := map[string]struct {
		ct   string
		data []byte
	}{
		"text-no-type": {"", []byte("hello")},
		"image":        {"image/jpeg", []byte{0xff, 0xd8, 0xff, 0xe0, 0x00}},
	}
	for id, d := range datas {
		e := event.New()
		e.SetID(id)
		e.SetSource("/test")
		e.SetType("dev.example")
		if d.ct != "" {
			e.SetDataContentType(d.ct)
		}
		e.DataEncoded = d.data
		if err := f.in.Publish(t.Context(), "default", "b", e); err != nil {
			t.Fatalf("publish %s: %v", id, err)
		}
	}
	checkFor(t, "2 deliveries", 10*time.Second, func() bool { return len(s.got()) == 2 })
	for _, e := range s.got() {
		want := datas[e.ID()].data
		if string(e.Data()) != string(want) {
			t.Errorf("%s: data = %q, want %q", e.ID(), e.Data(), want)
		}
	}
	for _, h := range s.headers {
		if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "application/cloudevents+json") {
			t.Errorf("Content-Type = %q, want structured mode", ct)
		}
	}
}

// Consumers of Triggers that no longer exist are deleted; those of live
// and of running Triggers are kept.
func TestPruneConsumers(t *testing.T) {
	f := newFixture(t, 0)
	s := newSink(t, nil)
	ctx := t.Context()
	f.setTrigger(t, Trigger{Name: "running", UID: "uid-running", SubscriberURL: s.srv.URL})
	stream := broker.StreamName("default", "b")
	for _, uid := range []string{"uid-live", "uid-gone"} {
		if _, err := f.js.CreateOrUpdateConsumer(ctx, stream, jetstream.ConsumerConfig{
			Durable: ConsumerName(uid), AckPolicy: jetstream.AckExplicitPolicy,
		}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.js.CreateOrUpdateConsumer(ctx, stream, jetstream.ConsumerConfig{
		Durable: "not-a-trigger", AckPolicy: jetstream.AckExplicitPolicy,
	}); err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	// A consumer made after the start, by a Trigger this server's store
	// may not know yet, is left alone.
	if _, err := f.js.CreateOrUpdateConsumer(ctx, stream, jetstream.ConsumerConfig{
		Durable: ConsumerName("uid-new"), AckPolicy: jetstream.AckExplicitPolicy,
	}); err != nil {
		t.Fatal(err)
	}
	n, err := f.d.PruneConsumers(ctx, started, func(context.Context) (map[string]bool, error) {
		return map[string]bool{"uid-live": true}, nil
	})
	if err != nil || n != 1 {
		t.Fatalf("PruneConsumers() = %d, %v; want 1, nil", n, err)
	}
	st, err := f.js.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for n := range st.ConsumerNames(ctx).Name() {
		names = append(names, n)
	}
	slices.Sort(names)
	want := []string{"not-a-trigger", ConsumerName("uid-live"), ConsumerName("uid-new"), ConsumerName("uid-running")}
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("consumers left = %v, want %v", names, want)
	}
	// An error listing the live triggers deletes nothing, not even an
	// orphan.
	if _, err := f.d.PruneConsumers(ctx, time.Now(), func(context.Context) (map[string]bool, error) {
		return nil, errors.New("store down")
	}); err == nil {
		t.Error("PruneConsumers with a failing live list succeeded")
	}
	if _, err := st.Consumer(ctx, ConsumerName("uid-new")); err != nil {
		t.Errorf("consumer deleted although the live list failed: %v", err)
	}
}

// A stopped Trigger keeps its consumer: events that arrive while it is
// stopped are delivered once it is set again.
func TestStopTriggerKeepsEvents(t *testing.T) {
	f := newFixture(t, 0)
	s := newSink(t, nil)
	f.setTrigger(t, Trigger{SubscriberURL: s.srv.URL})
	f.publish(t, "before", "dev.example")
	checkFor(t, "the first delivery", 10*time.Second, func() bool { return len(s.got()) == 1 })
	f.d.StopTrigger("default", "t")
	f.d.StopTrigger("default", "t") // not running: nothing happens
	f.publish(t, "while-stopped", "dev.example")
	time.Sleep(200 * time.Millisecond)
	if got := s.ids(); len(got) != 1 {
		t.Fatalf("deliveries while stopped = %v, want only the first", got)
	}
	f.setTrigger(t, Trigger{SubscriberURL: s.srv.URL})
	checkFor(t, "the event sent while stopped", 10*time.Second, func() bool { return len(s.got()) == 2 })
	if got := s.ids(); got[1] != "while-stopped" {
		t.Errorf("deliveries = %v", got)
	}
}

// A reply the broker refuses as invalid is a failed delivery: the event goes
// to the dead letter sink once and is acknowledged, not delivered again and
// again.
func TestRefusedReplyIsDeadLettered(t *testing.T) {
	f := newFixture(t, 300*time.Millisecond)
	f.replies.refuse = fmt.Errorf("publish: %w: no canonical form", broker.ErrInvalidEvent)
	s := newSink(t, func(_ int, w http.ResponseWriter) {
		h := w.Header()
		h.Set("Ce-Specversion", "1.0")
		h.Set("Ce-Id", "reply-1")
		h.Set("Ce-Source", "/sub")
		h.Set("Ce-Type", "dev.example.reply")
		w.WriteHeader(http.StatusOK)
	})
	dl := newSink(t, nil)
	f.setTrigger(t, Trigger{SubscriberURL: s.srv.URL, Delivery: Delivery{Retry: 2, DeadLetterURL: dl.srv.URL}})
	f.publish(t, "e1", "dev.example")
	checkFor(t, "the dead letter", 10*time.Second, func() bool { return len(dl.got()) == 1 })
	f.acked(t, "uid-1", 1)
	time.Sleep(3 * 300 * time.Millisecond) // AckWait, three times over
	if n := len(s.got()); n != 1 {
		t.Errorf("subscriber got the event %d times, want once (no retry, no redelivery)", n)
	}
	if n := len(dl.got()); n != 1 {
		t.Errorf("dead letter sink got %d events, want 1", n)
	}
	if code, _ := dl.got()[0].Extensions()[ExtErrorCode]; fmt.Sprint(code) != "502" {
		t.Errorf("knativeerrorcode = %v, want 502", code)
	}
}
