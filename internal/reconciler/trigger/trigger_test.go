package trigger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/skiff-sh/skiff/internal/apis"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
	eventingv1 "github.com/skiff-sh/skiff/internal/apis/eventing/v1"
	"github.com/skiff-sh/skiff/internal/controller"
	"github.com/skiff-sh/skiff/internal/eventing/dispatch"
	"github.com/skiff-sh/skiff/internal/reconciler/reconcilertest"
	"github.com/skiff-sh/skiff/internal/reconciler/resolver"
	"github.com/skiff-sh/skiff/internal/reconciler/typed"
	"github.com/skiff-sh/skiff/internal/store"
	"github.com/skiff-sh/skiff/internal/store/storetest"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const ns = "default"

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// removal is one RemoveTrigger call.
type removal struct{ Namespace, Name, UID string }

// stop is one StopTrigger call.
type stop struct{ Namespace, Name string }

// fakeDispatcher records the triggers the reconciler sets, stops and
// removes, and fails on demand.
type fakeDispatcher struct {
	mu      sync.Mutex // guards every field below
	sets    []dispatch.Trigger
	stops   []stop
	removes []removal
	// calls are all the calls, in order: "set <uid> <broker>", "stop" or
	// "remove <uid>".
	calls     []string
	setErr    error
	removeErr error
}

var _ Dispatcher = (*fakeDispatcher)(nil)

func (f *fakeDispatcher) SetTrigger(_ context.Context, t dispatch.Trigger) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sets = append(f.sets, t)
	f.calls = append(f.calls, "set "+t.UID+" "+t.Broker)
	return f.setErr
}

func (f *fakeDispatcher) StopTrigger(namespace, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stops = append(f.stops, stop{namespace, name})
	f.calls = append(f.calls, "stop")
}

func (f *fakeDispatcher) RemoveTrigger(_ context.Context, namespace, name, uid string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.removes = append(f.removes, removal{namespace, name, uid})
	f.calls = append(f.calls, "remove "+uid)
	return f.removeErr
}

// take returns the calls made so far and forgets them.
func (f *fakeDispatcher) take() ([]dispatch.Trigger, []stop, []removal) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, st, r := f.sets, f.stops, f.removes
	f.sets, f.stops, f.removes, f.calls = nil, nil, nil, nil
	return s, st, r
}

// takeCalls returns the calls made so far, in order, and forgets them.
func (f *fakeDispatcher) takeCalls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.calls
	f.sets, f.stops, f.removes, f.calls = nil, nil, nil, nil
	return c
}

func (f *fakeDispatcher) setErrors(set, remove error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.setErr, f.removeErr = set, remove
}

func newClient(t *testing.T) *typed.Client {
	t.Helper()
	now := func() time.Time { return t0 }
	st := reconcilertest.NewStore(t, now)
	return &typed.Client{Store: st, Now: now}
}

// newReconciler returns a reconciler with the controller's recheck
// bounds, without jitter.
func newReconciler(c *typed.Client, d Dispatcher) *Reconciler {
	rechecks := newRechecks()
	rechecks.Rand = func() float64 { return 0 }
	return &Reconciler{c: c, d: d, resolver: &resolver.Resolver{Store: c.Store}, rechecks: rechecks, consumers: map[string]consumer{}}
}

func triggerKey(name string) store.Key { return typed.Key(group, "triggers", ns, name) }
func brokerKey(name string) store.Key  { return typed.Key(group, "brokers", ns, name) }
func ksvcKey(name string) store.Key {
	return typed.Key("serving.knative.dev", "services", ns, name)
}

func ptr[T any](v T) *T { return &v }

