package eventing_test

// Benchmarks of the eventing data plane: the broker ingress storing events in
// JetStream and the trigger dispatcher delivering them, end to end over
// HTTP, against the raw JetStream baseline they are built on. Each runs
// with the embedded server's default durability (written to the OS before
// the ack) and with SyncAlways (fsync before the ack).
//
// Run them with a time-based -benchtime of at most 5s, e.g.
//
//	go test -run '^$' -bench . -benchtime 3s ./internal/eventing/
//
// BenchmarkBrokerLatency runs a fixed ~5.5s schedule whatever b.N is, so a
// time-based -benchtime runs it once; an -benchtime=Nx would run it twice.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/skiff-sh/skiff/internal/eventing/broker"
	"github.com/skiff-sh/skiff/internal/eventing/dispatch"
	"github.com/skiff-sh/skiff/internal/eventing/filter"
	"github.com/skiff-sh/skiff/internal/gctune"
	"github.com/skiff-sh/skiff/internal/natsembed"
)

const (
	benchNamespace = "bench"
	benchBroker    = "default"
	benchSource    = "/bench"
	benchType      = "sh.skiff.bench"
	// payloadBytes is the size of every event's data.
	payloadBytes = 1024
	// senders is how many goroutines send at once in the throughput
	// benchmarks, each waiting for its answer before the next send.
	senders = 64
	// latencyInterval paces the open-loop latency benchmark: 1,000
	// events/s.
	latencyInterval = time.Millisecond
	// latencyWarmup events are sent at the same rate first and left out of
	// the percentiles (connection setup, first allocations).
	latencyWarmup = 500
	// latencyEvents are measured: 5 s at 1,000 events/s.
	latencyEvents = 5000
	// drainTimeout bounds the wait for the last delivery after the last
	// send.
	drainTimeout = 60 * time.Second
)

// durabilities are the sub-benchmarks: JetStream's default (written to the
// OS before the ack) and SyncAlways (fsynced before the ack).
var durabilities = []struct {
	name       string
	syncAlways bool
}{
	{"default", false},
	{"sync-always", true},
}

// payload is 1 KiB of JSON: the data of every event.
var payload = func() []byte {
	const head, tail = `{"pad":"`, `"}`
	return []byte(head + strings.Repeat("x", payloadBytes-len(head)-len(tail)) + tail)
}()

// TestMain runs the benchmarks with the garbage collector set as the skiff
// server sets it (internal/gctune), the baselines included.
func TestMain(m *testing.M) {
	gctune.Apply()
	os.Exit(m.Run())
}

// startNATS runs an embedded JetStream with file storage in a fresh dir.
func startNATS(b *testing.B, syncAlways bool) *natsembed.NATS {
	b.Helper()
	n, err := natsembed.Start(b.Context(), natsembed.Config{DataDir: b.TempDir(), SyncAlways: syncAlways})
	if err != nil {
		b.Fatalf("start nats: %v", err)
	}
	b.Cleanup(n.Close)
	return n
}

// receipts counts the events a subscriber received, once each.
type receipts struct {
	seen  []atomic.Bool
	count atomic.Int64
	want  int64
	// last is when the want-th distinct event arrived.
	last time.Time
	done chan struct{}
	// base is the clock of at: nanoseconds since base.
	base time.Time
	at   []atomic.Int64
	// conns counts the connections the subscriber accepted.
	conns atomic.Int64
}

func newReceipts(n int) *receipts {
	return &receipts{
		seen: make([]atomic.Bool, n),
		at:   make([]atomic.Int64, n),
		want: int64(n),
		done: make(chan struct{}),
		base: time.Now(),
	}
}

// mark records the arrival of event i; duplicates (redeliveries) and
// foreign ids are ignored.
func (r *receipts) mark(i int) {
	now := time.Now()
	if i < 0 || i >= len(r.seen) || r.seen[i].Swap(true) {
		return
	}
	r.at[i].Store(int64(now.Sub(r.base)))
	if r.count.Add(1) == r.want {
		r.last = now
		close(r.done)
	}
}

// wait blocks until every event arrived or the timeout passed.
func (r *receipts) wait(b *testing.B, timeout time.Duration) {
	b.Helper()
	select {
	case <-r.done:
	case <-time.After(timeout):
		b.Fatalf("only %d of %d events delivered after %v", r.count.Load(), r.want, timeout)
	}
}

