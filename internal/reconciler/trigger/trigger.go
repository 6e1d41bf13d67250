// Package trigger reconciles Knative Triggers: it resolves the subscriber
// and the dead letter sink, compiles the filter, and runs the trigger's
// durable consumer on its broker's stream through the dispatcher. A
// Trigger that cannot deliver for a while is stopped and keeps its
// consumer, so that the events its broker accepts meanwhile wait for it;
// only the Trigger's deletion deletes the consumer.
package trigger

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/skiff-sh/skiff/internal/apis"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
	eventingv1 "github.com/skiff-sh/skiff/internal/apis/eventing/v1"
	"github.com/skiff-sh/skiff/internal/controller"
	"github.com/skiff-sh/skiff/internal/eventing/dispatch"
	"github.com/skiff-sh/skiff/internal/eventing/filter"
	"github.com/skiff-sh/skiff/internal/reconciler/resolver"
	"github.com/skiff-sh/skiff/internal/reconciler/typed"
	"github.com/skiff-sh/skiff/internal/store"
)

const group = "eventing.knative.dev"

// Dispatcher runs trigger consumers.
type Dispatcher interface {
	// SetTrigger starts or updates the Trigger's delivery, resuming its
	// consumer where a StopTrigger left it.
	SetTrigger(ctx context.Context, t dispatch.Trigger) error
	// StopTrigger stops the Trigger's delivery and keeps its consumer.
	StopTrigger(namespace, name string)
	// RemoveTrigger stops the Trigger's delivery and deletes its consumer.
	RemoveTrigger(ctx context.Context, namespace, name, uid string) error
}

var _ Dispatcher = (*dispatch.Dispatcher)(nil)

// Reasons of the Trigger's conditions.
const (
	reasonBrokerDoesNotExist = "BrokerDoesNotExist"
	reasonBrokerNotReady     = "BrokerNotReady"
	// The two below are Knative's.
	reasonSubscriberUnresolved     = "Unable to get the Subscriber's URI"
	reasonDeadLetterSinkUnresolved = "Unable to get the dead letter sink's URI"
	reasonDeliveryInvalid          = "DeliveryInvalid"
	reasonFilterInvalid            = "FilterInvalid"
	reasonConsumerFailed           = "ConsumerFailed"
)

// Reconciler reconciles one Trigger.
type Reconciler struct {
	c        *typed.Client
	d        Dispatcher
	resolver *resolver.Resolver
	// rechecks paces the reconciles of Triggers whose subscriber or dead
	// letter sink does not resolve.
	rechecks *controller.Rechecks

	mu        sync.Mutex          // guards consumers
	consumers map[string]consumer // "ns/name" -> the consumer it was set with
}

// consumer names the durable consumer a Trigger was set with. It outlives
// a StopTrigger: the consumer is still there, and is deleted when the
// Trigger is, or when the Trigger moves to another broker or uid.
type consumer struct{ uid, broker string }

var _ controller.Reconciler = (*Reconciler)(nil)

// errUnresolved marks a destination that did not resolve (yet).
var errUnresolved = errors.New("destination not resolved")

// Bounds of the rechecks of a Trigger whose subscriber or dead letter sink
// does not resolve, for destinations of kinds whose changes are not
// watched: 2 s, then doubling up to 5 minutes, each up to a tenth shorter
// so that Triggers waiting on the same destination spread out.
const (
	recheckFirst  = 2 * time.Second
	recheckMax    = 5 * time.Minute
	recheckJitter = 0.1
)

func newRechecks() *controller.Rechecks {
	return &controller.Rechecks{First: recheckFirst, Max: recheckMax, Jitter: recheckJitter}
}

// NewController returns the Trigger controller. Changes of Brokers and of
// Knative Services (subscribers' addresses) wake the namespace's Triggers
// at once, whatever their recheck delay.
func NewController(c *typed.Client, d Dispatcher, logger *slog.Logger) *controller.Controller {
	r := &Reconciler{c: c, d: d, resolver: &resolver.Resolver{Store: c.Store}, rechecks: newRechecks(), consumers: map[string]consumer{}}
	triggersOf := controller.AllInNamespace(c.Store, group, "triggers")
	return controller.New("trigger", c.Store, r, []controller.Source{
		{Watch: store.WatchOptions{Group: group, Resource: "triggers"}},
		{Watch: store.WatchOptions{Group: group, Resource: "brokers"}, Map: triggersOf},
		{Watch: store.WatchOptions{Group: "serving.knative.dev", Resource: "services"}, Map: triggersOf},
	}, controller.Options{Logger: logger})
}