func mustURL(t *testing.T, s string) *apis.URL {
	t.Helper()
	u, err := apis.ParseURL(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// put stores obj (any JSON-encodable object) under key, with status when
// status is not nil. Objects are written as kubectl writes them, through
// the store; nothing validates them, so that tests can store what
// validation would reject. It returns the stored object.
func put(t *testing.T, c *typed.Client, key store.Key, obj any, status any) *store.Object {
	t.Helper()
	ctx := context.Background()
	body, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	o, err := c.Store.Create(ctx, key, body)
	if err != nil {
		t.Fatal(err)
	}
	if status == nil {
		return o
	}
	return setStatus(t, c, o, status)
}

// setStatus replaces the status of the stored object o.
func setStatus(t *testing.T, c *typed.Client, o *store.Object, status any) *store.Object {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(o.JSON, &m); err != nil {
		t.Fatal(err)
	}
	m["status"] = status
	body, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	o, err = c.Store.Update(context.Background(), o.Key, body, store.UpdateOptions{Status: true})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// readyStatus is the status of a Ready Broker at url.
func readyStatus(url string) map[string]any {
	return map[string]any{
		"conditions": []map[string]any{{"type": "Ready", "status": "True"}},
		"address":    map[string]any{"url": url},
	}
}

// putBroker stores a Broker with status (none when nil).
func putBroker(t *testing.T, c *typed.Client, name string, ann map[string]string, delivery *duckv1.DeliverySpec, status any) {
	t.Helper()
	b := &eventingv1.Broker{
		TypeMeta:   metav1.TypeMeta{APIVersion: "eventing.knative.dev/v1", Kind: "Broker"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Annotations: ann},
		Spec:       eventingv1.BrokerSpec{Delivery: delivery},
	}
	put(t, c, brokerKey(name), b, status)
}

// putKsvc stores a Knative Service with the address url (none when empty).
func putKsvc(t *testing.T, c *typed.Client, name, url string) *store.Object {
	t.Helper()
	obj := map[string]any{"apiVersion": "serving.knative.dev/v1", "kind": "Service", "metadata": map[string]any{"name": name, "namespace": ns}}
	if url == "" {
		return put(t, c, ksvcKey(name), obj, nil)
	}
	return put(t, c, ksvcKey(name), obj, map[string]any{
		"url":     "http://" + name + ".default.localhost:8080",
		"address": map[string]any{"url": url},
	})
}

// putTrigger stores a Trigger named name with spec and returns its uid.
func putTrigger(t *testing.T, c *typed.Client, name string, spec eventingv1.TriggerSpec, finalizers ...string) string {
	t.Helper()
	tr := &eventingv1.Trigger{
		TypeMeta:   metav1.TypeMeta{APIVersion: "eventing.knative.dev/v1", Kind: "Trigger"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Finalizers: finalizers},
		Spec:       spec,
	}
	return string(put(t, c, triggerKey(name), tr, nil).Meta.UID)
}

func getTrigger(t *testing.T, c *typed.Client, name string) *eventingv1.Trigger {
	t.Helper()
	tr := &eventingv1.Trigger{}
	if err := c.Get(context.Background(), triggerKey(name), tr); err != nil {
		t.Fatal(err)
	}
	return tr
}

// conds describes the conditions of s as type -> "Status/Reason/Message".
func conds(s *apis.Status) map[string]string {
	m := map[string]string{}
	for _, c := range s.Conditions {
		m[c.Type] = fmt.Sprintf("%s/%s/%s", c.Status, c.Reason, c.Message)
	}
	return m
}

// Conditions as the reconciler writes them.
const (
	condTrue             = "True//"
	dlsNotConfigured     = "True/DeadLetterSinkNotConfigured/No dead letter sink is configured."
	subscriberFailed     = "False/Unable to get the Subscriber's URI/"
	subscriberUnknown    = "Unknown/Unable to get the Subscriber's URI/"
	dlsFailed            = "False/Unable to get the dead letter sink's URI/"
	dlsUnknown           = "Unknown/Unable to get the dead letter sink's URI/"
	brokerNotReady       = "Unknown/BrokerNotReady/the Broker is not ready"
	brokerNotConfigured  = "Unknown/BrokerNotConfigured/Broker has not yet been reconciled."
	brokerDoesNotExist   = `False/BrokerDoesNotExist/Broker "nope" does not exist`
	brokerStreamFailed   = "False/StreamFailed/stream: insufficient resources"
	ksvcHelloAddress     = "http://127.0.0.1:4000"
	brokerDefaultAddress = "http://127.0.0.1:8080/default/default"
)

// allReady are the conditions of a Trigger that delivers, with dls the
// DeadLetterSinkResolved condition.
func allReady(dls string) map[string]string {
	return map[string]string{
		eventingv1.TriggerConditionReady:                  condTrue,
		eventingv1.TriggerConditionBroker:                 condTrue,
		eventingv1.TriggerConditionSubscribed:             condTrue,
		eventingv1.TriggerConditionDependency:             condTrue,
		eventingv1.TriggerConditionSubscriberResolved:     condTrue,
		eventingv1.TriggerConditionDeadLetterSinkResolved: dls,
	}
}

// with returns m with the conditions of kv (type, value, ...) replaced.
func with(m map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// world stores the objects the triggers of TestReconcile refer to.
//
//   - Broker "default": durable, Ready, with a full delivery spec.
//   - Broker "memory": in-memory class, Ready, no delivery.
//   - Broker "defaulted": default class, Ready, no delivery (so
//     config-br-defaults' delivery applies).
//   - Broker "starting": never reconciled (no status).
//   - Broker "failed": Ready False.
//   - ksvc "hello": addressed at ksvcHelloAddress; ksvc "starting": no
//     address yet.
func world(t *testing.T, c *typed.Client) {
	t.Helper()
	putBroker(t, c, "default", nil, &duckv1.DeliverySpec{
		DeadLetterSink: &duckv1.Destination{URI: mustURL(t, "http://dls.example.com/broker")},
		Retry:          ptr[int32](3),
		BackoffPolicy:  ptr(duckv1.BackoffPolicyLinear),
		BackoffDelay:   ptr("PT1S"),
		Timeout:        ptr("PT5S"),
		RetryAfterMax:  ptr("PT10S"),
		Format:         ptr(duckv1.DeliveryFormatJSON),
	}, readyStatus(brokerDefaultAddress))
	putBroker(t, c, "memory", map[string]string{eventingv1.BrokerClassAnnotationKey: "InMemory"}, nil,
		readyStatus("http://127.0.0.1:8080/default/memory"))
	putBroker(t, c, "defaulted", nil, nil, readyStatus("http://127.0.0.1:8080/default/defaulted"))
	putBroker(t, c, "starting", nil, nil, nil)
	putBroker(t, c, "failed", nil, nil, map[string]any{
		"conditions": []map[string]any{{"type": "Ready", "status": "False", "reason": "StreamFailed", "message": "stream: insufficient resources"}},
	})
	putKsvc(t, c, "hello", ksvcHelloAddress)
	putKsvc(t, c, "starting", "")
}

func uriDest(t *testing.T, s string) duckv1.Destination {
	return duckv1.Destination{URI: mustURL(t, s)}
}

func refDest(apiVersion, kind, name string) duckv1.Destination {
	return duckv1.Destination{Ref: &duckv1.KReference{APIVersion: apiVersion, Kind: kind, Name: name}}
}

func ksvcDest(name string) duckv1.Destination {
	return refDest("serving.knative.dev/v1", "Service", name)
}

func TestReconcile(t *testing.T) {
	c := newClient(t)
	world(t, c)
	hookURL := "http://example.com/hook"
	tests := []struct {
		name   string
		broker string
		sub    duckv1.Destination
		// delivery is the trigger's.
		delivery *duckv1.DeliverySpec
		// wantSet is what the dispatcher is given, without the trigger's
		// identity and filter; nil: SetTrigger is not called.
		wantSet    *dispatch.Trigger
		wantConds  map[string]string
		wantSubURI string
		wantDLSURI string
		// wantMsg replaces the "*" that ends a condition of wantConds: the
		// message of a failed resolution.
		wantMsg string
		// wantRecheck: a destination did not resolve, and Reconcile asks to
		// be run again soon.
		wantRecheck bool
	}{{
		name:       "subscriber uri",
		broker:     "memory",
		sub:        uriDest(t, hookURL),
		wantSet:    &dispatch.Trigger{SubscriberURL: hookURL},
		wantConds:  allReady(dlsNotConfigured),
		wantSubURI: hookURL,
	}, {
		name:       "subscriber ksvc",
		broker:     "memory",
		sub:        ksvcDest("hello"),
		wantSet:    &dispatch.Trigger{SubscriberURL: ksvcHelloAddress},
		wantConds:  allReady(dlsNotConfigured),
		wantSubURI: ksvcHelloAddress,
	}, {
		name:   "subscriber ksvc and relative uri",
		broker: "memory",
		sub: duckv1.Destination{
			Ref: &duckv1.KReference{APIVersion: "serving.knative.dev/v1", Kind: "Service", Name: "hello"},
			URI: mustURL(t, "/events?x=1"),
		},
		wantSet:    &dispatch.Trigger{SubscriberURL: ksvcHelloAddress + "/events?x=1"},
		wantConds:  allReady(dlsNotConfigured),
		wantSubURI: ksvcHelloAddress + "/events?x=1",
	}, {
		name:       "subscriber broker",
		broker:     "memory",
		sub:        refDest("eventing.knative.dev/v1", "Broker", "default"),
		wantSet:    &dispatch.Trigger{SubscriberURL: brokerDefaultAddress},
		wantConds:  allReady(dlsNotConfigured),
		wantSubURI: brokerDefaultAddress,
	}, {
		name:        "subscriber ksvc without address",
		wantRecheck: true,
		broker:      "memory",
		sub:         ksvcDest("starting"),
		wantConds:   with(allReady(""), eventingv1.TriggerConditionSubscriberResolved, subscriberFailed+"*", eventingv1.TriggerConditionReady, subscriberFailed+"*", eventingv1.TriggerConditionSubscribed, subscriberUnknown+"*", eventingv1.TriggerConditionDeadLetterSinkResolved, "Unknown//"),
		wantMsg:     "not addressable: Service default/starting has no address yet",
	}, {
		name:        "subscriber ksvc missing",
		wantRecheck: true,
		broker:      "memory",
		sub:         ksvcDest("nope"),
		wantConds:   with(allReady(""), eventingv1.TriggerConditionSubscriberResolved, subscriberFailed+"*", eventingv1.TriggerConditionReady, subscriberFailed+"*", eventingv1.TriggerConditionSubscribed, subscriberUnknown+"*", eventingv1.TriggerConditionDeadLetterSinkResolved, "Unknown//"),
		wantMsg:     "resolve Service default/nope: store get services.serving.knative.dev/default/nope: not found",
	}, {
		name:   "broker missing",
		broker: "nope",
		sub:    uriDest(t, hookURL),
		wantConds: map[string]string{
			eventingv1.TriggerConditionReady:                  brokerDoesNotExist,
			eventingv1.TriggerConditionBroker:                 brokerDoesNotExist,
			eventingv1.TriggerConditionSubscribed:             `Unknown/BrokerDoesNotExist/Broker "nope" does not exist`,
			eventingv1.TriggerConditionDependency:             "Unknown//",
			eventingv1.TriggerConditionSubscriberResolved:     "Unknown//",
			eventingv1.TriggerConditionDeadLetterSinkResolved: "Unknown//",
		},
	}, {
		name:   "broker never reconciled",
		broker: "starting",
		sub:    uriDest(t, hookURL),
		wantConds: with(allReady(dlsNotConfigured),
			eventingv1.TriggerConditionReady, brokerNotReady,
			eventingv1.TriggerConditionBroker, brokerNotConfigured,
			eventingv1.TriggerConditionSubscribed, brokerNotReady),
		wantSubURI: hookURL,
	}, {
		name:   "broker failed",
		broker: "failed",
		sub:    uriDest(t, hookURL),
		wantConds: with(allReady(dlsNotConfigured),
			eventingv1.TriggerConditionReady, brokerStreamFailed,
			eventingv1.TriggerConditionBroker, brokerStreamFailed,
			eventingv1.TriggerConditionSubscribed, brokerNotReady),
		wantSubURI: hookURL,
	}, {
		name:   "broker's delivery",
		broker: "default",
		sub:    uriDest(t, hookURL),
		wantSet: &dispatch.Trigger{SubscriberURL: hookURL, Delivery: dispatch.Delivery{
			Retry: 3, BackoffPolicy: dispatch.BackoffLinear, BackoffDelay: time.Second, Timeout: 5 * time.Second,
			RetryAfterMax: 10 * time.Second, DeadLetterURL: "http://dls.example.com/broker", Format: dispatch.FormatJSON,
		}},
		wantConds:  allReady(condTrue),
		wantSubURI: hookURL,
		wantDLSURI: "http://dls.example.com/broker",
	}, {
		name:   "config-br-defaults' delivery of a default-class broker",
		broker: "defaulted",
		sub:    uriDest(t, hookURL),
		wantSet: &dispatch.Trigger{SubscriberURL: hookURL, Delivery: dispatch.Delivery{
			Retry: 10, BackoffPolicy: dispatch.BackoffExponential, BackoffDelay: 200 * time.Millisecond,
		}},
		wantConds:  allReady(dlsNotConfigured),
		wantSubURI: hookURL,
	}, {
		name:       "trigger's delivery replaces the broker's whole",
		broker:     "default",
		sub:        uriDest(t, hookURL),
		delivery:   &duckv1.DeliverySpec{Retry: ptr[int32](1)},
		wantSet:    &dispatch.Trigger{SubscriberURL: hookURL, Delivery: dispatch.Delivery{Retry: 1}},
		wantConds:  allReady(dlsNotConfigured),
		wantSubURI: hookURL,
	}, {
		name:   "trigger's delivery with every field",
		broker: "memory",
		sub:    uriDest(t, hookURL),
		delivery: &duckv1.DeliverySpec{
			DeadLetterSink: &duckv1.Destination{
				Ref: &duckv1.KReference{APIVersion: "serving.knative.dev/v1", Kind: "Service", Name: "hello"},
				URI: mustURL(t, "/dead"),
			},
			Retry:         ptr[int32](0),
			BackoffPolicy: ptr(duckv1.BackoffPolicyExponential),
			BackoffDelay:  ptr("PT0.2S"),
			Timeout:       ptr("PT1M30S"),
			RetryAfterMax: ptr("PT0S"),
			Format:        ptr(duckv1.DeliveryFormatBinary),
		},
		wantSet: &dispatch.Trigger{SubscriberURL: hookURL, Delivery: dispatch.Delivery{
			Retry: 0, BackoffPolicy: dispatch.BackoffExponential, BackoffDelay: 200 * time.Millisecond,
			Timeout: 90 * time.Second, DeadLetterURL: ksvcHelloAddress + "/dead", Format: dispatch.FormatBinary,
		}},
		wantConds:  allReady(condTrue),
		wantSubURI: hookURL,
		wantDLSURI: ksvcHelloAddress + "/dead",
	}, {
		name:        "dead letter sink does not resolve",
		wantRecheck: true,
		broker:      "memory",
		sub:         uriDest(t, hookURL),
		delivery:    &duckv1.DeliverySpec{DeadLetterSink: &duckv1.Destination{Ref: ksvcDest("starting").Ref}},
		wantConds: with(allReady(""),
			eventingv1.TriggerConditionDeadLetterSinkResolved, dlsFailed+"*",
			eventingv1.TriggerConditionReady, dlsFailed+"*",
			eventingv1.TriggerConditionSubscribed, dlsUnknown+"*"),
		wantSubURI: hookURL,
		wantMsg:    "not addressable: Service default/starting has no address yet",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := objectName(tt.name)
			uid := putTrigger(t, c, name, eventingv1.TriggerSpec{Broker: tt.broker, Subscriber: tt.sub, Delivery: tt.delivery})
			d := &fakeDispatcher{}
			err := newReconciler(c, d).Reconcile(context.Background(), triggerKey(name))
			var recheck controller.RequeueAfter
			if tt.wantRecheck {
				if !errors.As(err, &recheck) || recheck.After <= 0 {
					t.Fatalf("Reconcile() = %v, want a RequeueAfter", err)
				}
			} else if err != nil {
				t.Fatalf("Reconcile() = %v", err)
			}
			sets, stops, removes := d.take()
			if len(removes) != 0 {
				t.Errorf("RemoveTrigger calls = %+v, want none (nothing was running)", removes)
			}
			// A trigger that cannot deliver is stopped, in case it ran.
			var wantStops []stop
			if tt.wantSet == nil {
				wantStops = []stop{{ns, name}}
			}
			if diff := cmp.Diff(wantStops, stops); diff != "" {
				t.Errorf("StopTrigger calls (-want +got):\n%s", diff)
			}
			var want []dispatch.Trigger
			if tt.wantSet != nil {
				w := *tt.wantSet
				w.Namespace, w.Name, w.UID, w.Broker = ns, name, uid, tt.broker
				want = []dispatch.Trigger{w}
			}
			if diff := cmp.Diff(want, sets, cmpopts.IgnoreFields(dispatch.Trigger{}, "Filter")); diff != "" {
				t.Errorf("SetTrigger calls (-want +got):\n%s", diff)
			}

			tr := getTrigger(t, c, name)
			wantConds := map[string]string{}
			for typ, w := range tt.wantConds {
				if prefix, ok := strings.CutSuffix(w, "*"); ok {
					w = prefix + tt.wantMsg
				}
				wantConds[typ] = w
			}
			if diff := cmp.Diff(wantConds, conds(&tr.Status.Status)); diff != "" {
				t.Errorf("conditions (-want +got):\n%s", diff)
			}
			if tr.Status.ObservedGeneration != tr.Generation {
				t.Errorf("observedGeneration = %d, want %d", tr.Status.ObservedGeneration, tr.Generation)
			}
			if got := urlString(tr.Status.SubscriberURI); got != tt.wantSubURI {
				t.Errorf("subscriberUri = %q, want %q", got, tt.wantSubURI)
			}
			if got := urlString(tr.Status.DeadLetterSinkURI); got != tt.wantDLSURI {
				t.Errorf("deadLetterSinkUri = %q, want %q", got, tt.wantDLSURI)
			}
		})
	}
}

func urlString(u *apis.URL) string {
	if u == nil {
		return ""
	}
	return u.String()
}

// objectName turns a test name into an object name.
func objectName(s string) string {
	b := []byte(strings.ToLower(s))
	for i, ch := range b {
		if (ch < 'a' || ch > 'z') && (ch < '0' || ch > '9') {
			b[i] = '-'
		}
	}
	return strings.Trim(string(b), "-")
}

// sample returns an event of type typ from source with the extensions kv
// (name, value, ...).
func sample(typ, source string, kv ...string) event.Event {
	e := event.New()
	e.SetID("1")
	e.SetType(typ)
	e.SetSource(source)
	for i := 0; i+1 < len(kv); i += 2 {
		e.SetExtension(kv[i], kv[i+1])
	}
	return e
}

// TestReconcileFilters checks that the filter the dispatcher gets is the
// trigger's, compiled: each row's events must match or not.
func TestReconcileFilters(t *testing.T) {
	c := newClient(t)
	putBroker(t, c, "default", nil, nil, readyStatus(brokerDefaultAddress))
	a := sample("dev.example.a", "/src/one", "myext", "x")
	b := sample("dev.example.b", "/src/two")
	aNoExt := sample("dev.example.a", "/src/one")
	aEmptyExt := sample("dev.example.a", "/src/one", "myext", "")
	tests := []struct {
		name        string
		filter      *eventingv1.TriggerFilter
		filters     []eventingv1.SubscriptionsAPIFilter
		match, miss []event.Event
	}{{
		name:  "none",
		match: []event.Event{a, b, aNoExt},
	}, {
		name:   "empty attributes",
		filter: &eventingv1.TriggerFilter{Attributes: map[string]string{}},
		match:  []event.Event{a, b},
	}, {
		name:   "attributes",
		filter: &eventingv1.TriggerFilter{Attributes: map[string]string{"type": "dev.example.a", "myext": "x"}},
		match:  []event.Event{a},
		miss:   []event.Event{b, aNoExt, sample("Dev.Example.A", "/src/one", "myext", "x")},
	}, {
		name:   "attribute present",
		filter: &eventingv1.TriggerFilter{Attributes: map[string]string{"myext": eventingv1.TriggerAnyFilter}},
		match:  []event.Event{a},
		miss:   []event.Event{aNoExt, aEmptyExt},
	}, {
		name:    "filters exact, prefix and suffix",
		filters: []eventingv1.SubscriptionsAPIFilter{{Exact: map[string]string{"type": "dev.example.a"}}, {Prefix: map[string]string{"source": "/src/"}}, {Suffix: map[string]string{"source": "one"}}},
		match:   []event.Event{a, aNoExt},
		miss:    []event.Event{b, sample("dev.example.a", "/src/two")},
	}, {
		name: "filters any and not",
		filters: []eventingv1.SubscriptionsAPIFilter{{Any: []eventingv1.SubscriptionsAPIFilter{
			{Exact: map[string]string{"type": "dev.example.a"}},
			{Exact: map[string]string{"type": "dev.example.b"}},
		}}, {Not: &eventingv1.SubscriptionsAPIFilter{Exact: map[string]string{"myext": "x"}}}},
		match: []event.Event{b, aNoExt},
		miss:  []event.Event{a, sample("dev.example.c", "/src/one")},
	}, {
		name:    "filters cesql",
		filters: []eventingv1.SubscriptionsAPIFilter{{SQL: "type = 'dev.example.a' AND myext = 'x'"}},
		match:   []event.Event{a},
		miss:    []event.Event{b, aNoExt},
	}, {
		name:    "filters win over attributes",
		filter:  &eventingv1.TriggerFilter{Attributes: map[string]string{"type": "dev.example.a"}},
		filters: []eventingv1.SubscriptionsAPIFilter{{Exact: map[string]string{"type": "dev.example.b"}}},
		match:   []event.Event{b},
		miss:    []event.Event{a},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := objectName(tt.name)
			putTrigger(t, c, name, eventingv1.TriggerSpec{
				Broker: "default", Filter: tt.filter, Filters: tt.filters, Subscriber: uriDest(t, "http://example.com/"),
			})
			d := &fakeDispatcher{}
			if err := newReconciler(c, d).Reconcile(context.Background(), triggerKey(name)); err != nil {
				t.Fatalf("Reconcile() = %v", err)
			}
			sets, _, _ := d.take()
			if len(sets) != 1 || sets[0].Filter == nil {
				t.Fatalf("SetTrigger calls = %+v, want one with a filter", sets)
			}
			f := sets[0].Filter
			for _, e := range tt.match {
				if !f.Match(e) {
					t.Errorf("Match(%s) = false, want true", e)
				}
			}
			for _, e := range tt.miss {
				if f.Match(e) {
					t.Errorf("Match(%s) = true, want false", e)
				}
			}
			if tr := getTrigger(t, c, name); !tr.IsReady() {
				t.Errorf("trigger not Ready: %v", conds(&tr.Status.Status))
			}
		})
	}
}

// TestReconcileBadCESQL: an expression that does not parse runs no
// consumer and makes the trigger Ready=False with a message naming it.
func TestReconcileBadCESQL(t *testing.T) {
	c := newClient(t)
	putBroker(t, c, "default", nil, nil, readyStatus(brokerDefaultAddress))
	tests := []struct {
		name    string
		filters []eventingv1.SubscriptionsAPIFilter
		expr    string
	}{
		{"parse error", []eventingv1.SubscriptionsAPIFilter{{SQL: "type = = 'x'"}}, "type = = 'x'"},
		{"parser panic", []eventingv1.SubscriptionsAPIFilter{{SQL: "type ="}}, "type ="},
		{"nested", []eventingv1.SubscriptionsAPIFilter{{Exact: map[string]string{"type": "a"}}, {Any: []eventingv1.SubscriptionsAPIFilter{{SQL: "(("}}}}, "(("},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := objectName(tt.name)
			putTrigger(t, c, name, eventingv1.TriggerSpec{Broker: "default", Filters: tt.filters, Subscriber: uriDest(t, "http://example.com/")})
			d := &fakeDispatcher{}
			if err := newReconciler(c, d).Reconcile(context.Background(), triggerKey(name)); err != nil {
				t.Fatalf("Reconcile() = %v, want nil (a bad expression is not retried)", err)
			}
			if sets, _, _ := d.take(); len(sets) != 0 {
				t.Errorf("SetTrigger calls = %+v, want none", sets)
			}
			tr := getTrigger(t, c, name)
			for _, typ := range []string{eventingv1.TriggerConditionSubscribed, eventingv1.TriggerConditionReady} {
				got := tr.Status.GetCondition(typ)
				if !got.IsFalse() || got.Reason != "FilterInvalid" || !strings.Contains(got.Message, fmt.Sprintf("%q", tt.expr)) {
					t.Errorf("%s = %+v, want False/FilterInvalid naming %q", typ, got, tt.expr)
				}
			}
		})
	}
}

