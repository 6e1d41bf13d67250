package broker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/skiff-sh/skiff/internal/apis"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
	eventingv1 "github.com/skiff-sh/skiff/internal/apis/eventing/v1"
	"github.com/skiff-sh/skiff/internal/controller"
	"github.com/skiff-sh/skiff/internal/reconciler/reconcilertest"
	"github.com/skiff-sh/skiff/internal/reconciler/resolver"
	"github.com/skiff-sh/skiff/internal/reconciler/typed"
	"github.com/skiff-sh/skiff/internal/store"
	"github.com/skiff-sh/skiff/internal/store/storetest"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const (
	ns      = "default"
	baseURL = "http://127.0.0.1:8080"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// errStream is what the fake ingress fails with when told to.
var errStream = errors.New("stream: insufficient resources")

// ingressCall is one call made to the fake ingress: "ensure default/b
// memory=false" or "remove default/b".
type ingressCall string

// fakeIngress records the calls of the reconciler and fails them on demand.
type fakeIngress struct {
	mu        sync.Mutex // guards every field below
	calls     []ingressCall
	ensureErr error
	removeErr error
}

var _ Ingress = (*fakeIngress)(nil)

func (f *fakeIngress) EnsureBroker(_ context.Context, namespace, name string, memory bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, ingressCall(fmt.Sprintf("ensure %s/%s memory=%t", namespace, name, memory)))
	return f.ensureErr
}

func (f *fakeIngress) RemoveBroker(_ context.Context, namespace, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, ingressCall(fmt.Sprintf("remove %s/%s", namespace, name)))
	return f.removeErr
}

// takeCalls returns the calls made so far and forgets them.
func (f *fakeIngress) takeCalls() []ingressCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.calls
	f.calls = nil
	return c
}

func (f *fakeIngress) setEnsureErr(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ensureErr = err
}

func newClient(t *testing.T) *typed.Client {
	t.Helper()
	now := func() time.Time { return t0 }
	st := reconcilertest.NewStore(t, now)
	return &typed.Client{Store: st, Now: now}
}

// newReconciler returns a reconciler with the controller's recheck
// bounds, without jitter.
func newReconciler(c *typed.Client, in Ingress) *Reconciler {
	rechecks := newRechecks()
	rechecks.Rand = func() float64 { return 0 }
	return &Reconciler{c: c, ingress: in, resolver: &resolver.Resolver{Store: c.Store}, baseURL: baseURL, rechecks: rechecks}
}

func brokerKey(name string) store.Key { return typed.Key(group, "brokers", ns, name) }

func ptr[T any](v T) *T { return &v }

