// Package dispatch delivers a Broker's events to its Triggers' subscribers.
//
// Each Trigger is a durable JetStream consumer on its broker's stream, named
// from the Trigger's UID. A goroutine per Trigger pulls events and hands
// them to a bounded pool of workers, which grows with the work and shrinks
// when idle. The workers filter, deliver (retrying per the Trigger's
// delivery spec), publish replies back into the broker and dead-letter what
// cannot be delivered, with Knative's semantics.
//
// Delivery is at-least-once: an event is acknowledged only once it was
// delivered, filtered out or dead-lettered; otherwise JetStream redelivers
// it after the consumer's AckWait.
package dispatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/skiff-sh/skiff/internal/eventing/broker"
	"github.com/skiff-sh/skiff/internal/eventing/filter"
	"github.com/skiff-sh/skiff/internal/eventing/sender"
)

// Backoff policies of a Delivery.
const (
	BackoffLinear      = "linear"
	BackoffExponential = "exponential"
)

// Formats a Delivery sends events in.
const (
	FormatBinary = "binary"
	FormatJSON   = "json"
)

// Defaults of Options.
const (
	// DefaultAckWait is how long JetStream waits for an acknowledgement
	// before it redelivers; long deliveries extend it with InProgress.
	DefaultAckWait = 30 * time.Second
	// DefaultAttemptTimeout bounds a delivery attempt when the delivery
	// spec sets no timeout.
	DefaultAttemptTimeout = time.Minute
	// DefaultWorkers is how many events of one Trigger are delivered at
	// once.
	DefaultWorkers = 64
	// maxAckPending bounds the events of one Trigger handed out and not yet
	// acknowledged.
	maxAckPending = 256
	// pullRetryWait paces attempts to pull again after a failure.
	pullRetryWait = time.Second
)

// Log keys.
const (
	logKeyNamespace = "namespace"
	logKeyTrigger   = "trigger"
	logKeyBroker    = "broker"
	logKeyID        = "id"
	logKeySource    = "source"
	logKeyStatus    = "status"
	logKeyAttempt   = "attempt"
	logKeyError     = "error"
	logKeyStream    = "stream"
	logKeyConsumer  = "consumer"
)

// Sentinel errors.
var (
	// ErrClosed is returned by SetTrigger after Close.
	ErrClosed = errors.New("dispatcher closed")
	// ErrInvalidTrigger is wrapped when a Trigger lacks what delivery needs.
	ErrInvalidTrigger = errors.New("invalid trigger")
)

// Trigger is what the dispatcher needs of a Trigger: which broker it
// follows, which events it keeps and where and how it delivers them.
type Trigger struct {
	Namespace string
	Name      string
	// UID names the durable consumer, so that a Trigger deleted and created
	// again under the same name starts afresh.
	UID    string
	Broker string
	// Filter keeps the events to deliver; nil keeps every event.
	Filter filter.Filter
	// SubscriberURL is where events are POSTed.
	SubscriberURL string
	Delivery      Delivery
}

// Delivery is a Trigger's resolved delivery spec.
type Delivery struct {
	// Retry is how many times a failed delivery is retried; attempts are
	// Retry + 1.
	Retry int
	// BackoffPolicy is BackoffLinear or BackoffExponential (the default).
	BackoffPolicy string
	// BackoffDelay is the base wait between attempts.
	BackoffDelay time.Duration
	// Timeout bounds each attempt; zero leaves it to the HTTP client.
	Timeout time.Duration
	// RetryAfterMax caps how long a Retry-After header of a 429 or 503 may
	// make the dispatcher wait; zero ignores Retry-After (Knative's PT0S).
	RetryAfterMax time.Duration
	// DeadLetterURL receives the events whose delivery failed, with the
	// knativeerror* extensions; empty drops them.
	DeadLetterURL string
	// Format is FormatBinary (the default) or FormatJSON (structured).
	Format string
}

// ReplyFunc puts a subscriber's reply into a broker; broker.Ingress.Publish
// is one.
type ReplyFunc func(ctx context.Context, namespace, brokerName string, e event.Event) error