// TestReconcileDispatcherFails: a consumer that cannot be set marks the
// trigger not subscribed and returns the error so that it is retried; the
// retry that succeeds makes it Ready.
func TestReconcileDispatcherFails(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	putBroker(t, c, "default", nil, nil, readyStatus(brokerDefaultAddress))
	uid := putTrigger(t, c, "t", eventingv1.TriggerSpec{Broker: "default", Subscriber: uriDest(t, "http://example.com/")})
	errConsumer := errors.New("create consumer: stream not found")
	d := &fakeDispatcher{setErr: errConsumer}
	r := newReconciler(c, d)
	if err := r.Reconcile(ctx, triggerKey("t")); !errors.Is(err, errConsumer) {
		t.Fatalf("Reconcile() = %v, want %v", err, errConsumer)
	}
	want := "False/ConsumerFailed/" + errConsumer.Error()
	got := conds(&getTrigger(t, c, "t").Status.Status)
	if got[eventingv1.TriggerConditionSubscribed] != want || got[eventingv1.TriggerConditionReady] != want {
		t.Errorf("SubscriptionReady = %q, Ready = %q; want both %q", got[eventingv1.TriggerConditionSubscribed], got[eventingv1.TriggerConditionReady], want)
	}
	// Retried with the queue's backoff; neither stopped nor removed, so
	// that the dispatcher keeps what it could not replace.
	if sets, stops, removes := d.take(); len(sets) != 1 || len(stops) != 0 || len(removes) != 0 {
		t.Errorf("calls: SetTrigger %d, StopTrigger %+v, RemoveTrigger %+v; want one SetTrigger only", len(sets), stops, removes)
	}

	d.setErrors(nil, nil)
	if err := r.Reconcile(ctx, triggerKey("t")); err != nil {
		t.Fatalf("Reconcile() = %v", err)
	}
	if tr := getTrigger(t, c, "t"); !tr.IsReady() {
		t.Errorf("trigger not Ready after the retry: %v", conds(&tr.Status.Status))
	}
	if sets, _, _ := d.take(); len(sets) != 1 || sets[0].UID != uid {
		t.Errorf("SetTrigger calls = %+v, want one with uid %s", sets, uid)
	}
}