func mustURL(t *testing.T, s string) *apis.URL {
	t.Helper()
	u, err := apis.ParseURL(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// createBroker stores a Broker as kubectl would, without status.
func createBroker(t *testing.T, c *typed.Client, name string, ann map[string]string, delivery *duckv1.DeliverySpec, finalizers ...string) {
	t.Helper()
	b := &eventingv1.Broker{
		TypeMeta:   metav1.TypeMeta{APIVersion: "eventing.knative.dev/v1", Kind: "Broker"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Annotations: ann, Finalizers: finalizers},
		Spec:       eventingv1.BrokerSpec{Delivery: delivery},
	}
	body, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Store.Create(context.Background(), brokerKey(name), body); err != nil {
		t.Fatal(err)
	}
}

// createKsvc stores a Knative Service whose status has address url (none
// when url is empty).
func createKsvc(t *testing.T, c *typed.Client, name, url string) {
	t.Helper()
	ctx := context.Background()
	key := typed.Key("serving.knative.dev", "services", ns, name)
	body := fmt.Sprintf(`{"apiVersion":"serving.knative.dev/v1","kind":"Service","metadata":{"name":%q,"namespace":%q}}`, name, ns)
	o, err := c.Store.Create(ctx, key, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if url == "" {
		return
	}
	body = fmt.Sprintf(`{"apiVersion":"serving.knative.dev/v1","kind":"Service","metadata":{"name":%q,"namespace":%q,"resourceVersion":%q},"status":{"address":{"url":%q}}}`,
		name, ns, o.Meta.ResourceVersion, url)
	if _, err := c.Store.Update(ctx, key, []byte(body), store.UpdateOptions{Status: true}); err != nil {
		t.Fatal(err)
	}
}

func getBroker(t *testing.T, c *typed.Client, name string) *eventingv1.Broker {
	t.Helper()
	b := &eventingv1.Broker{}
	if err := c.Get(context.Background(), brokerKey(name), b); err != nil {
		t.Fatal(err)
	}
	return b
}

// conds describes the conditions of s as type -> "Status/Reason/Message".
func conds(s *apis.Status) map[string]string {
	m := map[string]string{}
	for _, c := range s.Conditions {
		m[c.Type] = fmt.Sprintf("%s/%s/%s", c.Status, c.Reason, c.Message)
	}
	return m
}

const (
	dlsNotConfigured = "True/DeadLetterSinkNotConfigured/No dead letter sink is configured."
	dlsFailedReason  = "Unable to get the dead letter sink's URI"
)

func TestReconcile(t *testing.T) {
	c := newClient(t)
	createKsvc(t, c, "dead-letters", "http://127.0.0.1:4001")
	streamFailed := "False/StreamFailed/" + errStream.Error()
	allReady := map[string]string{
		eventingv1.BrokerConditionReady:                  "True//",
		eventingv1.BrokerConditionIngress:                "True//",
		eventingv1.BrokerConditionTriggerChannel:         "True//",
		eventingv1.BrokerConditionFilter:                 "True//",
		eventingv1.BrokerConditionAddressable:            "True//",
		eventingv1.BrokerConditionDeadLetterSinkResolved: dlsNotConfigured,
	}
	withDLS := func(cs map[string]string, dls string) map[string]string {
		out := map[string]string{}
		for k, v := range cs {
			out[k] = v
		}
		out[eventingv1.BrokerConditionDeadLetterSinkResolved] = dls
		return out
	}
	tests := []struct {
		name      string
		ann       map[string]string
		delivery  *duckv1.DeliverySpec
		ensureErr error
		// wantCalls are the ingress calls, with %s the broker's name.
		wantCalls   []string
		wantConds   map[string]string
		wantAddress string
		wantDLS     string
	}{{
		name:        "default class is durable",
		wantCalls:   []string{"ensure default/%s memory=false"},
		wantConds:   allReady,
		wantAddress: baseURL + "/default/default-class-is-durable",
	}, {
		name:        "explicit default class",
		ann:         map[string]string{eventingv1.BrokerClassAnnotationKey: "MTChannelBasedBroker"},
		wantCalls:   []string{"ensure default/%s memory=false"},
		wantConds:   allReady,
		wantAddress: baseURL + "/default/explicit-default-class",
	}, {
		name:        "in-memory class",
		ann:         map[string]string{eventingv1.BrokerClassAnnotationKey: InMemoryClass},
		wantCalls:   []string{"ensure default/%s memory=true"},
		wantConds:   allReady,
		wantAddress: baseURL + "/default/in-memory-class",
	}, {
		name:        "class names are case-sensitive",
		ann:         map[string]string{eventingv1.BrokerClassAnnotationKey: "inmemory"},
		wantCalls:   []string{"ensure default/%s memory=false"},
		wantConds:   allReady,
		wantAddress: baseURL + "/default/class-names-are-case-sensitive",
	}, {
		name:        "dead letter sink uri",
		delivery:    &duckv1.DeliverySpec{DeadLetterSink: &duckv1.Destination{URI: mustURL(t, "http://dls.example.com/x")}},
		wantCalls:   []string{"ensure default/%s memory=false"},
		wantConds:   withDLS(allReady, "True//"),
		wantAddress: baseURL + "/default/dead-letter-sink-uri",
		wantDLS:     "http://dls.example.com/x",
	}, {
		name: "dead letter sink ref to a ksvc",
		delivery: &duckv1.DeliverySpec{DeadLetterSink: &duckv1.Destination{
			Ref: &duckv1.KReference{APIVersion: "serving.knative.dev/v1", Kind: "Service", Name: "dead-letters"},
		}},
		wantCalls:   []string{"ensure default/%s memory=false"},
		wantConds:   withDLS(allReady, "True//"),
		wantAddress: baseURL + "/default/dead-letter-sink-ref-to-a-ksvc",
		wantDLS:     "http://127.0.0.1:4001",
	}, {
		name:      "stream fails",
		ensureErr: errStream,
		wantCalls: []string{"ensure default/%s memory=false"},
		wantConds: map[string]string{
			eventingv1.BrokerConditionReady:                  streamFailed,
			eventingv1.BrokerConditionIngress:                streamFailed,
			eventingv1.BrokerConditionTriggerChannel:         streamFailed,
			eventingv1.BrokerConditionFilter:                 "Unknown//",
			eventingv1.BrokerConditionAddressable:            "Unknown//",
			eventingv1.BrokerConditionDeadLetterSinkResolved: dlsNotConfigured,
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := objectName(tt.name)
			createBroker(t, c, name, tt.ann, tt.delivery)
			in := &fakeIngress{ensureErr: tt.ensureErr}
			err := newReconciler(c, in).Reconcile(context.Background(), brokerKey(name))
			if !errors.Is(err, tt.ensureErr) || (tt.ensureErr == nil && err != nil) {
				t.Errorf("Reconcile() = %v, want %v", err, tt.ensureErr)
			}
			var wantCalls []ingressCall
			for _, call := range tt.wantCalls {
				wantCalls = append(wantCalls, ingressCall(fmt.Sprintf(call, name)))
			}
			if diff := cmp.Diff(wantCalls, in.takeCalls()); diff != "" {
				t.Errorf("ingress calls (-want +got):\n%s", diff)
			}

			b := getBroker(t, c, name)
			if diff := cmp.Diff(tt.wantConds, conds(&b.Status.Status)); diff != "" {
				t.Errorf("conditions (-want +got):\n%s", diff)
			}
			if b.Status.ObservedGeneration != b.Generation {
				t.Errorf("observedGeneration = %d, want %d", b.Status.ObservedGeneration, b.Generation)
			}
			var gotAddress, gotName string
			if a := b.Status.Address; a != nil {
				gotAddress = a.URL.String()
				if a.Name != nil {
					gotName = *a.Name
				}
			}
			if gotAddress != tt.wantAddress {
				t.Errorf("address.url = %q, want %q", gotAddress, tt.wantAddress)
			}
			if tt.wantAddress != "" && gotName != "http" {
				t.Errorf("address.name = %q, want http", gotName)
			}
			var gotDLS string
			if u := b.Status.DeadLetterSinkURI; u != nil {
				gotDLS = u.String()
			}
			if gotDLS != tt.wantDLS {
				t.Errorf("deadLetterSinkUri = %q, want %q", gotDLS, tt.wantDLS)
			}
		})
	}
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

// TestReconcileDeadLetterSinkUnresolved checks the status of a broker whose
// dead letter sink does not resolve (yet), and that Reconcile asks to be
// run again soon.
func TestReconcileDeadLetterSinkUnresolved(t *testing.T) {
	c := newClient(t)
	createKsvc(t, c, "starting", "")
	tests := []struct {
		name, ksvc, wantMessage string
	}{
		{"missing", "nope", "resolve Service default/nope: store get services.serving.knative.dev/default/nope: not found"},
		{"no address yet", "starting", "not addressable: Service default/starting has no address yet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := objectName(tt.name)
			createBroker(t, c, name, nil, &duckv1.DeliverySpec{DeadLetterSink: &duckv1.Destination{
				Ref: &duckv1.KReference{APIVersion: "serving.knative.dev/v1", Kind: "Service", Name: tt.ksvc},
			}})
			in := &fakeIngress{}
			err := newReconciler(c, in).Reconcile(context.Background(), brokerKey(name))
			if ra := (controller.RequeueAfter{}); !errors.As(err, &ra) || ra.After <= 0 {
				t.Errorf("Reconcile() = %v, want a RequeueAfter", err)
			}
			b := getBroker(t, c, name)
			want := "False/" + dlsFailedReason + "/" + tt.wantMessage
			got := conds(&b.Status.Status)
			if got[eventingv1.BrokerConditionDeadLetterSinkResolved] != want || got[eventingv1.BrokerConditionReady] != want {
				t.Errorf("DeadLetterSinkResolved = %q, Ready = %q; want both %q",
					got[eventingv1.BrokerConditionDeadLetterSinkResolved], got[eventingv1.BrokerConditionReady], want)
			}
			if b.Status.DeadLetterSinkURI != nil {
				t.Errorf("deadLetterSinkUri = %v, want none", b.Status.DeadLetterSinkURI)
			}
			// The stream is there all the same: only the dead letter sink is
			// missing.
			if got[eventingv1.BrokerConditionIngress] != "True//" || b.Status.Address == nil {
				t.Errorf("IngressReady = %q, address %v; want True with an address", got[eventingv1.BrokerConditionIngress], b.Status.Address)
			}
		})
	}
}

// TestReconcileRechecksBackOff: while the dead letter sink does not
// resolve, each reconcile asks to be run again later than the one before,
// up to the cap; a sink that resolves, or the broker's deletion, starts
// the delays over. A stream error is retried by the queue's backoff and
// leaves the delays as they were.
func TestReconcileRechecksBackOff(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	sink := &duckv1.DeliverySpec{DeadLetterSink: &duckv1.Destination{
		Ref: &duckv1.KReference{APIVersion: "serving.knative.dev/v1", Kind: "Service", Name: "dead-letters"},
	}}
	createBroker(t, c, "b", nil, sink)
	in := &fakeIngress{}
	r := newReconciler(c, in)
	// step is one reconcile: its ingress error, whether the sink exists,
	// and the RequeueAfter wanted (zero: none).
	type step struct {
		ensureErr error
		sink      bool
		want      time.Duration
	}
	const s = time.Second
	steps := []step{
		{want: 2 * s}, {want: 4 * s},
		// The queue retries the error; the delays are not touched.
		{ensureErr: errStream},
		{want: 8 * s}, {want: 16 * s}, {want: 32 * s}, {want: 64 * s}, {want: 128 * s}, {want: 256 * s},
		{want: 5 * time.Minute}, {want: 5 * time.Minute},
		// The sink resolves: the next wait starts over.
		{sink: true},
		{want: 2 * s}, {want: 4 * s},
	}
	sinkExists := false
	for i, st := range steps {
		if st.sink && !sinkExists {
			createKsvc(t, c, "dead-letters", "http://127.0.0.1:4001")
		} else if !st.sink && sinkExists {
			if _, err := c.Store.Delete(ctx, typed.Key("serving.knative.dev", "services", ns, "dead-letters"), store.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		sinkExists = st.sink
		in.setEnsureErr(st.ensureErr)
		err := r.Reconcile(ctx, brokerKey("b"))
		var ra controller.RequeueAfter
		switch {
		case st.ensureErr != nil:
			if !errors.Is(err, st.ensureErr) {
				t.Fatalf("reconcile #%d = %v, want %v", i, err, st.ensureErr)
			}
		case st.want == 0:
			if err != nil {
				t.Fatalf("reconcile #%d = %v, want nil", i, err)
			}
		case !errors.As(err, &ra) || ra.After != st.want:
			t.Fatalf("reconcile #%d = %v, want RequeueAfter %v", i, err, st.want)
		}
	}

	// A deleted broker forgets its delays: one made again under its name
	// starts over.
	if _, err := c.Store.Delete(ctx, brokerKey("b"), store.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := r.Reconcile(ctx, brokerKey("b")); err != nil {
		t.Fatalf("Reconcile(deleted) = %v", err)
	}
	createBroker(t, c, "b", nil, sink)
	var ra controller.RequeueAfter
	if err := r.Reconcile(ctx, brokerKey("b")); !errors.As(err, &ra) || ra.After != 2*s {
		t.Errorf("Reconcile(made again) = %v, want RequeueAfter 2s", err)
	}
}

// TestReconcileRecovers: a stream that failed and then is made turns the
// broker Ready, with its address.
func TestReconcileRecovers(t *testing.T) {
	c := newClient(t)
	createBroker(t, c, "b", nil, nil)
	in := &fakeIngress{ensureErr: errStream}
	r := newReconciler(c, in)
	if err := r.Reconcile(context.Background(), brokerKey("b")); !errors.Is(err, errStream) {
		t.Fatalf("Reconcile() = %v, want %v", err, errStream)
	}
	if got := getBroker(t, c, "b").Status.GetCondition(eventingv1.BrokerConditionReady); !got.IsFalse() {
		t.Fatalf("Ready after a failed stream = %+v, want False", got)
	}
	in.setEnsureErr(nil)
	if err := r.Reconcile(context.Background(), brokerKey("b")); err != nil {
		t.Fatalf("Reconcile() = %v", err)
	}
	b := getBroker(t, c, "b")
	for typ, got := range conds(&b.Status.Status) {
		want := "True//"
		if typ == eventingv1.BrokerConditionDeadLetterSinkResolved {
			want = dlsNotConfigured
		}
		if got != want {
			t.Errorf("%s = %q, want %q", typ, got, want)
		}
	}
	if b.Status.Address == nil || b.Status.Address.URL.String() != baseURL+"/default/b" {
		t.Errorf("address = %+v, want %s/default/b", b.Status.Address, baseURL)
	}
}

// TestReconcileObservedGeneration: a spec change is observed, and a
// reconcile that changes nothing writes nothing.
func TestReconcileObservedGeneration(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	createBroker(t, c, "b", nil, nil)
	r := newReconciler(c, &fakeIngress{})
	if err := r.Reconcile(ctx, brokerKey("b")); err != nil {
		t.Fatal(err)
	}
	o1, err := c.Store.Get(ctx, brokerKey("b"))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Reconcile(ctx, brokerKey("b")); err != nil {
		t.Fatal(err)
	}
	o2, err := c.Store.Get(ctx, brokerKey("b"))
	if err != nil {
		t.Fatal(err)
	}
	if o2.Revision != o1.Revision {
		t.Errorf("a reconcile with nothing to do wrote the broker: revision %d -> %d", o1.Revision, o2.Revision)
	}

	b := getBroker(t, c, "b")
	old := typed.Clone(b)
	b.Spec.Delivery = &duckv1.DeliverySpec{Retry: ptr[int32](3)}
	if err := c.Update(ctx, brokerKey("b"), b, old); err != nil {
		t.Fatal(err)
	}
	if err := r.Reconcile(ctx, brokerKey("b")); err != nil {
		t.Fatal(err)
	}
	b = getBroker(t, c, "b")
	if b.Generation != 2 || b.Status.ObservedGeneration != 2 {
		t.Errorf("generation %d, observedGeneration %d; want 2 and 2", b.Generation, b.Status.ObservedGeneration)
	}
	if !b.IsReady() {
		t.Errorf("IsReady() = false, conditions %v", conds(&b.Status.Status))
	}
}

func TestReconcileDeleted(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	errRemove := errors.New("stream busy")
	tests := []struct {
		name       string
		finalizers []string
		removeErr  error
	}{
		{name: "gone"},
		{name: "being deleted", finalizers: []string{"test/hold"}},
		{name: "remove fails", removeErr: errRemove},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := objectName(tt.name)
			createBroker(t, c, name, nil, nil, tt.finalizers...)
			in := &fakeIngress{}
			r := newReconciler(c, in)
			if err := r.Reconcile(ctx, brokerKey(name)); err != nil {
				t.Fatal(err)
			}
			in.takeCalls()
			if _, err := c.Store.Delete(ctx, brokerKey(name), store.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
			in.mu.Lock()
			in.removeErr = tt.removeErr
			in.mu.Unlock()
			if err := r.Reconcile(ctx, brokerKey(name)); !errors.Is(err, tt.removeErr) || (tt.removeErr == nil && err != nil) {
				t.Errorf("Reconcile(deleted) = %v, want %v", err, tt.removeErr)
			}
			want := []ingressCall{ingressCall("remove default/" + name)}
			if diff := cmp.Diff(want, in.takeCalls()); diff != "" {
				t.Errorf("ingress calls (-want +got):\n%s", diff)
			}
		})
	}
}

// runController runs the Broker controller until the test ends.
func runController(t *testing.T, c *typed.Client, in Ingress) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- NewController(c, in, baseURL, nil).Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run() = %v", err)
		}
	})
}

// brokerCondition polls for the broker's condition typ to be want
// ("Status/Reason/Message"; a trailing "*" matches any rest).
func brokerCondition(c *typed.Client, name, typ, want string) func() error {
	return func() error {
		b := &eventingv1.Broker{}
		if err := c.Get(context.Background(), brokerKey(name), b); err != nil {
			return err
		}
		got := conds(&b.Status.Status)[typ]
		if prefix, ok := strings.CutSuffix(want, "*"); ok && strings.HasPrefix(got, prefix) || got == want {
			return nil
		}
		return fmt.Errorf("%s = %q, want %q", typ, got, want)
	}
}

// TestController runs the real controller (watch, queue, workers) on the
// real store: a broker is made Ready, then its stream is removed when it is
// deleted.
func TestController(t *testing.T) {
	c := newClient(t)
	in := &fakeIngress{}
	runController(t, c, in)
	createBroker(t, c, "b", map[string]string{eventingv1.BrokerClassAnnotationKey: InMemoryClass}, nil)
	storetest.CheckFor(t, 5*time.Second, brokerCondition(c, "b", eventingv1.BrokerConditionReady, "True//"))
	if _, err := c.Store.Delete(context.Background(), brokerKey("b"), store.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	storetest.CheckFor(t, 5*time.Second, func() error {
		in.mu.Lock()
		defer in.mu.Unlock()
		if n := len(in.calls); n == 0 || in.calls[n-1] != "remove default/b" {
			return fmt.Errorf("ingress calls = %q, want the last to be remove default/b", in.calls)
		}
		for _, call := range in.calls[:len(in.calls)-1] {
			if call != "ensure default/b memory=true" {
				return fmt.Errorf("ingress calls = %q, want ensures of an in-memory stream, then its removal", in.calls)
			}
		}
		return nil
	})
}

// TestControllerResolvesLateDeadLetterSink: a Broker applied before the
// ksvc its dead letter sink names (kubectl apply -f dir/ does that in name
// order) must become Ready once the ksvc has an address.
func TestControllerResolvesLateDeadLetterSink(t *testing.T) {
	c := newClient(t)
	runController(t, c, &fakeIngress{})
	createBroker(t, c, "b", nil, &duckv1.DeliverySpec{DeadLetterSink: &duckv1.Destination{
		Ref: &duckv1.KReference{APIVersion: "serving.knative.dev/v1", Kind: "Service", Name: "dead-letters"},
	}})
	storetest.CheckFor(t, 5*time.Second, brokerCondition(c, "b", eventingv1.BrokerConditionDeadLetterSinkResolved, "False/"+dlsFailedReason+"/*"))
	createKsvc(t, c, "dead-letters", "http://127.0.0.1:4001")
	storetest.CheckFor(t, 5*time.Second, brokerCondition(c, "b", eventingv1.BrokerConditionReady, "True//"))
}