// Options tunes a Dispatcher.
type Options struct {
	// Logger receives the dispatcher's logs; nil discards them.
	Logger *slog.Logger
	// HTTPClient sends events; nil means a client with no overall timeout.
	// The dispatcher uses a copy that does not follow redirects.
	HTTPClient *http.Client
	// Sleep waits between attempts; nil waits on a timer. Tests inject one
	// to record the schedule.
	Sleep func(ctx context.Context, d time.Duration) error
	// AckWait is how long an unacknowledged event waits before JetStream
	// redelivers it; zero means DefaultAckWait.
	AckWait time.Duration
	// Workers is how many events of one Trigger are delivered at once;
	// zero means DefaultWorkers.
	Workers int
}

// Dispatcher runs the consumers of Triggers.
type Dispatcher struct {
	js      jetstream.JetStream
	reply   ReplyFunc
	logger  *slog.Logger
	client  *http.Client
	sleep   func(ctx context.Context, d time.Duration) error
	ackWait time.Duration
	workers int
	// transport is the default client's, closed with the Dispatcher; nil
	// when Options.HTTPClient was given.
	transport *sender.Transport

	// mu guards triggers and closed.
	mu       sync.Mutex
	triggers map[triggerKey]*runner
	closed   bool
}

// triggerKey names a Trigger.
type triggerKey struct{ namespace, name string }

// runner is the consumer goroutine of one Trigger, which owns its workers.
type runner struct {
	uid, broker  string
	stream, name string // JetStream stream and consumer
	// trigger is swapped by SetTrigger while the runner keeps running.
	trigger atomic.Pointer[Trigger]
	cancel  context.CancelFunc
	done    chan struct{}
}

// New returns a Dispatcher consuming from js and putting replies into
// brokers with reply.
func New(js jetstream.JetStream, reply ReplyFunc, opts Options) *Dispatcher {
	d := &Dispatcher{
		js:       js,
		reply:    reply,
		logger:   opts.Logger,
		client:   opts.HTTPClient,
		sleep:    opts.Sleep,
		ackWait:  opts.AckWait,
		workers:  opts.Workers,
		triggers: map[triggerKey]*runner{},
	}
	if d.logger == nil {
		d.logger = slog.New(slog.DiscardHandler)
	}
	// A redirect is a final answer, never retried and never followed: a
	// followed 301/302 would turn the POST into a GET and lose the event.
	client := http.Client{}
	if d.client != nil {
		client = *d.client
	} else {
		// Keep a connection per worker to each subscriber: the default
		// transport keeps two, and every other delivery would dial anew.
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 256
		tr.MaxIdleConns = 1024
		// Plain-HTTP subscribers, nearly all of them, take the lean
		// client; HTTPS and proxied ones go through net/http.
		d.transport = sender.New(sender.Options{Fallback: tr})
		client.Transport = d.transport
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	d.client = &client
	if d.sleep == nil {
		d.sleep = sleepCtx
	}
	if d.ackWait <= 0 {
		d.ackWait = DefaultAckWait
	}
	if d.workers <= 0 {
		d.workers = DefaultWorkers
	}
	return d
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// consumerPrefix starts the name of every Trigger's consumer.
const consumerPrefix = "trigger-"

// ConsumerName is the durable consumer of a Trigger, named from its UID.
func ConsumerName(uid string) string {
	return consumerPrefix + strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return '_'
	}, uid)
}