// TestReconcileSecondPassWritesNothing: once converged, a reconcile sets
// the trigger again (SetTrigger is idempotent) but does not write it.
func TestReconcileSecondPassWritesNothing(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	putBroker(t, c, "default", nil, nil, readyStatus(brokerDefaultAddress))
	putTrigger(t, c, "t", eventingv1.TriggerSpec{Broker: "default", Subscriber: uriDest(t, "http://example.com/")})
	r := newReconciler(c, &fakeDispatcher{})
	if err := r.Reconcile(ctx, triggerKey("t")); err != nil {
		t.Fatal(err)
	}
	o1, err := c.Store.Get(ctx, triggerKey("t"))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Reconcile(ctx, triggerKey("t")); err != nil {
		t.Fatal(err)
	}
	o2, err := c.Store.Get(ctx, triggerKey("t"))
	if err != nil {
		t.Fatal(err)
	}
	if o2.Revision != o1.Revision {
		t.Errorf("revision %d -> %d, want no write", o1.Revision, o2.Revision)
	}
}

func TestReconcileDeleted(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	putBroker(t, c, "default", nil, nil, readyStatus(brokerDefaultAddress))
	errRemove := errors.New("delete consumer: timeout")
	tests := []struct {
		name       string
		finalizers []string
		// restarted: the reconciler that sees the deletion is not the one
		// that set the trigger (skiff restarted in between).
		restarted bool
		// removeErr fails the first removal.
		removeErr error
		// wantRemove: whether RemoveTrigger is called with the trigger's uid.
		wantRemove bool
	}{
		{name: "gone", wantRemove: true},
		{name: "being deleted", finalizers: []string{"test/hold"}, wantRemove: true},
		{name: "being deleted after a restart", finalizers: []string{"test/hold"}, restarted: true, wantRemove: true},
		// The uid of a trigger that is gone is known only to the
		// reconciler that set it.
		{name: "gone after a restart", restarted: true, wantRemove: false},
		{name: "removal fails and is retried", removeErr: errRemove, wantRemove: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := objectName(tt.name)
			uid := putTrigger(t, c, name, eventingv1.TriggerSpec{Broker: "default", Subscriber: uriDest(t, "http://example.com/")}, tt.finalizers...)
			d := &fakeDispatcher{}
			r := newReconciler(c, d)
			if err := r.Reconcile(ctx, triggerKey(name)); err != nil {
				t.Fatal(err)
			}
			d.take()
			if tt.restarted {
				r = newReconciler(c, d)
			}
			if _, err := c.Store.Delete(ctx, triggerKey(name), store.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
			var want []removal
			if wantRemove := (removal{ns, name, uid}); tt.wantRemove {
				want = []removal{wantRemove}
			}
			if tt.removeErr != nil {
				d.setErrors(nil, tt.removeErr)
				if err := r.Reconcile(ctx, triggerKey(name)); !errors.Is(err, tt.removeErr) {
					t.Fatalf("Reconcile(deleted) = %v, want %v", err, tt.removeErr)
				}
				if _, _, removes := d.take(); !cmp.Equal(want, removes) {
					t.Fatalf("RemoveTrigger calls = %+v, want %+v", removes, want)
				}
				d.setErrors(nil, nil)
			}
			if err := r.Reconcile(ctx, triggerKey(name)); err != nil {
				t.Fatalf("Reconcile(deleted) = %v", err)
			}
			sets, _, removes := d.take()
			if diff := cmp.Diff(want, removes); diff != "" {
				t.Errorf("RemoveTrigger calls (-want +got):\n%s", diff)
			}
			if len(sets) != 0 {
				t.Errorf("SetTrigger calls = %+v, want none", sets)
			}
			// Once removed, the trigger is forgotten.
			if tt.finalizers == nil {
				if err := r.Reconcile(ctx, triggerKey(name)); err != nil {
					t.Fatal(err)
				}
				if _, _, removes := d.take(); len(removes) != 0 {
					t.Errorf("RemoveTrigger calls after the removal = %+v, want none", removes)
				}
			}
		})
	}
}

