package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"
)

// sink is a CloudEvents receiver built with the SDK, on a loopback port.
type sink struct {
	url    string
	mu     sync.Mutex
	events []cloudevents.Event
	// respond decides each answer; nil accepts with no reply.
	respond func(e cloudevents.Event) (*cloudevents.Event, cloudevents.Result)
}

func newSink(t *testing.T, respond func(e cloudevents.Event) (*cloudevents.Event, cloudevents.Result)) *sink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &sink{url: "http://" + ln.Addr().String(), respond: respond}
	p, err := cloudevents.NewHTTP(cloudevents.WithListener(ln))
	if err != nil {
		t.Fatal(err)
	}
	c, err := cloudevents.NewClient(p)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = c.StartReceiver(ctx, func(ctx context.Context, e cloudevents.Event) (*cloudevents.Event, cloudevents.Result) {
			s.mu.Lock()
			s.events = append(s.events, e)
			s.mu.Unlock()
			if s.respond != nil {
				return s.respond(e)
			}
			return nil, cloudevents.ResultACK
		})
	}()
	t.Cleanup(func() { cancel(); <-done })
	return s
}

func (s *sink) received() []cloudevents.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]cloudevents.Event(nil), s.events...)
}

func (s *sink) ids() map[string]int {
	out := map[string]int{}
	for _, e := range s.received() {
		out[e.ID()]++
	}
	return out
}

func (s *server) brokerURL(t *testing.T, name string) string {
	t.Helper()
	var u string
	checkFor(t, 30*time.Second, func() error {
		code, body := s.api(t, "GET", "/apis/eventing.knative.dev/v1/namespaces/default/brokers/"+name, "", "")
		var b struct {
			Status struct {
				Address    struct{ URL string }
				Conditions []struct{ Type, Status string }
			}
		}
		_ = json.Unmarshal(body, &b)
		if code != 200 || !isReady(b.Status.Conditions) {
			return fmt.Errorf("broker not ready: %s", body)
		}
		u = b.Status.Address.URL
		return nil
	})
	return u
}

func (s *server) waitTriggerReady(t *testing.T, name string) {
	t.Helper()
	checkFor(t, 30*time.Second, func() error {
		code, body := s.api(t, "GET", "/apis/eventing.knative.dev/v1/namespaces/default/triggers/"+name, "", "")
		var tr struct {
			Status struct {
				Conditions []struct{ Type, Status string }
			}
		}
		_ = json.Unmarshal(body, &tr)
		if code != 200 || !isReady(tr.Status.Conditions) {
			return fmt.Errorf("trigger %s not ready: %s", name, body)
		}
		return nil
	})
}

func isReady(cs []struct{ Type, Status string }) bool {
	for _, c := range cs {
		if c.Type == "Ready" {
			return c.Status == "True"
		}
	}
	return false
}

func sendEvent(ctx context.Context, target, id, typ string, data any) cloudevents.Result {
	c, err := cloudevents.NewClientHTTP()
	if err != nil {
		return err
	}
	e := cloudevents.NewEvent()
	e.SetID(id)
	e.SetType(typ)
	e.SetSource("e2e")
	_ = e.SetData(cloudevents.ApplicationJSON, data)
	return c.Send(cloudevents.ContextWithTarget(ctx, target), e)
}

func statusOf(res cloudevents.Result) int {
	var hr *cehttp.Result
	if cloudevents.ResultAs(res, &hr) {
		return hr.StatusCode
	}
	return 0
}