// SetTrigger starts delivering a Trigger's events, or updates a running
// Trigger. A new consumer starts with the events that arrive after it (a
// recreated Trigger does not replay the broker); an existing consumer keeps
// its position, and a change of filter, subscriber or delivery applies to
// the next event handled. A Trigger that moved to another broker, or whose
// UID changed, gets a new consumer and the old one is deleted.
func (d *Dispatcher) SetTrigger(ctx context.Context, t Trigger) error {
	if t.Namespace == "" || t.Name == "" || t.UID == "" || t.Broker == "" || t.SubscriberURL == "" {
		return fmt.Errorf("set trigger %s/%s: %w: namespace, name, uid, broker and subscriber are required", t.Namespace, t.Name, ErrInvalidTrigger)
	}
	key := triggerKey{t.Namespace, t.Name}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return fmt.Errorf("set trigger %s/%s: %w", t.Namespace, t.Name, ErrClosed)
	}
	if r, ok := d.triggers[key]; ok {
		if r.uid == t.UID && r.broker == t.Broker {
			if _, err := d.js.Consumer(ctx, r.stream, r.name); err == nil {
				r.trigger.Store(&t)
				return nil
			}
			// The consumer is gone (the broker's stream was deleted and
			// made again): run the trigger anew.
			r.stop()
			delete(d.triggers, key)
		} else {
			// Delete the old consumer first, so that a failure leaves the
			// runner known and the retry deletes it again.
			if err := d.deleteConsumer(ctx, r.stream, r.name); err != nil {
				return fmt.Errorf("set trigger %s/%s: %w", t.Namespace, t.Name, err)
			}
			r.stop()
			delete(d.triggers, key)
		}
	}
	stream, name := broker.StreamName(t.Namespace, t.Broker), ConsumerName(t.UID)
	cons, err := d.js.CreateOrUpdateConsumer(ctx, stream, jetstream.ConsumerConfig{
		Durable:       name,
		Description:   fmt.Sprintf("trigger %s/%s", t.Namespace, t.Name),
		FilterSubject: broker.Subject(t.Namespace, t.Broker),
		DeliverPolicy: jetstream.DeliverNewPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       d.ackWait,
		MaxDeliver:    -1,
		MaxAckPending: maxAckPending,
	})
	if err != nil {
		return fmt.Errorf("set trigger %s/%s: consumer %s on %s: %w", t.Namespace, t.Name, name, stream, err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	r := &runner{uid: t.UID, broker: t.Broker, stream: stream, name: name, cancel: cancel, done: make(chan struct{})}
	r.trigger.Store(&t)
	d.triggers[key] = r
	log := d.logger.With(logKeyNamespace, t.Namespace, logKeyTrigger, t.Name, logKeyBroker, t.Broker)
	go func() {
		defer close(r.done)
		d.run(runCtx, r, cons, log)
	}()
	return nil
}

// StopTrigger stops delivering a Trigger's events and keeps its consumer,
// so that the events that arrive meanwhile wait there: for a Trigger that
// cannot deliver for now (its broker not ready, a destination that does
// not resolve). SetTrigger resumes where it stopped. Stopping a Trigger
// that is not running does nothing.
func (d *Dispatcher) StopTrigger(namespace, name string) {
	key := triggerKey{namespace, name}
	d.mu.Lock()
	r, ok := d.triggers[key]
	delete(d.triggers, key)
	d.mu.Unlock()
	if ok {
		r.stop()
	}
}

// RemoveTrigger stops delivering a Trigger's events and deletes its
// consumer. uid names the consumer, so that a Trigger unknown to this
// dispatcher (after a restart) still has its consumer removed; the broker's
// stream is found from the running Trigger or, failing that, by looking for
// the consumer on every broker stream.
func (d *Dispatcher) RemoveTrigger(ctx context.Context, namespace, name, uid string) error {
	key := triggerKey{namespace, name}
	d.mu.Lock()
	r, ok := d.triggers[key]
	if ok && (uid == "" || r.uid == uid) {
		delete(d.triggers, key)
	} else {
		ok = false
	}
	d.mu.Unlock()
	if ok {
		r.stop()
		if err := d.deleteConsumer(ctx, r.stream, r.name); err != nil {
			return fmt.Errorf("remove trigger %s/%s: %w", namespace, name, err)
		}
		return nil
	}
	if uid == "" {
		return nil
	}
	cname := ConsumerName(uid)
	streams := d.js.StreamNames(ctx, jetstream.WithStreamListSubject("skiff.broker."+namespace+".>"))
	for s := range streams.Name() {
		if err := d.deleteConsumer(ctx, s, cname); err != nil {
			return fmt.Errorf("remove trigger %s/%s: %w", namespace, name, err)
		}
	}
	if err := streams.Err(); err != nil && !errors.Is(err, jetstream.ErrEndOfData) {
		return fmt.Errorf("remove trigger %s/%s: list streams: %w", namespace, name, err)
	}
	return nil
}

// PruneConsumers deletes the consumers of Triggers that no longer exist:
// those on broker streams, created before createdBefore, whose uid is not
// among the ones live returns and whose Trigger is not running here.
// Consumers are listed before live is called, and only those older than
// createdBefore (the server's start) are candidates, so that a Trigger
// created meanwhile, here or by another server sharing the NATS cluster
// whose store this one has not caught up with yet, keeps its consumer. It
// returns how many consumers it deleted. A Trigger deleted while the
// server was down, or before its deletion was reconciled, leaves such a
// consumer.
func (d *Dispatcher) PruneConsumers(ctx context.Context, createdBefore time.Time, live func(ctx context.Context) (map[string]bool, error)) (int, error) {
	type consumer struct{ stream, name string }
	var found []consumer
	streams := d.js.StreamNames(ctx, jetstream.WithStreamListSubject("skiff.broker.>"))
	for s := range streams.Name() {
		stream, err := d.js.Stream(ctx, s)
		if err != nil {
			if errors.Is(err, jetstream.ErrStreamNotFound) {
				continue
			}
			return 0, fmt.Errorf("prune consumers: stream %s: %w", s, err)
		}
		infos := stream.ListConsumers(ctx)
		for info := range infos.Info() {
			if strings.HasPrefix(info.Name, consumerPrefix) && info.Created.Before(createdBefore) {
				found = append(found, consumer{s, info.Name})
			}
		}
		if err := infos.Err(); err != nil && !errors.Is(err, jetstream.ErrEndOfData) {
			return 0, fmt.Errorf("prune consumers: list consumers of %s: %w", s, err)
		}
	}
	if err := streams.Err(); err != nil && !errors.Is(err, jetstream.ErrEndOfData) {
		return 0, fmt.Errorf("prune consumers: list streams: %w", err)
	}
	if len(found) == 0 {
		return 0, nil
	}
	uids, err := live(ctx)
	if err != nil {
		return 0, fmt.Errorf("prune consumers: live triggers: %w", err)
	}
	keep := map[string]bool{}
	for uid := range uids {
		keep[ConsumerName(uid)] = true
	}
	d.mu.Lock()
	for _, r := range d.triggers {
		keep[r.name] = true
	}
	d.mu.Unlock()
	removed := 0
	for _, c := range found {
		if keep[c.name] {
			continue
		}
		if err := d.deleteConsumer(ctx, c.stream, c.name); err != nil {
			return removed, fmt.Errorf("prune consumers: %w", err)
		}
		d.logger.Info("removed the consumer of a trigger that no longer exists", logKeyStream, c.stream, logKeyConsumer, c.name)
		removed++
	}
	return removed, nil
}

// Close stops every Trigger and waits for their goroutines. Consumers are
// kept, so that delivery resumes where it stopped on the next start.
func (d *Dispatcher) Close() {
	d.mu.Lock()
	d.closed = true
	runners := d.triggers
	d.triggers = map[triggerKey]*runner{}
	d.mu.Unlock()
	for _, r := range runners {
		r.cancel()
	}
	for _, r := range runners {
		<-r.done
	}
	if d.transport != nil {
		d.transport.Close()
	}
}

// stop cancels the runner and waits for it and its workers.
func (r *runner) stop() {
	r.cancel()
	<-r.done
}

// deleteConsumer deletes a consumer; one already gone, or whose stream is
// gone, is not an error.
func (d *Dispatcher) deleteConsumer(ctx context.Context, stream, name string) error {
	err := d.js.DeleteConsumer(ctx, stream, name)
	if err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) && !errors.Is(err, jetstream.ErrStreamNotFound) {
		return fmt.Errorf("delete consumer %s on %s: %w", name, stream, err)
	}
	return nil
}

