// Package trigger reconciles Knative Triggers: it resolves the subscriber
// and the dead letter sink, compiles the filter, and runs the trigger's
// durable consumer on its broker's stream through the dispatcher.
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
	SetTrigger(ctx context.Context, t dispatch.Trigger) error
	RemoveTrigger(ctx context.Context, namespace, name, uid string) error
}

// Reconciler reconciles one Trigger.
type Reconciler struct {
	c        *typed.Client
	d        Dispatcher
	resolver *resolver.Resolver

	mu   sync.Mutex        // guards uids
	uids map[string]string // "ns/name" -> uid of the running consumer
}

var _ controller.Reconciler = (*Reconciler)(nil)

// errUnresolved marks a destination that did not resolve (yet).
var errUnresolved = errors.New("destination not resolved")

// recheckUnresolved is how soon a Trigger or Broker whose subscriber or
// dead letter sink did not resolve is reconciled again, for destinations
// of kinds whose changes are not watched.
const recheckUnresolved = 2 * time.Second

// NewController returns the Trigger controller. Changes of Brokers and of
// Knative Services (subscribers' addresses) wake the namespace's Triggers.
func NewController(c *typed.Client, d Dispatcher, logger *slog.Logger) *controller.Controller {
	r := &Reconciler{c: c, d: d, resolver: &resolver.Resolver{Store: c.Store}, uids: map[string]string{}}
	triggersOf := func(o *store.Object) []store.Key {
		list, err := c.Store.List(context.Background(), store.ListOptions{Group: group, Resource: "triggers", Namespace: o.Key.Namespace})
		if err != nil {
			return nil
		}
		keys := make([]store.Key, 0, len(list.Items))
		for _, it := range list.Items {
			keys = append(keys, it.Key)
		}
		return keys
	}
	return controller.New("trigger", c.Store, r, []controller.Source{
		{Watch: store.WatchOptions{Group: group, Resource: "triggers"}},
		{Watch: store.WatchOptions{Group: group, Resource: "brokers"}, Map: triggersOf},
		{Watch: store.WatchOptions{Group: "serving.knative.dev", Resource: "services"}, Map: triggersOf},
	}, controller.Options{Logger: logger})
}

// remove stops the trigger's consumer, if this reconciler started one
// (uid, when known, names it otherwise); the record is dropped only once
// the removal succeeded, so that a failure is retried.
func (r *Reconciler) remove(ctx context.Context, key store.Key, uid string) error {
	id := key.Namespace + "/" + key.Name
	r.mu.Lock()
	if u, ok := r.uids[id]; ok {
		uid = u
	}
	r.mu.Unlock()
	if uid == "" {
		return nil
	}
	if err := r.d.RemoveTrigger(ctx, key.Namespace, key.Name, uid); err != nil {
		return err
	}
	r.mu.Lock()
	delete(r.uids, id)
	r.mu.Unlock()
	return nil
}

// Reconcile implements controller.Reconciler.
func (r *Reconciler) Reconcile(ctx context.Context, key store.Key) error {
	t := &eventingv1.Trigger{}
	if err := r.c.Get(ctx, key, t); err != nil {
		if typed.IsNotFound(err) {
			return r.remove(ctx, key, "")
		}
		return err
	}
	if t.DeletionTimestamp != nil {
		return r.remove(ctx, key, string(t.UID))
	}
	before := typed.Clone(t.Status)
	now := r.c.Now()
	t.Status.InitializeConditions(now)
	t.Status.ObservedGeneration = t.Generation
	subscribed, err := r.reconcile(ctx, t, now)
	var recheck controller.RequeueAfter
	if (err == nil || errors.As(err, &recheck)) && !subscribed {
		// A trigger that cannot deliver (no broker, broker not ready, a
		// filter or destination that does not resolve) runs no consumer.
		if rerr := r.remove(ctx, key, ""); rerr != nil {
			err = rerr
		}
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
			t.Status.MarkBrokerFailed(now, "BrokerDoesNotExist", fmt.Sprintf("Broker %q does not exist", t.Spec.Broker))
			return false, nil
		}
		return false, err
	}
	t.Status.PropagateBrokerCondition(now, b.Status.GetTopLevelCondition())
	t.Status.MarkDependencySucceeded(now)

	sub, err := r.resolver.Resolve(ctx, t.Namespace, t.Spec.Subscriber)
	if err != nil {
		t.Status.MarkSubscriberResolvedFailed(now, "Unable to get the Subscriber's URI", err.Error())
		// Only Brokers and Knative Services are watched; whatever else the
		// subscriber is (a Route, a Channel, ...) is looked at again.
		return false, controller.RequeueAfter{After: recheckUnresolved}
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
		return false, controller.RequeueAfter{After: recheckUnresolved}
	case err != nil:
		// Validation rejects these; a stored one waits for a fix.
		t.Status.MarkNotSubscribed(now, "DeliveryInvalid", err.Error())
		return false, nil
	}
	var attrs map[string]string
	if t.Spec.Filter != nil {
		attrs = t.Spec.Filter.Attributes
	}
	f, err := filter.Compile(attrs, t.Spec.Filters)
	if err != nil {
		t.Status.MarkNotSubscribed(now, "FilterInvalid", err.Error())
		return false, nil
	}
	if c := b.Status.GetTopLevelCondition(); c == nil || !c.IsTrue() {
		t.Status.MarkSubscribedUnknown(now, "BrokerNotReady", "the Broker is not ready")
		return false, nil
	}
	if err := r.d.SetTrigger(ctx, dispatch.Trigger{
		Namespace: t.Namespace, Name: t.Name, UID: string(t.UID), Broker: t.Spec.Broker,
		Filter: f, SubscriberURL: sub.String(), Delivery: d,
	}); err != nil {
		t.Status.MarkNotSubscribed(now, "ConsumerFailed", err.Error())
		return false, err
	}
	r.mu.Lock()
	r.uids[t.Namespace+"/"+t.Name] = string(t.UID)
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
		t.Status.MarkDeadLetterSinkResolvedFailed(now, "Unable to get the dead letter sink's URI", err.Error())
		return d, fmt.Errorf("%w: %w", errUnresolved, err)
	}
	d.DeadLetterURL = u.String()
	du, _ := apis.ParseURL(u.String())
	t.Status.DeadLetterSinkURI = du
	t.Status.MarkDeadLetterSinkResolvedSucceeded(now, duckv1.DeliveryStatus{DeadLetterSinkURI: du})
	return d, nil
}