// remove deletes the trigger's consumer, if this reconciler set one (uid,
// when known, names it otherwise), whether it runs or was stopped; the
// record is dropped only once the removal succeeded, so that a failure is
// retried.
func (r *Reconciler) remove(ctx context.Context, key store.Key, uid string) error {
	id := key.Namespace + "/" + key.Name
	r.mu.Lock()
	if c, ok := r.consumers[id]; ok {
		uid = c.uid
	}
	r.mu.Unlock()
	if uid == "" {
		return nil
	}
	if err := r.d.RemoveTrigger(ctx, key.Namespace, key.Name, uid); err != nil {
		return err
	}
	r.mu.Lock()
	delete(r.consumers, id)
	r.mu.Unlock()
	return nil
}

// stale reports whether the trigger was set with a consumer it no longer
// owns: one of another uid (the Trigger was deleted and made again under
// its name) or on another broker. The dispatcher replaces such a consumer
// when it runs, but knows nothing of a stopped one, which would be left
// behind, and resumed with old events were the Trigger to move back.
func (r *Reconciler) stale(t *eventingv1.Trigger) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.consumers[t.Namespace+"/"+t.Name]
	return ok && (c.uid != string(t.UID) || c.broker != t.Spec.Broker)
}

// Reconcile implements controller.Reconciler.
func (r *Reconciler) Reconcile(ctx context.Context, key store.Key) error {
	t := &eventingv1.Trigger{}
	if err := r.c.Get(ctx, key, t); err != nil {
		if typed.IsNotFound(err) {
			r.rechecks.Reset(key)
			return r.remove(ctx, key, "")
		}
		return err
	}
	if t.DeletionTimestamp != nil {
		r.rechecks.Reset(key)
		return r.remove(ctx, key, string(t.UID))
	}
	if r.stale(t) {
		if err := r.remove(ctx, key, ""); err != nil {
			return err
		}
	}
	before := typed.Clone(t.Status)
	now := r.c.Now()
	t.Status.InitializeConditions(now)
	t.Status.ObservedGeneration = t.Generation
	subscribed, err := r.reconcile(ctx, t, now)
	if errors.Is(err, errUnresolved) {
		// Only Brokers and Knative Services are watched; whatever else a
		// destination is (a Route, a Channel, ...) is looked at again, less
		// and less often.
		err = r.rechecks.Next(key)
	} else {
		r.rechecks.Reset(key)
	}
	if (err == nil || errors.As(err, new(controller.RequeueAfter))) && !subscribed {
		// A trigger that cannot deliver (no broker, broker not ready, a
		// filter or destination that does not resolve) stops, and its
		// consumer keeps the events until it can.
		r.d.StopTrigger(key.Namespace, key.Name)
	}
	if !typed.Equal(before, t.Status) {
		if werr := r.c.UpdateStatus(ctx, key, t); werr != nil {
			return werr
		}
	}
	return err
}

