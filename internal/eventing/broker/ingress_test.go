package broker

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/skiff-sh/skiff/internal/natsembed"
)

var testNow = time.Date(2026, 3, 4, 5, 6, 7, 890123456, time.FixedZone("x", 3600))

// fixture is an ingress over an embedded NATS with broker default/b known,
// served by an httptest server.
type fixture struct {
	js  jetstream.JetStream
	in  *Ingress
	srv *httptest.Server
}

func newFixture(t *testing.T, opts IngressOptions) *fixture {
	t.Helper()
	ctx := t.Context()
	n, err := natsembed.Start(ctx, natsembed.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatalf("natsembed.Start: %v", err)
	}
	t.Cleanup(n.Close)
	if opts.Now == nil {
		opts.Now = func() time.Time { return testNow }
	}
	in := NewIngress(n.JetStream(), opts)
	if err := in.EnsureBroker(ctx, "default", "b", false); err != nil {
		t.Fatalf("EnsureBroker: %v", err)
	}
	srv := httptest.NewServer(in)
	t.Cleanup(srv.Close)
	return &fixture{js: n.JetStream(), in: in, srv: srv}
}

// messages returns the events stored for broker default/b.
func (f *fixture) messages(t *testing.T, ns, name string) []event.Event {
	t.Helper()
	ctx := t.Context()
	s, err := f.js.Stream(ctx, StreamName(ns, name))
	if err != nil {
		t.Fatalf("Stream: %v", err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatalf("Info: %v", err)
	}
	var out []event.Event
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			t.Fatalf("GetMsg(%d): %v", seq, err)
		}
		e, err := DecodeMsg(m.Header, m.Data)
		if err != nil {
			t.Fatalf("decode stored event: %v", err)
		}
		out = append(out, e)
	}
	return out
}