// TestEventing: broker and triggers with filters, delivery through the SDK,
// retries then dead letter, a reply chain, and the CLI.
func TestEventing(t *testing.T) {
	s := startServer(t)
	good := newSink(t, nil)
	failing := newSink(t, func(e cloudevents.Event) (*cloudevents.Event, cloudevents.Result) {
		return nil, cehttp.NewResult(http.StatusInternalServerError, "always failing")
	})
	dls := newSink(t, nil)
	replier := newSink(t, func(e cloudevents.Event) (*cloudevents.Event, cloudevents.Result) {
		r := cloudevents.NewEvent()
		r.SetID("reply-" + e.ID())
		r.SetType("reply")
		r.SetSource("replier")
		_ = r.SetData(cloudevents.ApplicationJSON, map[string]string{"in": e.ID()})
		return &r, cloudevents.ResultACK
	})
	replies := newSink(t, nil)

	s.apply(t, fmt.Sprintf(`apiVersion: eventing.knative.dev/v1
kind: Broker
metadata:
  name: default
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata:
  name: only-a
spec:
  broker: default
  filter:
    attributes:
      type: a
  subscriber:
    uri: %s
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata:
  name: failing
spec:
  broker: default
  filters:
    - exact:
        type: fail
  subscriber:
    uri: %s
  delivery:
    retry: 2
    backoffPolicy: linear
    backoffDelay: PT0.05S
    deadLetterSink:
      uri: %s
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata:
  name: ask
spec:
  broker: default
  filters:
    - cesql: "type = 'ask' AND source LIKE 'e2%%'"
  subscriber:
    uri: %s
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata:
  name: replies
spec:
  broker: default
  filter:
    attributes:
      type: reply
  subscriber:
    uri: %s
`, good.url, failing.url, dls.url, replier.url, replies.url))
	broker := s.brokerURL(t, "default")
	for _, tr := range []string{"only-a", "failing", "ask", "replies"} {
		s.waitTriggerReady(t, tr)
	}
	ctx := context.Background()
	for i, typ := range []string{"a", "b", "a", "fail", "ask"} {
		res := sendEvent(ctx, broker, fmt.Sprintf("e%d", i), typ, map[string]int{"n": i})
		if code := statusOf(res); code != http.StatusAccepted {
			t.Fatalf("send %s = %v (%d), want 202", typ, res, code)
		}
	}
	checkFor(t, 20*time.Second, func() error {
		got := good.ids()
		if len(got) != 2 || got["e0"] == 0 || got["e2"] == 0 {
			return fmt.Errorf("type a sink got %v", got)
		}
		if len(dls.received()) != 1 || len(failing.received()) != 3 {
			return fmt.Errorf("failing sink got %d (want 3 = 1 + 2 retries), dead letter %d", len(failing.received()), len(dls.received()))
		}
		if len(replies.received()) != 1 {
			return fmt.Errorf("reply sink got %d", len(replies.received()))
		}
		return nil
	})
	e := good.received()[0]
	if _, ok := e.Extensions()["knativearrivaltime"]; !ok {
		t.Errorf("delivered event lacks knativearrivaltime: %v", e)
	}
	d := dls.received()[0]
	ext := d.Extensions()
	if fmt.Sprint(ext["knativeerrorcode"]) != "500" || fmt.Sprint(ext["knativeerrordest"]) != failing.url && !strings.HasPrefix(fmt.Sprint(ext["knativeerrordest"]), failing.url) {
		t.Errorf("dead letter extensions = %v", ext)
	}
	if data, err := base64.StdEncoding.DecodeString(fmt.Sprint(ext["knativeerrordata"])); err != nil || !strings.Contains(string(data), "always failing") {
		t.Errorf("knativeerrordata = %v (%q, %v)", ext["knativeerrordata"], data, err)
	}
	if r := replies.received()[0]; r.ID() != "reply-e4" {
		t.Errorf("reply = %v", r)
	}

	// Knative's ingress answers.
	for _, tt := range []struct {
		method, path, ct, body string
		want                   int
	}{
		{"GET", "/default/default", "", "", 405},
		{"POST", "/default/nope", "application/cloudevents+json", `{"specversion":"1.0","id":"1","source":"s","type":"t"}`, 404},
		{"POST", "/default/default", "application/cloudevents+json", `{"specversion":"1.0","source":"s","type":"t"}`, 400},
		{"POST", "/default/default", "application/cloudevents-batch+json", `[]`, 400},
		{"POST", "/only-one-segment", "application/cloudevents+json", `{}`, 400},
	} {
		req, _ := http.NewRequest(tt.method, strings.TrimSuffix(broker, "/default/default")+tt.path, strings.NewReader(tt.body))
		if tt.ct != "" {
			req.Header.Set("Content-Type", tt.ct)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s %s = %d, want %d", tt.method, tt.path, resp.StatusCode, tt.want)
		}
	}

	// skiff event tail shows what the broker receives, live.
	tctx, tcancel := context.WithCancel(context.Background())
	defer tcancel()
	tail := exec.CommandContext(tctx, s.bin, "--data-dir", s.dataDir, "event", "tail", "--broker", "default")
	var tailOut syncBuffer
	tail.Stdout, tail.Stderr = &tailOut, &tailOut
	if err := tail.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { tcancel(); _ = tail.Wait() }()
	time.Sleep(300 * time.Millisecond) // the tail starts at new events

	// skiff event send.
	out, err := s.skiff(t, "", "event", "send", "--broker", "default", "--type", "a", "--id", "from-cli", "--data", `{"x":1}`)
	if err != nil {
		t.Fatalf("skiff event send: %v\n%s", err, out)
	}
	checkFor(t, 10*time.Second, func() error {
		if good.ids()["from-cli"] == 0 {
			return fmt.Errorf("the CLI's event did not arrive")
		}
		if !strings.Contains(tailOut.String(), `"id":"from-cli"`) {
			return fmt.Errorf("skiff event tail printed %q", tailOut.String())
		}
		return nil
	})
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestEventingSurvivesSIGKILL sends 3,000 events with a client that retries
// until it gets 202, kills skiff with SIGKILL in the middle and restarts it:
// every event answered 202 reaches the subscriber at least once.
func TestEventingSurvivesSIGKILL(t *testing.T) {
	s := startServer(t)
	sub := newSink(t, nil)
	s.apply(t, fmt.Sprintf(`apiVersion: eventing.knative.dev/v1
kind: Broker
metadata:
  name: durable
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata:
  name: all
spec:
  broker: durable
  subscriber:
    uri: %s
`, sub.url))
	broker := s.brokerURL(t, "durable")
	s.waitTriggerReady(t, "all")

	const n = 3000
	var accepted sync.Map
	var sent atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		ctx := context.Background()
		for i := 0; i < n; i++ {
			id := fmt.Sprintf("ev-%d", i)
			for {
				rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
				res := sendEvent(rctx, broker, id, "durable.test", map[string]int{"i": i})
				cancel()
				if statusOf(res) == http.StatusAccepted {
					accepted.Store(id, true)
					sent.Add(1)
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
	}()
	checkFor(t, 60*time.Second, func() error {
		if sent.Load() < n/3 {
			return fmt.Errorf("%d sent so far", sent.Load())
		}
		return nil
	})
	// SIGKILL: no clean shutdown, then start again on the same data dir.
	_ = syscall.Kill(s.cmd.Process.Pid, syscall.SIGKILL)
	_ = s.cmd.Wait()
	s.cmd = nil
	s.start()
	select {
	case <-done:
	case <-time.After(3 * time.Minute):
		t.Fatalf("sender stuck after %d events", sent.Load())
	}
	checkFor(t, 2*time.Minute, func() error {
		got := sub.ids()
		missing := 0
		accepted.Range(func(k, _ any) bool {
			if got[k.(string)] == 0 {
				missing++
			}
			return true
		})
		if missing > 0 {
			return fmt.Errorf("%d of %d accepted events not delivered yet", missing, n)
		}
		return nil
	})
	dups := 0
	for _, c := range sub.ids() {
		if c > 1 {
			dups += c - 1
		}
	}
	t.Logf("all %d accepted events delivered; %d duplicates after the SIGKILL", n, dups)
}

// TestTriggerWakesServiceAtZero: a Trigger whose subscriber is a Knative
// Service scaled to zero delivers to it; the request wakes it as any
// client's would.
func TestTriggerWakesServiceAtZero(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfg, []byte(autoscalerConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, "--config", cfg)
	app := copyApp(t)
	s.apply(t, serviceYAML("consumer", app, "c", "")+`---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata:
  name: default
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata:
  name: to-ksvc
spec:
  broker: default
  subscriber:
    ref:
      apiVersion: serving.knative.dev/v1
      kind: Service
      name: consumer
    uri: /events
`)
	s.waitKsvcReady(t, "consumer")
	broker := s.brokerURL(t, "default")
	s.waitTriggerReady(t, "to-ksvc")
	checkFor(t, 30*time.Second, func() error {
		if a, _ := s.revisionReplicas(t, "consumer-00001"); a != 0 {
			return fmt.Errorf("consumer has %d instances, waiting for zero", a)
		}
		return nil
	})
	if res := sendEvent(context.Background(), broker, "wake-1", "wake", map[string]int{}); statusOf(res) != http.StatusAccepted {
		t.Fatalf("send = %v", res)
	}
	checkFor(t, 30*time.Second, func() error {
		_, body, err := s.ingressGet("consumer.default.localhost", "/events")
		if err != nil || strings.TrimSpace(body) != "1" {
			return fmt.Errorf("consumer counted %q deliveries (%v)", body, err)
		}
		return nil
	})
}