// run pulls the Trigger's events and feeds them to the workers until ctx
// ends, then waits for the workers.
func (d *Dispatcher) run(ctx context.Context, r *runner, cons jetstream.Consumer, log *slog.Logger) {
	workers := newWorkerPool(ctx, d.workers, func(m jetstream.Msg) {
		d.handle(ctx, r.trigger.Load(), m, log)
	})
	defer workers.wait()
	for ctx.Err() == nil {
		it, err := cons.Messages(jetstream.PullMaxMessages(d.workers))
		if err != nil {
			log.Warn("pull events", logKeyError, err)
			if sleepCtx(ctx, pullRetryWait) != nil {
				return
			}
			continue
		}
		stopped := context.AfterFunc(ctx, it.Stop)
		for {
			m, err := it.Next()
			if err != nil {
				if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
					break
				}
				if errors.Is(err, jetstream.ErrConsumerDeleted) || errors.Is(err, jetstream.ErrConsumerNotFound) {
					// Deleted behind our back: pull again after a pause
					// rather than spin; SetTrigger recreates it.
					log.Warn("consumer gone", logKeyError, err)
					it.Stop()
					_ = sleepCtx(ctx, pullRetryWait)
					break
				}
				log.Debug("next event", logKeyError, err)
				continue
			}
			// When stopping, m is not acknowledged: JetStream redelivers
			// it.
			workers.submit(m)
		}
		stopped()
		it.Stop()
	}
}

