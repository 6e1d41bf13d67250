// Package broker is the ingress of skiff's Brokers: the HTTP endpoint that
// accepts CloudEvents for `/<namespace>/<broker>` as Knative's broker
// ingress does, and the JetStream stream each Broker keeps its events in.
//
// An event is answered 202 only once JetStream has stored it, so an
// accepted event survives a crash of the server. Each event is published
// with a Nats-Msg-Id of its source and id, so that a client retrying after
// a lost answer does not store it twice within the stream's duplicate
// window.
package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"
	"github.com/nats-io/nats.go/jetstream"
)

// Extension attributes the broker reads and stamps.
const (
	// ExtArrivalTime is when the broker first accepted the event, RFC 3339
	// with nanoseconds, UTC.
	ExtArrivalTime = "knativearrivaltime"
	// ExtTTL is the loop guard: how many more times the event may be
	// re-ingested as a reply before it is dropped.
	ExtTTL = "knativebrokerttl"
)

// DefaultTTL is the knativebrokerttl given to an event that has none.
const DefaultTTL = 255

// DefaultMaxEventBytes is the largest event body the ingress accepts when
// IngressOptions.MaxEventBytes is unset.
const DefaultMaxEventBytes int64 = 4 << 20

// Stream limits of every broker: events are kept a week or until the stream
// holds a GiB, whichever comes first, and retries by a client within the
// duplicate window are stored once.
const (
	streamMaxAge    = 7 * 24 * time.Hour
	streamMaxBytes  = 1 << 30
	duplicateWindow = 2 * time.Minute
)

// Log keys.
const (
	logKeyNamespace = "namespace"
	logKeyBroker    = "broker"
	logKeyID        = "id"
	logKeySource    = "source"
	logKeyError     = "error"
	logKeyTTL       = "ttl"
)

// Sentinel errors.
var (
	// ErrUnknownBroker is returned for a broker EnsureBroker has not made
	// known.
	ErrUnknownBroker = errors.New("unknown broker")
	// ErrInvalidEvent wraps the reason an event is not a valid CloudEvent.
	ErrInvalidEvent = errors.New("invalid event")
)

// IngressOptions tunes an Ingress.
type IngressOptions struct {
	// MaxEventBytes is the largest request body accepted; larger ones are
	// answered 413. Zero means DefaultMaxEventBytes.
	MaxEventBytes int64
	// Logger receives the ingress's logs; nil discards them.
	Logger *slog.Logger
	// Now stamps knativearrivaltime; nil means time.Now.
	Now func() time.Time
}

// Ingress accepts events for Brokers and stores them in the brokers'
// JetStream streams. It is an http.Handler.
type Ingress struct {
	js     jetstream.JetStream
	max    int64
	logger *slog.Logger
	now    func() time.Time

	// mu guards brokers.
	mu sync.RWMutex
	// brokers holds the brokers whose streams exist, keyed by brokerKey.
	brokers map[brokerKey]struct{}
}

// brokerKey names a broker.
type brokerKey struct{ namespace, name string }

// NewIngress returns an Ingress that stores events through js.
func NewIngress(js jetstream.JetStream, opts IngressOptions) *Ingress {
	in := &Ingress{
		js:      js,
		max:     opts.MaxEventBytes,
		logger:  opts.Logger,
		now:     opts.Now,
		brokers: map[brokerKey]struct{}{},
	}
	if in.max <= 0 {
		in.max = DefaultMaxEventBytes
	}
	if in.logger == nil {
		in.logger = slog.New(slog.DiscardHandler)
	}
	if in.now == nil {
		in.now = time.Now
	}
	return in
}

// StreamName is the JetStream stream of a broker: BROKER_<ns>_<name>, with
// every character NATS does not allow in a stream name (and '.', which
// Kubernetes allows in broker names) replaced by '_'. Namespaces cannot hold
// '_' or '.', so distinct brokers get distinct names.
func StreamName(namespace, name string) string {
	return "BROKER_" + sanitize(namespace, true) + "_" + sanitize(name, true)
}

// Subject is the subject a broker's events are published on:
// skiff.broker.<ns>.<name>. Wildcards and whitespace, which Kubernetes names
// never hold, are replaced by '_'.
func Subject(namespace, name string) string {
	return "skiff.broker." + sanitize(namespace, false) + "." + sanitize(name, false)
}

// sanitize keeps letters, digits, '-' and '_' (and '.' unless dots is set)
// and replaces anything else by '_'.
func sanitize(s string, dots bool) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		case r == '.' && !dots:
			return r
		default:
			return '_'
		}
	}, s)
}