// newSubscriber is the Trigger's subscriber: it reads the event, records
// its ce-id and answers 200 with an empty body. It counts its connections
// in r.conns.
func newSubscriber(b *testing.B, r *receipts) *httptest.Server {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.Copy(io.Discard, req.Body)
		i, err := strconv.Atoi(req.Header.Get("Ce-Id"))
		if err != nil {
			i = -1
		}
		r.mark(i)
		w.WriteHeader(http.StatusOK)
	}))
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			r.conns.Add(1)
		}
	}
	srv.Start()
	b.Cleanup(srv.Close)
	return srv
}

// brokerEnv is a broker and one Trigger wired as the platform wires them:
// the ingress and the dispatcher share skiff's JetStream connection and
// the dispatcher runs with its default options.
type brokerEnv struct {
	addr, path string // the broker's ingress
	// conns are idle keep-alive connections to the ingress.
	conns chan *senderConn
}

// senderConn is one keep-alive connection of the load generator. The
// generator is a minimal HTTP/1.1 client (a prebuilt request, a response
// read up to its Content-Length), so that it takes as little as it can of
// the two cores it shares with the broker, as wrk does for the ingress
// benchmark; net/http's client spent about a fifth of the machine here.
type senderConn struct {
	c   net.Conn
	br  *bufio.Reader
	buf []byte
}

func newBrokerEnv(b *testing.B, syncAlways bool, subscriberURL string) *brokerEnv {
	b.Helper()
	ctx := b.Context()
	js := startNATS(b, syncAlways).JetStream()
	in := broker.NewIngress(js, broker.IngressOptions{})
	if err := in.EnsureBroker(ctx, benchNamespace, benchBroker, false); err != nil {
		b.Fatal(err)
	}
	ingress := httptest.NewServer(in)
	b.Cleanup(ingress.Close)
	match, err := filter.Compile(nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	d := dispatch.New(js, in.Publish, dispatch.Options{})
	b.Cleanup(d.Close)
	if err := d.SetTrigger(ctx, dispatch.Trigger{
		Namespace:     benchNamespace,
		Name:          "bench",
		UID:           "bench-uid",
		Broker:        benchBroker,
		Filter:        match,
		SubscriberURL: subscriberURL,
	}); err != nil {
		b.Fatal(err)
	}
	u, err := url.Parse(ingress.URL)
	if err != nil {
		b.Fatal(err)
	}
	env := &brokerEnv{addr: u.Host, path: "/" + benchNamespace + "/" + benchBroker, conns: make(chan *senderConn, 1024)}
	b.Cleanup(func() {
		for {
			select {
			case c := <-env.conns:
				c.c.Close()
			default:
				return
			}
		}
	})
	return env
}

// send posts event id in binary mode and expects the ingress's 202.
func (e *brokerEnv) send(id int) error {
	var c *senderConn
	select {
	case c = <-e.conns:
	default:
		nc, err := net.Dial("tcp", e.addr)
		if err != nil {
			return err
		}
		c = &senderConn{c: nc, br: bufio.NewReaderSize(nc, 4096)}
	}
	c.buf = append(c.buf[:0], "POST "+e.path+" HTTP/1.1\r\nHost: "+e.addr+
		"\r\nCe-Specversion: 1.0\r\nCe-Source: "+benchSource+"\r\nCe-Type: "+benchType+
		"\r\nContent-Type: application/json\r\nContent-Length: "+strconv.Itoa(len(payload))+"\r\nCe-Id: "...)
	c.buf = strconv.AppendInt(c.buf, int64(id), 10)
	c.buf = append(c.buf, "\r\n\r\n"...)
	c.buf = append(c.buf, payload...)
	if _, err := c.c.Write(c.buf); err != nil {
		c.c.Close()
		return err
	}
	status, err := readResponse(c.br)
	if err != nil {
		c.c.Close()
		return err
	}
	e.conns <- c
	if status != http.StatusAccepted {
		return fmt.Errorf("ingress answered %d", status)
	}
	return nil
}

// readResponse reads one response and returns its status; the body, whose
// length must be given by Content-Length, is discarded.
func readResponse(br *bufio.Reader) (int, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	length := -1
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		if len(line) <= 2 {
			break
		}
		k, v, ok := bytes.Cut(line, []byte(":"))
		if ok && strings.EqualFold(string(k), "Content-Length") {
			if length, err = strconv.Atoi(string(bytes.TrimSpace(v))); err != nil {
				return 0, fmt.Errorf("bad Content-Length %q", v)
			}
		}
	}
	if length < 0 {
		return 0, errors.New("response without Content-Length")
	}
	if _, err := br.Discard(length); err != nil {
		return 0, err
	}
	return status, nil
}