func (f *fixture) do(t *testing.T, method, path string, header map[string]string, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, f.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func binaryHeaders(id string) map[string]string {
	return map[string]string{
		"Content-Type":   "application/json",
		"Ce-Specversion": "1.0",
		"Ce-Id":          id,
		"Ce-Source":      "/test",
		"Ce-Type":        "dev.example.test",
		"Ce-Myext":       "caf%C3%A9",
	}
}

const structuredBody = `{"specversion":"1.0","id":"s-1","source":"/test","type":"dev.example.test","datacontenttype":"application/json","data":{"hello":"world"}}`

func TestIngressAccepts(t *testing.T) {
	tests := []struct {
		name     string
		header   map[string]string
		body     string
		wantID   string
		wantExt  string
		wantData string
	}{
		{"binary", binaryHeaders("b-1"), `{"hello":"world"}`, "b-1", "café", `{"hello":"world"}`},
		{"structured", map[string]string{"Content-Type": "application/cloudevents+json; charset=utf-8"}, structuredBody, "s-1", "", `{"hello":"world"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, IngressOptions{})
			resp := f.do(t, http.MethodPost, "/default/b", tt.header, tt.body)
			if resp.StatusCode != http.StatusAccepted {
				b, _ := io.ReadAll(resp.Body)
				t.Fatalf("POST = %d %s, want 202", resp.StatusCode, b)
			}
			got := f.messages(t, "default", "b")
			if len(got) != 1 {
				t.Fatalf("stored %d events, want 1", len(got))
			}
			e := got[0]
			if e.ID() != tt.wantID {
				t.Errorf("id = %q, want %q", e.ID(), tt.wantID)
			}
			if at := e.Extensions()[ExtArrivalTime]; at != "2026-03-04T04:06:07.890123456Z" {
				t.Errorf("%s = %v, want the UTC arrival time", ExtArrivalTime, at)
			}
			if ttl, ok := TTL(e); !ok || ttl != DefaultTTL {
				t.Errorf("TTL = %d, %v, want %d", ttl, ok, DefaultTTL)
			}
			if tt.wantExt != "" && e.Extensions()["myext"] != tt.wantExt {
				t.Errorf("myext = %v, want percent-decoded %q", e.Extensions()["myext"], tt.wantExt)
			}
			if string(e.Data()) != tt.wantData {
				t.Errorf("data = %s, want %s", e.Data(), tt.wantData)
			}
		})
	}
}

func TestIngressErrors(t *testing.T) {
	f := newFixture(t, IngressOptions{MaxEventBytes: 64})
	missing := func(drop string) map[string]string {
		h := binaryHeaders("x")
		delete(h, drop)
		return h
	}
	with := func(k, v string) map[string]string {
		h := binaryHeaders("x")
		h[k] = v
		return h
	}
	tests := []struct {
		name       string
		method     string
		path       string
		header     map[string]string
		body       string
		wantStatus int
		wantBody   string
	}{
		{"get", http.MethodGet, "/default/b", nil, "", 405, "not allowed"},
		{"put", http.MethodPut, "/default/b", binaryHeaders("x"), "{}", 405, "not allowed"},
		{"root path", http.MethodPost, "/", binaryHeaders("x"), "{}", 400, "not /<namespace>/<broker>"},
		{"one segment", http.MethodPost, "/default", binaryHeaders("x"), "{}", 400, "not /<namespace>/<broker>"},
		{"three segments", http.MethodPost, "/default/b/x", binaryHeaders("x"), "{}", 400, "not /<namespace>/<broker>"},
		{"empty broker", http.MethodPost, "/default/", binaryHeaders("x"), "{}", 400, "not /<namespace>/<broker>"},
		{"unknown broker", http.MethodPost, "/default/nope", binaryHeaders("x"), "{}", 404, "unknown broker"},
		{"too large", http.MethodPost, "/default/b", binaryHeaders("x"), strings.Repeat("a", 65), 413, "over the limit"},
		{"batch", http.MethodPost, "/default/b", map[string]string{"Content-Type": "application/cloudevents-batch+json"}, "[]", 400, "batched events"},
		{"missing id", http.MethodPost, "/default/b", missing("Ce-Id"), "{}", 400, "id"},
		{"missing source", http.MethodPost, "/default/b", missing("Ce-Source"), "{}", 400, "source"},
		{"missing type", http.MethodPost, "/default/b", missing("Ce-Type"), "{}", 400, "type"},
		{"missing specversion", http.MethodPost, "/default/b", missing("Ce-Specversion"), "{}", 400, "invalid event"},
		{"wrong specversion", http.MethodPost, "/default/b", with("Ce-Specversion", "0.1"), "{}", 400, "invalid event"},
		{"bad percent-encoding", http.MethodPost, "/default/b", with("Ce-Myext", "bad%zz"), "{}", 400, "percent-encoding"},
		{"structured missing id", http.MethodPost, "/default/b", map[string]string{"Content-Type": "application/cloudevents+json"}, `{"specversion":"1.0","source":"/s","type":"t"}`, 400, "id"},
		{"structured bad json", http.MethodPost, "/default/b", map[string]string{"Content-Type": "application/cloudevents+json"}, `{"specversion":`, 400, "invalid event"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := f.do(t, tt.method, tt.path, tt.header, tt.body)
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantStatus || !strings.Contains(string(b), tt.wantBody) {
				t.Errorf("%s %s = %d %q, want %d containing %q", tt.method, tt.path, resp.StatusCode, b, tt.wantStatus, tt.wantBody)
			}
			if tt.wantStatus == 405 && resp.Header.Get("Allow") != "POST, OPTIONS" {
				t.Errorf("Allow = %q, want %q", resp.Header.Get("Allow"), "POST, OPTIONS")
			}
		})
	}
	if got := f.messages(t, "default", "b"); len(got) != 0 {
		t.Errorf("stored %d events after only bad requests, want 0", len(got))
	}
}

func TestIngressOptionsHandshake(t *testing.T) {
	f := newFixture(t, IngressOptions{})
	resp := f.do(t, http.MethodOptions, "/default/b", map[string]string{"WebHook-Request-Origin": "example.com"}, "")
	if resp.StatusCode != http.StatusOK {
		t.Errorf("OPTIONS = %d, want 200", resp.StatusCode)
	}
	for k, want := range map[string]string{"Allow": "POST, OPTIONS", "WebHook-Allowed-Origin": "*", "WebHook-Allowed-Rate": "*"} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}

func TestIngressDeduplicatesRetries(t *testing.T) {
	f := newFixture(t, IngressOptions{})
	for i := range 3 {
		if resp := f.do(t, http.MethodPost, "/default/b", binaryHeaders("same"), "{}"); resp.StatusCode != http.StatusAccepted {
			t.Fatalf("POST #%d = %d, want 202", i, resp.StatusCode)
		}
	}
	if resp := f.do(t, http.MethodPost, "/default/b", binaryHeaders("other"), "{}"); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST other = %d, want 202", resp.StatusCode)
	}
	if got := f.messages(t, "default", "b"); len(got) != 2 {
		t.Errorf("stored %d events, want 2 (retries deduplicated)", len(got))
	}
}

func TestIngressDropsSpentTTL(t *testing.T) {
	f := newFixture(t, IngressOptions{})
	h := binaryHeaders("looping")
	h["Ce-Knativebrokerttl"] = "0"
	if resp := f.do(t, http.MethodPost, "/default/b", h, "{}"); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST = %d, want 202", resp.StatusCode)
	}
	h["Ce-Knativebrokerttl"] = "7"
	h["Ce-Id"] = "kept"
	if resp := f.do(t, http.MethodPost, "/default/b", h, "{}"); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST = %d, want 202", resp.StatusCode)
	}
	got := f.messages(t, "default", "b")
	if len(got) != 1 || got[0].ID() != "kept" {
		t.Fatalf("stored %v, want only the event with ttl left", got)
	}
	if ttl, _ := TTL(got[0]); ttl != 7 {
		t.Errorf("TTL = %d, want 7 (ingress keeps a client's ttl)", ttl)
	}
}

func TestIngressJetStreamDown(t *testing.T) {
	f := newFixture(t, IngressOptions{})
	// The broker stays known while its stream is gone: publishes get no
	// responders.
	if err := f.js.DeleteStream(t.Context(), StreamName("default", "b")); err != nil {
		t.Fatal(err)
	}
	resp := f.do(t, http.MethodPost, "/default/b", binaryHeaders("x"), "{}")
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("POST with stream gone = %d, want 503", resp.StatusCode)
	}
}

func TestPublish(t *testing.T) {
	tests := []struct {
		name    string
		ttl     any // nil: absent
		wantTTL int // 0: dropped
	}{
		{"absent starts at default", nil, DefaultTTL - 1},
		{"decrements", 10, 9},
		{"string ttl", "3", 2},
		{"last unit dropped", 1, 0},
		{"spent dropped", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, IngressOptions{})
			e := event.New()
			e.SetID("r-1")
			e.SetSource("/reply")
			e.SetType("reply")
			if tt.ttl != nil {
				e.SetExtension(ExtTTL, tt.ttl)
			}
			if err := f.in.Publish(t.Context(), "default", "b", e); err != nil {
				t.Fatalf("Publish: %v", err)
			}
			got := f.messages(t, "default", "b")
			if tt.wantTTL == 0 {
				if len(got) != 0 {
					t.Fatalf("stored %d events, want the reply dropped", len(got))
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("stored %d events, want 1", len(got))
			}
			if ttl, _ := TTL(got[0]); ttl != tt.wantTTL {
				t.Errorf("TTL = %d, want %d", ttl, tt.wantTTL)
			}
			if got[0].Extensions()[ExtArrivalTime] == nil {
				t.Errorf("no %s stamped", ExtArrivalTime)
			}
		})
	}
}

func TestPublishUnknownBroker(t *testing.T) {
	f := newFixture(t, IngressOptions{})
	e := event.New()
	e.SetID("1")
	e.SetSource("/s")
	e.SetType("t")
	if err := f.in.Publish(t.Context(), "default", "nope", e); err == nil || !strings.Contains(err.Error(), ErrUnknownBroker.Error()) {
		t.Errorf("Publish to unknown broker = %v, want %v", err, ErrUnknownBroker)
	}
}

func TestRemoveBroker(t *testing.T) {
	f := newFixture(t, IngressOptions{})
	ctx := context.Background()
	if err := f.in.RemoveBroker(ctx, "default", "b"); err != nil {
		t.Fatalf("RemoveBroker: %v", err)
	}
	if _, err := f.js.Stream(ctx, StreamName("default", "b")); err == nil {
		t.Errorf("stream still exists after RemoveBroker")
	}
	if resp := f.do(t, http.MethodPost, "/default/b", binaryHeaders("x"), "{}"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("POST to removed broker = %d, want 404", resp.StatusCode)
	}
	if err := f.in.RemoveBroker(ctx, "default", "b"); err != nil {
		t.Errorf("second RemoveBroker = %v, want nil", err)
	}
}

func TestEnsureBrokerKeepsStream(t *testing.T) {
	f := newFixture(t, IngressOptions{})
	if resp := f.do(t, http.MethodPost, "/default/b", binaryHeaders("x"), "{}"); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST = %d", resp.StatusCode)
	}
	if err := f.in.EnsureBroker(t.Context(), "default", "b", false); err != nil {
		t.Fatalf("EnsureBroker again: %v", err)
	}
	if got := f.messages(t, "default", "b"); len(got) != 1 {
		t.Errorf("stored %d events after EnsureBroker again, want 1", len(got))
	}
	s, err := f.js.Stream(t.Context(), StreamName("default", "b"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.CachedInfo().Config
	if cfg.Duplicates != 2*time.Minute || cfg.MaxAge != 7*24*time.Hour || cfg.MaxBytes != 1<<30 || cfg.Storage != jetstream.FileStorage {
		t.Errorf("stream config = dup %v age %v bytes %d storage %v", cfg.Duplicates, cfg.MaxAge, cfg.MaxBytes, cfg.Storage)
	}
	if err := f.in.EnsureBroker(t.Context(), "default", "mem", true); err != nil {
		t.Fatalf("EnsureBroker memory: %v", err)
	}
	m, err := f.js.Stream(t.Context(), StreamName("default", "mem"))
	if err != nil || m.CachedInfo().Config.Storage != jetstream.MemoryStorage {
		t.Errorf("memory broker stream = %v, %v; want memory storage", m, err)
	}
}

func TestNames(t *testing.T) {
	tests := []struct {
		ns, name, wantStream, wantSubject string
	}{
		{"default", "b", "BROKER_default_b", "skiff.broker.default.b"},
		{"team-a", "my.broker", "BROKER_team-a_my_broker", "skiff.broker.team-a.my.broker"},
		{"x", "a*b >c", "BROKER_x_a_b__c", "skiff.broker.x.a_b__c"},
	}
	for _, tt := range tests {
		if got := StreamName(tt.ns, tt.name); got != tt.wantStream {
			t.Errorf("StreamName(%q, %q) = %q, want %q", tt.ns, tt.name, got, tt.wantStream)
		}
		if got := Subject(tt.ns, tt.name); got != tt.wantSubject {
			t.Errorf("Subject(%q, %q) = %q, want %q", tt.ns, tt.name, got, tt.wantSubject)
		}
	}
}

// TestReplyKeepingTheIDIsStored: a reply that keeps the source and id of
// the event it answers is not taken for a client retry of that event.
func TestReplyKeepingTheIDIsStored(t *testing.T) {
	f := newFixture(t, IngressOptions{})
	if resp := f.do(t, http.MethodPost, "/default/b", binaryHeaders("same"), "{}"); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST = %d, want 202", resp.StatusCode)
	}
	stored := f.messages(t, "default", "b")
	if len(stored) != 1 {
		t.Fatalf("stored %d events, want 1", len(stored))
	}
	reply := stored[0].Clone()
	reply.SetType("transformed")
	if err := f.in.Publish(t.Context(), "default", "b", reply); err != nil {
		t.Fatal(err)
	}
	if got := f.messages(t, "default", "b"); len(got) != 2 || got[1].Type() != "transformed" {
		t.Errorf("after the reply the stream holds %d events, want 2 with the reply last", len(got))
	}
}