func (r *Reconciler) reconcile(ctx context.Context, t *eventingv1.Trigger, now time.Time) (bool, error) {
	b := &eventingv1.Broker{}
	if err := r.c.Get(ctx, typed.Key(group, "brokers", t.Namespace, t.Spec.Broker), b); err != nil {
		if typed.IsNotFound(err) {
			msg := fmt.Sprintf("Broker %q does not exist", t.Spec.Broker)
			t.Status.MarkBrokerFailed(now, reasonBrokerDoesNotExist, msg)
			t.Status.MarkSubscribedUnknown(now, reasonBrokerDoesNotExist, msg)
			return false, nil
		}
		return false, err
	}
	t.Status.PropagateBrokerCondition(now, b.Status.GetTopLevelCondition())
	t.Status.MarkDependencySucceeded(now)

	sub, err := r.resolver.Resolve(ctx, t.Namespace, t.Spec.Subscriber)
	if err != nil {
		t.Status.MarkSubscriberResolvedFailed(now, reasonSubscriberUnresolved, err.Error())
		t.Status.MarkSubscribedUnknown(now, reasonSubscriberUnresolved, err.Error())
		return false, fmt.Errorf("subscriber: %w: %w", errUnresolved, err)
	}
	su, _ := apis.ParseURL(sub.String())
	t.Status.SubscriberURI = su
	t.Status.MarkSubscriberResolvedSucceeded(now, &duckv1.Addressable{URL: su})

	// A trigger's delivery replaces the broker's whole, as in Knative.
	spec := b.Spec.Delivery
	if t.Spec.Delivery != nil {
		spec = t.Spec.Delivery
	}
	d, err := r.delivery(ctx, t, spec, now)
	switch {
	case errors.Is(err, errUnresolved):
		return false, err
	case err != nil:
		// Validation rejects these; a stored one waits for a fix.
		t.Status.MarkNotSubscribed(now, reasonDeliveryInvalid, err.Error())
		return false, nil
	}
	var attrs map[string]string
	if t.Spec.Filter != nil {
		attrs = t.Spec.Filter.Attributes
	}
	f, err := filter.Compile(attrs, t.Spec.Filters)
	if err != nil {
		t.Status.MarkNotSubscribed(now, reasonFilterInvalid, err.Error())
		return false, nil
	}
	if c := b.Status.GetTopLevelCondition(); c == nil || !c.IsTrue() {
		t.Status.MarkSubscribedUnknown(now, reasonBrokerNotReady, "the Broker is not ready")
		return false, nil
	}
	if err := r.d.SetTrigger(ctx, dispatch.Trigger{
		Namespace: t.Namespace, Name: t.Name, UID: string(t.UID), Broker: t.Spec.Broker,
		Filter: f, SubscriberURL: sub.String(), Delivery: d,
	}); err != nil {
		// The error is retried with backoff; the dispatcher keeps a consumer
		// it could not replace, and this reconciler its record.
		t.Status.MarkNotSubscribed(now, reasonConsumerFailed, err.Error())
		return false, err
	}
	r.mu.Lock()
	r.consumers[t.Namespace+"/"+t.Name] = consumer{uid: string(t.UID), broker: t.Spec.Broker}
	r.mu.Unlock()
	t.Status.MarkSubscribed(now)
	return true, nil
}

// delivery resolves a DeliverySpec into the dispatcher's terms and records
// the dead letter sink in the status.
func (r *Reconciler) delivery(ctx context.Context, t *eventingv1.Trigger, spec *duckv1.DeliverySpec, now time.Time) (dispatch.Delivery, error) {
	var d dispatch.Delivery
	if spec == nil {
		t.Status.MarkDeadLetterSinkNotConfigured(now)
		return d, nil
	}
	if spec.Retry != nil {
		d.Retry = int(*spec.Retry)
	}
	if spec.BackoffPolicy != nil {
		d.BackoffPolicy = string(*spec.BackoffPolicy)
	}
	if spec.Format != nil {
		d.Format = string(*spec.Format)
	}
	for _, it := range []struct {
		v   *string
		dst *time.Duration
	}{{spec.BackoffDelay, &d.BackoffDelay}, {spec.Timeout, &d.Timeout}, {spec.RetryAfterMax, &d.RetryAfterMax}} {
		if it.v == nil {
			continue
		}
		dur, err := duckv1.ParseISO8601Duration(*it.v)
		if err != nil {
			return d, fmt.Errorf("delivery duration %q: %w", *it.v, err)
		}
		*it.dst = dur
	}
	if spec.DeadLetterSink == nil {
		t.Status.MarkDeadLetterSinkNotConfigured(now)
		return d, nil
	}
	u, err := r.resolver.Resolve(ctx, t.Namespace, *spec.DeadLetterSink)
	if err != nil {
		t.Status.MarkDeadLetterSinkResolvedFailed(now, reasonDeadLetterSinkUnresolved, err.Error())
		t.Status.MarkSubscribedUnknown(now, reasonDeadLetterSinkUnresolved, err.Error())
		return d, fmt.Errorf("dead letter sink: %w: %w", errUnresolved, err)
	}
	d.DeadLetterURL = u.String()
	du, _ := apis.ParseURL(u.String())
	t.Status.DeadLetterSinkURI = du
	t.Status.MarkDeadLetterSinkResolvedSucceeded(now, duckv1.DeliveryStatus{DeadLetterSinkURI: du})
	return d, nil
}