// closedLoop runs send for ids 0..n-1 from senders goroutines and returns
// the first error.
func closedLoop(n int, send func(id int) error) error {
	var next atomic.Int64
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	for range senders {
		wg.Go(func() {
			for {
				id := int(next.Add(1) - 1)
				if id >= n {
					return
				}
				if err := send(id); err != nil {
					once.Do(func() { first = fmt.Errorf("event %d: %w", id, err) })
					next.Store(int64(n)) // stop the others
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}

// reportRate reports n events over elapsed as events/s.
func reportRate(b *testing.B, n int, elapsed time.Duration) {
	b.ReportMetric(float64(n)/elapsed.Seconds(), "events/s")
}

// BenchmarkBrokerThroughput sends b.N 1 KiB events in binary mode to the
// broker ingress over HTTP from 64 keep-alive senders and measures from the
// first send to the last event received by the Trigger's subscriber.
func BenchmarkBrokerThroughput(b *testing.B) {
	for _, d := range durabilities {
		b.Run(d.name, func(b *testing.B) {
			n := b.N
			rec := newReceipts(n)
			sub := newSubscriber(b, rec)
			env := newBrokerEnv(b, d.syncAlways, sub.URL)
			b.ResetTimer()
			start := time.Now()
			if err := closedLoop(n, env.send); err != nil {
				b.Fatal(err)
			}
			sent := time.Since(start)
			rec.wait(b, drainTimeout)
			b.StopTimer()
			reportRate(b, n, rec.last.Sub(start))
			// How fast the ingress took the events: when it is well above
			// events/s, delivery is what holds the rate.
			b.ReportMetric(float64(n)/sent.Seconds(), "accepted/s")
			b.ReportMetric(float64(rec.conns.Load()), "subscriber-conns")
		})
	}
}

// newRawEncoder returns the bytes the broker stores for event id (the
// CloudEvent in JSON with its arrival time and TTL stamped), built from a
// template so that the baseline spends no time encoding.
func newRawEncoder() func(id int) []byte {
	e := event.New()
	e.SetID("@ID@")
	e.SetSource(benchSource)
	e.SetType(benchType)
	if err := e.SetData("application/json", json.RawMessage(payload)); err != nil {
		panic(err)
	}
	e.SetExtension(broker.ExtTTL, broker.DefaultTTL)
	e.SetExtension(broker.ExtArrivalTime, time.Now().UTC().Format(time.RFC3339Nano))
	tmpl, err := json.Marshal(e)
	if err != nil {
		panic(err)
	}
	head, tail, ok := bytes.Cut(tmpl, []byte("@ID@"))
	if !ok {
		panic("no id in template")
	}
	return func(id int) []byte {
		out := make([]byte, 0, len(tmpl)+8)
		out = append(out, head...)
		out = strconv.AppendInt(out, int64(id), 10)
		return append(out, tail...)
	}
}

// BenchmarkRawJetStream is the baseline of BenchmarkBrokerThroughput: the
// same events, in the same stream configuration, published with
// synchronous js.Publish from 64 goroutines and read by a durable pull
// consumer that acks each one; measured from the first publish to the
// last message received.
func BenchmarkRawJetStream(b *testing.B) {
	for _, d := range durabilities {
		b.Run(d.name, func(b *testing.B) {
			n := b.N
			ctx := b.Context()
			js := startNATS(b, d.syncAlways).JetStream()
			cfg := broker.StreamConfig(benchNamespace, benchBroker, false)
			if _, err := js.CreateOrUpdateStream(ctx, cfg); err != nil {
				b.Fatal(err)
			}
			cons, err := js.CreateOrUpdateConsumer(ctx, cfg.Name, jetstream.ConsumerConfig{
				Durable:       "raw",
				AckPolicy:     jetstream.AckExplicitPolicy,
				DeliverPolicy: jetstream.DeliverAllPolicy,
				MaxAckPending: 256, // as the dispatcher's consumers
			})
			if err != nil {
				b.Fatal(err)
			}
			rec := newReceipts(n)
			cc, err := cons.Consume(func(m jetstream.Msg) {
				id, _ := strings.CutPrefix(m.Headers().Get(jetstream.MsgIDHeader), benchSource+" ")
				i, err := strconv.Atoi(id)
				if err != nil {
					i = -1
				}
				_ = m.Ack()
				rec.mark(i)
			})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(cc.Stop)
			msg := newRawEncoder()
			subject := broker.Subject(benchNamespace, benchBroker)
			b.ResetTimer()
			start := time.Now()
			if err := closedLoop(n, func(id int) error {
				_, err := js.Publish(ctx, subject, msg(id), jetstream.WithMsgID(benchSource+" "+strconv.Itoa(id)))
				return err
			}); err != nil {
				b.Fatal(err)
			}
			rec.wait(b, drainTimeout)
			b.StopTimer()
			reportRate(b, n, rec.last.Sub(start))
		})
	}
}

// BenchmarkBrokerLatency sends 1 KiB events in binary mode at a fixed
// 1,000 events/s, open loop, for 5 s after a 0.5 s warm-up, and reports the
// percentiles of the time from just before the HTTP send to the subscriber
// receiving the event. Sends run on a 1 ms ticker, each in its own
// goroutine; ticks the runtime dropped are caught up on the next one, so
// the offered rate stays 1,000/s. Events the ingress rejected are counted
// (rejected) and left out of the percentiles. It ignores b.N: one run is
// the whole schedule.
func BenchmarkBrokerLatency(b *testing.B) {
	for _, d := range durabilities {
		b.Run(d.name, func(b *testing.B) {
			total := latencyWarmup + latencyEvents
			rec := newReceipts(total)
			sub := newSubscriber(b, rec)
			env := newBrokerEnv(b, d.syncAlways, sub.URL)
			sentAt := make([]int64, total)     // ns since rec.base
			acceptedAt := make([]int64, total) // the 202, ns since rec.base
			failed := make([]bool, total)
			var rejected atomic.Int64
			var firstErr atomic.Value
			var wg sync.WaitGroup
			send := func(i int) {
				wg.Go(func() {
					sentAt[i] = int64(time.Since(rec.base))
					err := env.send(i)
					acceptedAt[i] = int64(time.Since(rec.base))
					if err != nil {
						failed[i] = true
						rejected.Add(1)
						firstErr.CompareAndSwap(nil, err)
					}
				})
			}
			b.ResetTimer()
			tick := time.NewTicker(latencyInterval)
			begin := time.Now()
			var measureStart time.Time
			for i := 0; i < total; {
				now := <-tick.C
				// Every event whose slot has come, dropped ticks included.
				due := min(total, int(now.Sub(begin)/latencyInterval)+1)
				for ; i < due; i++ {
					if i == latencyWarmup {
						measureStart = time.Now()
					}
					send(i)
				}
			}
			tick.Stop()
			sendSpan := time.Since(measureStart)
			wg.Wait()
			// Wait for every accepted event. A rejected one (a 503 after
			// JetStream's publish timeout) may still have been stored and
			// delivered; it is not waited for and not measured.
			deadline := time.Now().Add(drainTimeout)
			for i := 0; i < total; {
				if failed[i] || rec.at[i].Load() != 0 {
					i++
					continue
				}
				if time.Now().After(deadline) {
					b.Fatalf("only %d of %d accepted events delivered after %v", rec.count.Load(), int64(total)-rejected.Load(), drainTimeout)
				}
				time.Sleep(time.Millisecond)
			}
			b.StopTimer()
			if n := rejected.Load(); n > 0 {
				b.Logf("%d of %d sends rejected, first: %v", n, total, firstErr.Load())
			}

			// lat is send to subscriber; acc is send to the ingress's 202.
			lat := make([]time.Duration, 0, latencyEvents)
			acc := make([]time.Duration, 0, latencyEvents)
			for i := latencyWarmup; i < total; i++ {
				if !failed[i] {
					lat = append(lat, time.Duration(rec.at[i].Load()-sentAt[i]))
					acc = append(acc, time.Duration(acceptedAt[i]-sentAt[i]))
				}
			}
			if len(lat) == 0 {
				b.Fatal("every measured send was rejected")
			}
			slices.Sort(lat)
			slices.Sort(acc)
			us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
			pct := func(p float64) float64 { return us(lat[min(len(lat)-1, int(p*float64(len(lat))))]) }
			b.ReportMetric(us(acc[len(acc)/2]), "accept-p50-us")
			b.ReportMetric(us(acc[min(len(acc)-1, len(acc)*99/100)]), "accept-p99-us")
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(pct(0.50), "p50-us")
			b.ReportMetric(pct(0.99), "p99-us")
			b.ReportMetric(pct(0.999), "p99.9-us")
			b.ReportMetric(us(lat[len(lat)-1]), "max-us")
			b.ReportMetric(float64(latencyEvents)/sendSpan.Seconds(), "sent-events/s")
			b.ReportMetric(float64(latencyEvents-len(lat)), "rejected")
		})
	}
}