// StreamConfig is the JetStream stream of a broker.
func StreamConfig(namespace, name string, memory bool) jetstream.StreamConfig {
	storage := jetstream.FileStorage
	if memory {
		storage = jetstream.MemoryStorage
	}
	return jetstream.StreamConfig{
		Name:        StreamName(namespace, name),
		Description: fmt.Sprintf("events of broker %s/%s", namespace, name),
		Subjects:    []string{Subject(namespace, name)},
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		Storage:     storage,
		MaxAge:      streamMaxAge,
		MaxBytes:    streamMaxBytes,
		Duplicates:  duplicateWindow,
	}
}

// EnsureBroker creates the stream of a broker, or brings an existing one to
// the current limits, and makes the broker known to the ingress.
func (in *Ingress) EnsureBroker(ctx context.Context, namespace, name string, memory bool) error {
	cfg := StreamConfig(namespace, name, memory)
	if _, err := in.js.CreateOrUpdateStream(ctx, cfg); err != nil {
		return fmt.Errorf("ensure broker %s/%s stream %s: %w", namespace, name, cfg.Name, err)
	}
	in.mu.Lock()
	in.brokers[brokerKey{namespace, name}] = struct{}{}
	in.mu.Unlock()
	return nil
}

// RemoveBroker forgets a broker and deletes its stream with every event in
// it. Removing a broker that has no stream is not an error.
func (in *Ingress) RemoveBroker(ctx context.Context, namespace, name string) error {
	in.mu.Lock()
	delete(in.brokers, brokerKey{namespace, name})
	in.mu.Unlock()
	stream := StreamName(namespace, name)
	if err := in.js.DeleteStream(ctx, stream); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
		return fmt.Errorf("remove broker %s/%s stream %s: %w", namespace, name, stream, err)
	}
	return nil
}

// known reports whether EnsureBroker has made the broker known.
func (in *Ingress) known(namespace, name string) bool {
	in.mu.RLock()
	defer in.mu.RUnlock()
	_, ok := in.brokers[brokerKey{namespace, name}]
	return ok
}

// Publish puts an event into a broker on behalf of the data plane, for
// replies of subscribers. It spends one unit of the event's
// knativebrokerttl (an event without one starts at DefaultTTL) and drops
// the event, returning nil, when none is left: this is the loop guard that
// stops a subscriber replying to its own events forever. The arrival time
// is stamped as for events from clients.
func (in *Ingress) Publish(ctx context.Context, namespace, name string, e event.Event) error {
	if !in.known(namespace, name) {
		return fmt.Errorf("publish to broker %s/%s: %w", namespace, name, ErrUnknownBroker)
	}
	e = e.Clone()
	ttl, ok := TTL(e)
	if !ok {
		ttl = DefaultTTL
	}
	ttl--
	if ttl <= 0 {
		in.logger.Debug("dropping reply whose ttl ran out",
			logKeyNamespace, namespace, logKeyBroker, name, logKeyID, e.ID(), logKeySource, e.Source())
		return nil
	}
	e.SetExtension(ExtTTL, ttl)
	if err := e.Validate(); err != nil {
		return fmt.Errorf("publish to broker %s/%s: %w: %w", namespace, name, ErrInvalidEvent, err)
	}
	// A reply often keeps the source and id of the event it answers; the
	// client deduplication key would drop it as a duplicate of that event.
	return in.store(ctx, namespace, name, e, false)
}

// store stamps the arrival time and publishes e to the broker's stream,
// returning once JetStream has acknowledged it.
func (in *Ingress) store(ctx context.Context, namespace, name string, e event.Event, dedupe bool) error {
	e.SetExtension(ExtArrivalTime, in.now().UTC().Format(time.RFC3339Nano))
	msg, err := EncodeMsg(Subject(namespace, name), e)
	if err != nil {
		return err
	}
	var opts []jetstream.PublishOpt
	if dedupe {
		opts = append(opts, jetstream.WithMsgID(MsgID(e)))
	}
	if _, err := in.js.PublishMsg(ctx, msg, opts...); err != nil {
		return fmt.Errorf("store event %s in broker %s/%s: %w", e.ID(), namespace, name, err)
	}
	return nil
}

// MsgID is the JetStream deduplication key of an event: its source and id,
// which together identify a CloudEvent.
func MsgID(e event.Event) string {
	return e.Source() + " " + e.ID()
}

// TTL returns the knativebrokerttl of e and whether it has a usable one.
func TTL(e event.Event) (int, bool) {
	v, ok := e.Extensions()[ExtTTL]
	if !ok {
		return 0, false
	}
	switch v := v.(type) {
	case int32:
		return int(v), true
	case string:
		n, err := strconv.Atoi(v)
		return n, err == nil
	}
	n, err := types.ToInteger(v)
	return int(n), err == nil
}