// handle processes one event of the stream and acknowledges it when it is
// done with: filtered out, delivered or dead-lettered.
func (d *Dispatcher) handle(ctx context.Context, t *Trigger, m jetstream.Msg, log *slog.Logger) {
	e, err := broker.DecodeMsg(m.Headers(), m.Data())
	if err != nil {
		// It can never be delivered; redelivering it would loop forever.
		log.Error("undecodable event in stream, dropping it", logKeyError, err)
		_ = m.Term()
		return
	}
	// Most events are never logged about: their logger is made on first use.
	var elog *slog.Logger
	eventLog := func() *slog.Logger {
		if elog == nil {
			elog = log.With(logKeyID, e.ID(), logKeySource, e.Source())
		}
		return elog
	}
	if t.Filter != nil && !t.Filter.Match(e) {
		ackOrLog(m, eventLog)
		return
	}
	// Keep the event ours while retries run longer than AckWait.
	stopHeartbeat := d.heartbeat(ctx, m)
	defer stopHeartbeat()
	switch err := d.deliver(ctx, t, e, eventLog); {
	case err == nil:
		ackOrLog(m, eventLog)
	case ctx.Err() != nil:
		// Stopping: JetStream redelivers it to the next consumer run.
	default:
		eventLog().Warn("event neither delivered nor dead-lettered, leaving it for redelivery", logKeyError, err)
	}
}

// ackOrLog acknowledges m.
func ackOrLog(m jetstream.Msg, log func() *slog.Logger) {
	if err := m.Ack(); err != nil {
		log().Warn("ack event", logKeyError, err)
	}
}

// heartbeat tells JetStream every third of AckWait that m is still being
// worked on, until the returned func is called. It is a timer, not a
// goroutine: nearly every event is done long before it first fires.
func (d *Dispatcher) heartbeat(ctx context.Context, m jetstream.Msg) (stop func()) {
	every := d.ackWait / 3
	var mu sync.Mutex
	stopped := false
	var t *time.Timer
	mu.Lock() // the callback waits until t is set
	defer mu.Unlock()
	t = time.AfterFunc(every, func() {
		mu.Lock()
		defer mu.Unlock()
		if stopped || ctx.Err() != nil {
			return
		}
		_ = m.InProgress()
		t.Reset(every)
	})
	return func() {
		mu.Lock()
		stopped = true
		mu.Unlock()
		t.Stop()
	}
}

// broker.Ingress.Publish is the reply path the wiring uses.
var _ ReplyFunc = (*broker.Ingress)(nil).Publish