// updateTrigger changes the stored trigger name with change, through the
// store so that nothing validates it.
func updateTrigger(t *testing.T, c *typed.Client, name string, change func(tr *eventingv1.Trigger)) {
	t.Helper()
	tr := getTrigger(t, c, name)
	change(tr)
	body, err := json.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Store.Update(context.Background(), triggerKey(name), body, store.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// setBrokerStatus replaces the status of the stored broker name.
func setBrokerStatus(t *testing.T, c *typed.Client, name string, status any) {
	t.Helper()
	o, err := c.Store.Get(context.Background(), brokerKey(name))
	if err != nil {
		t.Fatal(err)
	}
	setStatus(t, c, o, status)
}

// TestReconcileStopsWhenUnsubscribable: a running trigger that can no
// longer deliver is stopped and keeps its consumer (the events its broker
// accepts meanwhile wait there), no longer says it is subscribed, and
// resumes on the same consumer once it can deliver again.
func TestReconcileStopsWhenUnsubscribable(t *testing.T) {
	ctx := context.Background()
	notReady := map[string]any{
		"conditions": []map[string]any{{"type": "Ready", "status": "False", "reason": "StreamFailed", "message": "stream: insufficient resources"}},
	}
	tests := []struct {
		name string
		// change stops the trigger from delivering; restore undoes it.
		change, restore func(t *testing.T, c *typed.Client)
		// typ is the condition change fails; want is it and Ready.
		typ, want string
		// wantSubscribed is the SubscriptionReady condition.
		wantSubscribed string
		// wantRecheck: Reconcile asks to be run again.
		wantRecheck bool
	}{{
		name: "broker deleted",
		change: func(t *testing.T, c *typed.Client) {
			if _, err := c.Store.Delete(ctx, brokerKey("b"), store.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
		},
		restore: func(t *testing.T, c *typed.Client) {
			putBroker(t, c, "b", nil, nil, readyStatus("http://127.0.0.1:8080/default/b"))
		},
		typ:            eventingv1.TriggerConditionBroker,
		want:           `False/BrokerDoesNotExist/Broker "b" does not exist`,
		wantSubscribed: `Unknown/BrokerDoesNotExist/Broker "b" does not exist`,
	}, {
		name:   "broker not ready",
		change: func(t *testing.T, c *typed.Client) { setBrokerStatus(t, c, "b", notReady) },
		restore: func(t *testing.T, c *typed.Client) {
			setBrokerStatus(t, c, "b", readyStatus("http://127.0.0.1:8080/default/b"))
		},
		typ:            eventingv1.TriggerConditionBroker,
		want:           brokerStreamFailed,
		wantSubscribed: brokerNotReady,
	}, {
		name: "subscriber deleted",
		change: func(t *testing.T, c *typed.Client) {
			if _, err := c.Store.Delete(ctx, ksvcKey("hello"), store.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
		},
		restore:        func(t *testing.T, c *typed.Client) { putKsvc(t, c, "hello", ksvcHelloAddress) },
		typ:            eventingv1.TriggerConditionSubscriberResolved,
		want:           subscriberFailed + "resolve Service default/hello: store get services.serving.knative.dev/default/hello: not found",
		wantSubscribed: subscriberUnknown + "resolve Service default/hello: store get services.serving.knative.dev/default/hello: not found",
		wantRecheck:    true,
	}, {
		name: "dead letter sink deleted",
		change: func(t *testing.T, c *typed.Client) {
			if _, err := c.Store.Delete(ctx, ksvcKey("dead-letters"), store.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
		},
		restore:        func(t *testing.T, c *typed.Client) { putKsvc(t, c, "dead-letters", "http://127.0.0.1:4001") },
		typ:            eventingv1.TriggerConditionDeadLetterSinkResolved,
		want:           dlsFailed + "resolve Service default/dead-letters: store get services.serving.knative.dev/default/dead-letters: not found",
		wantSubscribed: dlsUnknown + "resolve Service default/dead-letters: store get services.serving.knative.dev/default/dead-letters: not found",
		wantRecheck:    true,
	}, {
		name: "delivery made invalid",
		change: func(t *testing.T, c *typed.Client) {
			updateTrigger(t, c, "t", func(tr *eventingv1.Trigger) { tr.Spec.Delivery.Timeout = ptr("soon") })
		},
		restore: func(t *testing.T, c *typed.Client) {
			updateTrigger(t, c, "t", func(tr *eventingv1.Trigger) { tr.Spec.Delivery.Timeout = nil })
		},
		typ:            eventingv1.TriggerConditionSubscribed,
		want:           `False/DeliveryInvalid/delivery duration "soon": ` + durationError(t, "soon"),
		wantSubscribed: `False/DeliveryInvalid/delivery duration "soon": ` + durationError(t, "soon"),
	}, {
		name: "filter made invalid",
		change: func(t *testing.T, c *typed.Client) {
			updateTrigger(t, c, "t", func(tr *eventingv1.Trigger) {
				tr.Spec.Filters = []eventingv1.SubscriptionsAPIFilter{{SQL: "(("}}
			})
		},
		restore: func(t *testing.T, c *typed.Client) {
			updateTrigger(t, c, "t", func(tr *eventingv1.Trigger) { tr.Spec.Filters = nil })
		},
		typ:            eventingv1.TriggerConditionSubscribed,
		want:           "False/FilterInvalid/*",
		wantSubscribed: "False/FilterInvalid/*",
	}}
	// match reports whether got is want, where a want ending in "*"
	// matches any rest.
	match := func(got, want string) bool {
		if prefix, ok := strings.CutSuffix(want, "*"); ok {
			return strings.HasPrefix(got, prefix)
		}
		return got == want
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t)
			putBroker(t, c, "b", nil, nil, readyStatus("http://127.0.0.1:8080/default/b"))
			putKsvc(t, c, "hello", ksvcHelloAddress)
			putKsvc(t, c, "dead-letters", "http://127.0.0.1:4001")
			uid := putTrigger(t, c, "t", eventingv1.TriggerSpec{
				Broker: "b", Subscriber: ksvcDest("hello"),
				Delivery: &duckv1.DeliverySpec{DeadLetterSink: ptr(ksvcDest("dead-letters"))},
			})
			d := &fakeDispatcher{}
			r := newReconciler(c, d)
			if err := r.Reconcile(ctx, triggerKey("t")); err != nil {
				t.Fatal(err)
			}
			if got, want := d.takeCalls(), []string{"set " + uid + " b"}; !cmp.Equal(want, got) {
				t.Fatalf("calls = %q, want %q", got, want)
			}

			tt.change(t, c)
			// Twice: a trigger that stays stopped stays so, and keeps its
			// consumer.
			for range 2 {
				err := r.Reconcile(ctx, triggerKey("t"))
				if tt.wantRecheck {
					if !errors.As(err, new(controller.RequeueAfter)) {
						t.Fatalf("Reconcile() = %v, want a RequeueAfter", err)
					}
				} else if err != nil {
					t.Fatalf("Reconcile() = %v", err)
				}
				sets, stops, removes := d.take()
				if want := []stop{{ns, "t"}}; !cmp.Equal(want, stops) || len(sets) != 0 || len(removes) != 0 {
					t.Errorf("calls: SetTrigger %+v, StopTrigger %+v, RemoveTrigger %+v; want only StopTrigger %+v", sets, stops, removes, want)
				}
			}
			got := conds(&getTrigger(t, c, "t").Status.Status)
			if !match(got[tt.typ], tt.want) || !match(got[eventingv1.TriggerConditionReady], tt.want) {
				t.Errorf("%s = %q, Ready = %q; want both %q", tt.typ, got[tt.typ], got[eventingv1.TriggerConditionReady], tt.want)
			}
			if s := got[eventingv1.TriggerConditionSubscribed]; !match(s, tt.wantSubscribed) {
				t.Errorf("SubscriptionReady = %q, want %q", s, tt.wantSubscribed)
			}

			tt.restore(t, c)
			if err := r.Reconcile(ctx, triggerKey("t")); err != nil {
				t.Fatalf("Reconcile(restored) = %v", err)
			}
			// The same consumer: the dispatcher resumes where it stopped.
			if got, want := d.takeCalls(), []string{"set " + uid + " b"}; !cmp.Equal(want, got) {
				t.Errorf("calls once restored = %q, want %q", got, want)
			}
			if tr := getTrigger(t, c, "t"); !tr.IsReady() {
				t.Errorf("trigger not Ready once restored: %v", conds(&tr.Status.Status))
			}
		})
	}
}

// durationError is the error of parsing the ISO 8601 duration s.
func durationError(t *testing.T, s string) string {
	t.Helper()
	_, err := duckv1.ParseISO8601Duration(s)
	if err == nil {
		t.Fatalf("ParseISO8601Duration(%q) = nil error", s)
	}
	return err.Error()
}

// TestReconcileStoppedThenDeleted: a stopped trigger's consumer is kept
// only while the trigger exists; its deletion removes it by uid.
func TestReconcileStoppedThenDeleted(t *testing.T) {
	ctx := context.Background()
	for _, finalizers := range [][]string{nil, {"test/hold"}} {
		t.Run(fmt.Sprintf("finalizers %v", finalizers), func(t *testing.T) {
			c := newClient(t)
			putBroker(t, c, "b", nil, nil, readyStatus("http://127.0.0.1:8080/default/b"))
			uid := putTrigger(t, c, "t", eventingv1.TriggerSpec{Broker: "b", Subscriber: uriDest(t, "http://example.com/")}, finalizers...)
			d := &fakeDispatcher{}
			r := newReconciler(c, d)
			if err := r.Reconcile(ctx, triggerKey("t")); err != nil {
				t.Fatal(err)
			}
			setBrokerStatus(t, c, "b", nil)
			if err := r.Reconcile(ctx, triggerKey("t")); err != nil {
				t.Fatal(err)
			}
			if got, want := d.takeCalls(), []string{"set " + uid + " b", "stop"}; !cmp.Equal(want, got) {
				t.Fatalf("calls = %q, want %q", got, want)
			}
			if _, err := c.Store.Delete(ctx, triggerKey("t"), store.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
			if err := r.Reconcile(ctx, triggerKey("t")); err != nil {
				t.Fatalf("Reconcile(deleted) = %v", err)
			}
			sets, stops, removes := d.take()
			if want := []removal{{ns, "t", uid}}; !cmp.Equal(want, removes) || len(sets) != 0 || len(stops) != 0 {
				t.Errorf("calls: SetTrigger %+v, StopTrigger %+v, RemoveTrigger %+v; want only RemoveTrigger %+v", sets, stops, removes, want)
			}
		})
	}
}

// TestReconcileRecreated: a trigger deleted and made again under its name
// before the deletion was reconciled has the old uid's consumer removed
// first, whether it ran or was stopped (the dispatcher, which replaces the
// consumer of a running one, knows nothing of a stopped one).
func TestReconcileRecreated(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		// stopped: the old trigger was stopped before it was deleted.
		stopped bool
		// ready: the broker is Ready when the new trigger is reconciled.
		ready     bool
		wantCalls func(oldUID, newUID string) []string
	}{
		{"running", false, true, func(o, n string) []string { return []string{"remove " + o, "set " + n + " b"} }},
		{"stopped", true, true, func(o, n string) []string { return []string{"remove " + o, "set " + n + " b"} }},
		{"stopped and still cannot deliver", true, false, func(o, n string) []string { return []string{"remove " + o, "stop"} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t)
			putBroker(t, c, "b", nil, nil, readyStatus("http://127.0.0.1:8080/default/b"))
			spec := eventingv1.TriggerSpec{Broker: "b", Subscriber: uriDest(t, "http://example.com/")}
			oldUID := putTrigger(t, c, "t", spec)
			d := &fakeDispatcher{}
			r := newReconciler(c, d)
			if err := r.Reconcile(ctx, triggerKey("t")); err != nil {
				t.Fatal(err)
			}
			if tt.stopped {
				setBrokerStatus(t, c, "b", nil)
				if err := r.Reconcile(ctx, triggerKey("t")); err != nil {
					t.Fatal(err)
				}
			}
			d.take()
			if tt.ready {
				setBrokerStatus(t, c, "b", readyStatus("http://127.0.0.1:8080/default/b"))
			}
			if _, err := c.Store.Delete(ctx, triggerKey("t"), store.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
			newUID := putTrigger(t, c, "t", spec)
			if err := r.Reconcile(ctx, triggerKey("t")); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantCalls(oldUID, newUID), d.takeCalls()); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
			// The old consumer is forgotten once removed: the new trigger's
			// deletion removes only its own.
			if _, err := c.Store.Delete(ctx, triggerKey("t"), store.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
			if err := r.Reconcile(ctx, triggerKey("t")); err != nil {
				t.Fatal(err)
			}
			var want []string
			if tt.ready {
				want = []string{"remove " + newUID}
			}
			if diff := cmp.Diff(want, d.takeCalls()); diff != "" {
				t.Errorf("calls on deletion (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReconcileRechecksBackOff: while a destination does not resolve,
// each reconcile asks to be run again later than the one before, up to
// the cap; once everything resolves, or the trigger is deleted, the delays
// start over.
func TestReconcileRechecksBackOff(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	putBroker(t, c, "b", nil, nil, readyStatus("http://127.0.0.1:8080/default/b"))
	spec := eventingv1.TriggerSpec{
		Broker: "b", Subscriber: ksvcDest("hello"),
		Delivery: &duckv1.DeliverySpec{DeadLetterSink: ptr(ksvcDest("dead-letters"))},
	}
	putTrigger(t, c, "t", spec)
	d := &fakeDispatcher{}
	r := newReconciler(c, d)
	const s = time.Second
	// step is one reconcile: which destinations exist, and the
	// RequeueAfter wanted (zero: none).
	type step struct {
		subscriber, sink bool
		want             time.Duration
	}
	steps := []step{
		{want: 2 * s}, {want: 4 * s}, {want: 8 * s},
		// The subscriber resolves, the sink not yet: still waiting.
		{subscriber: true, want: 16 * s}, {subscriber: true, want: 32 * s}, {subscriber: true, want: 64 * s},
		{subscriber: true, want: 128 * s}, {subscriber: true, want: 256 * s},
		{subscriber: true, want: 5 * time.Minute}, {subscriber: true, want: 5 * time.Minute},
		// Both resolve: the next wait starts over.
		{subscriber: true, sink: true},
		{subscriber: true, want: 2 * s}, {subscriber: true, want: 4 * s},
	}
	exists := map[string]bool{}
	for i, st := range steps {
		for name, want := range map[string]bool{"hello": st.subscriber, "dead-letters": st.sink} {
			switch {
			case want && !exists[name]:
				putKsvc(t, c, name, "http://127.0.0.1:4001")
			case !want && exists[name]:
				if _, err := c.Store.Delete(ctx, ksvcKey(name), store.DeleteOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			exists[name] = want
		}
		err := r.Reconcile(ctx, triggerKey("t"))
		var ra controller.RequeueAfter
		switch {
		case st.want == 0:
			if err != nil {
				t.Fatalf("reconcile #%d = %v, want nil", i, err)
			}
		case !errors.As(err, &ra) || ra.After != st.want:
			t.Fatalf("reconcile #%d = %v, want RequeueAfter %v", i, err, st.want)
		}
	}

	// A deleted trigger forgets its delays: one made again under its name
	// starts over.
	if _, err := c.Store.Delete(ctx, triggerKey("t"), store.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := r.Reconcile(ctx, triggerKey("t")); err != nil {
		t.Fatalf("Reconcile(deleted) = %v", err)
	}
	putTrigger(t, c, "t", spec)
	var ra controller.RequeueAfter
	if err := r.Reconcile(ctx, triggerKey("t")); !errors.As(err, &ra) || ra.After != 2*s {
		t.Errorf("Reconcile(made again) = %v, want RequeueAfter 2s", err)
	}
}

// runController runs the Trigger controller until the test ends.
func runController(t *testing.T, c *typed.Client, d Dispatcher) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- NewController(c, d, nil).Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run() = %v", err)
		}
	})
}

// triggerReady polls for the trigger to be Ready and set with subscriber
// url want.
func triggerReady(c *typed.Client, d *fakeDispatcher, name, want string) func() error {
	return func() error {
		tr := &eventingv1.Trigger{}
		if err := c.Get(context.Background(), triggerKey(name), tr); err != nil {
			return err
		}
		if !tr.IsReady() {
			return fmt.Errorf("trigger not Ready: %v", conds(&tr.Status.Status))
		}
		d.mu.Lock()
		defer d.mu.Unlock()
		if n := len(d.sets); n == 0 || d.sets[n-1].SubscriberURL != want {
			return fmt.Errorf("SetTrigger calls = %+v, want the last to deliver to %s", d.sets, want)
		}
		return nil
	}
}

// TestController runs the real controller on the real store: a trigger
// applied before its broker and its subscriber has an address becomes
// Ready when they do (the controller watches brokers and ksvcs), and
// follows the subscriber's address.
func TestController(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	d := &fakeDispatcher{}
	runController(t, c, d)
	putTrigger(t, c, "t", eventingv1.TriggerSpec{Broker: "b", Subscriber: ksvcDest("hello")})
	storetest.CheckFor(t, 5*time.Second, func() error {
		tr := getTrigger(t, c, "t")
		if got := conds(&tr.Status.Status)[eventingv1.TriggerConditionBroker]; got != `False/BrokerDoesNotExist/Broker "b" does not exist` {
			return fmt.Errorf("BrokerReady = %q", got)
		}
		return nil
	})
	putBroker(t, c, "b", nil, nil, readyStatus("http://127.0.0.1:8080/default/b"))
	storetest.CheckFor(t, 5*time.Second, func() error {
		tr := getTrigger(t, c, "t")
		if got := conds(&tr.Status.Status)[eventingv1.TriggerConditionSubscriberResolved]; !strings.HasPrefix(got, subscriberFailed) {
			return fmt.Errorf("SubscriberResolved = %q", got)
		}
		return nil
	})
	ksvc := putKsvc(t, c, "hello", "")
	ksvc = setStatus(t, c, ksvc, map[string]any{"address": map[string]any{"url": ksvcHelloAddress}})
	storetest.CheckFor(t, 5*time.Second, triggerReady(c, d, "t", ksvcHelloAddress))
	setStatus(t, c, ksvc, map[string]any{"address": map[string]any{"url": "http://127.0.0.1:4002"}})
	storetest.CheckFor(t, 5*time.Second, triggerReady(c, d, "t", "http://127.0.0.1:4002"))

	if _, err := c.Store.Delete(ctx, triggerKey("t"), store.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	storetest.CheckFor(t, 5*time.Second, func() error {
		d.mu.Lock()
		defer d.mu.Unlock()
		if len(d.removes) == 0 {
			return errors.New("no RemoveTrigger call")
		}
		return nil
	})
}

// TestControllerResolvesLateRouteSubscriber: a Trigger whose subscriber is
// an Addressable other than a ksvc or a Broker (here a Route) must become
// Ready once that object has an address.
func TestControllerResolvesLateRouteSubscriber(t *testing.T) {
	c := newClient(t)
	d := &fakeDispatcher{}
	runController(t, c, d)
	putBroker(t, c, "b", nil, nil, readyStatus("http://127.0.0.1:8080/default/b"))
	putTrigger(t, c, "t", eventingv1.TriggerSpec{Broker: "b", Subscriber: refDest("serving.knative.dev/v1", "Route", "r")})
	storetest.CheckFor(t, 5*time.Second, func() error {
		got := conds(&getTrigger(t, c, "t").Status.Status)[eventingv1.TriggerConditionSubscriberResolved]
		if !strings.HasPrefix(got, subscriberFailed) {
			return fmt.Errorf("SubscriberResolved = %q", got)
		}
		return nil
	})
	route := map[string]any{"apiVersion": "serving.knative.dev/v1", "kind": "Route", "metadata": map[string]any{"name": "r", "namespace": ns}}
	put(t, c, typed.Key("serving.knative.dev", "routes", ns, "r"), route, map[string]any{"address": map[string]any{"url": "http://127.0.0.1:4003"}})
	storetest.CheckFor(t, 5*time.Second, triggerReady(c, d, "t", "http://127.0.0.1:4003"))
}

// TestReconcileUnparsableDuration: a delivery duration that does not parse
// (validation rejects it, but the store holds what it is given) runs no
// consumer, says why it is not subscribed and is not retried.
func TestReconcileUnparsableDuration(t *testing.T) {
	c := newClient(t)
	putBroker(t, c, "default", nil, nil, readyStatus(brokerDefaultAddress))
	putTrigger(t, c, "t", eventingv1.TriggerSpec{
		Broker: "default", Subscriber: uriDest(t, "http://example.com/"),
		Delivery: &duckv1.DeliverySpec{Timeout: ptr("five seconds")},
	})
	d := &fakeDispatcher{}
	if err := newReconciler(c, d).Reconcile(context.Background(), triggerKey("t")); err != nil {
		t.Fatalf("Reconcile() = %v, want nil", err)
	}
	if got, want := d.takeCalls(), []string{"stop"}; !cmp.Equal(want, got) {
		t.Errorf("calls = %q, want %q", got, want)
	}
	want := `False/DeliveryInvalid/delivery duration "five seconds": ` + durationError(t, "five seconds")
	got := conds(&getTrigger(t, c, "t").Status.Status)
	if got[eventingv1.TriggerConditionSubscribed] != want || got[eventingv1.TriggerConditionReady] != want {
		t.Errorf("SubscriptionReady = %q, Ready = %q; want both %q", got[eventingv1.TriggerConditionSubscribed], got[eventingv1.TriggerConditionReady], want)
	}
}
