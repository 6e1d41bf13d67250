// Package broker reconciles Knative Brokers: each gets a JetStream stream
// (file storage for the default, durable class; memory storage for the
// in-memory class) behind skiff's broker ingress, and an address at
// http://<ingress>/<namespace>/<name> that any program can dial.
package broker

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/skiff-sh/skiff/internal/apis"
	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
	eventingv1 "github.com/skiff-sh/skiff/internal/apis/eventing/v1"
	"github.com/skiff-sh/skiff/internal/controller"
	"github.com/skiff-sh/skiff/internal/reconciler/resolver"
	"github.com/skiff-sh/skiff/internal/reconciler/typed"
	"github.com/skiff-sh/skiff/internal/store"
)

const group = "eventing.knative.dev"

// InMemoryClass is the broker class whose events are kept in memory only
// (lost when skiff stops); every other class is durable.
const InMemoryClass = "InMemory"

// Ingress is the broker ingress as the reconciler drives it.
type Ingress interface {
	EnsureBroker(ctx context.Context, namespace, name string, memory bool) error
	RemoveBroker(ctx context.Context, namespace, name string) error
}

// Reconciler reconciles one Broker.
type Reconciler struct {
	c        *typed.Client
	ingress  Ingress
	resolver *resolver.Resolver
	// BaseURL is the ingress's URL, "http://127.0.0.1:8080".
	baseURL string
	// rechecks paces the reconciles of Brokers whose dead letter sink does
	// not resolve: each of them ensures the stream again.
	rechecks *controller.Rechecks
}

var _ controller.Reconciler = (*Reconciler)(nil)

// Bounds of the rechecks of a Broker whose dead letter sink does not
// resolve, for sinks of kinds whose changes are not watched: 2 s, then
// doubling up to 5 minutes, each up to a tenth shorter so that Brokers
// waiting on the same sink spread out.
const (
	recheckFirst  = 2 * time.Second
	recheckMax    = 5 * time.Minute
	recheckJitter = 0.1
)

func newRechecks() *controller.Rechecks {
	return &controller.Rechecks{First: recheckFirst, Max: recheckMax, Jitter: recheckJitter}
}

// NewController returns the Broker controller. Changes of Knative Services
// wake the namespace's Brokers at once, whatever their recheck delay.
func NewController(c *typed.Client, ingress Ingress, baseURL string, logger *slog.Logger) *controller.Controller {
	r := &Reconciler{c: c, ingress: ingress, resolver: &resolver.Resolver{Store: c.Store}, baseURL: baseURL, rechecks: newRechecks()}
	brokersOf := controller.AllInNamespace(c.Store, group, "brokers")
	return controller.New("broker", c.Store, r, []controller.Source{
		{Watch: store.WatchOptions{Group: group, Resource: "brokers"}},
		// Dead letter sinks are most often Knative Services.
		{Watch: store.WatchOptions{Group: "serving.knative.dev", Resource: "services"}, Map: brokersOf},
	}, controller.Options{Logger: logger})
}

// Reconcile implements controller.Reconciler.
func (r *Reconciler) Reconcile(ctx context.Context, key store.Key) error {
	b := &eventingv1.Broker{}
	if err := r.c.Get(ctx, key, b); err != nil {
		if typed.IsNotFound(err) {
			r.rechecks.Reset(key)
			return r.ingress.RemoveBroker(ctx, key.Namespace, key.Name)
		}
		return err
	}
	if b.DeletionTimestamp != nil {
		r.rechecks.Reset(key)
		return r.ingress.RemoveBroker(ctx, key.Namespace, key.Name)
	}
	before := typed.Clone(b.Status)
	now := r.c.Now()
	b.Status.InitializeConditions(now)
	b.Status.ObservedGeneration = b.Generation
	memory := b.Annotations[eventingv1.BrokerClassAnnotationKey] == InMemoryClass
	ensureErr := r.ingress.EnsureBroker(ctx, b.Namespace, b.Name, memory)
	if err := ensureErr; err != nil {
		b.Status.MarkIngressFailed(now, "StreamFailed", err.Error())
		b.Status.MarkTriggerChannelFailed(now, "StreamFailed", err.Error())
	} else {
		b.Status.MarkIngressReady(now)
		b.Status.MarkTriggerChannelReady(now)
		b.Status.MarkFilterReady(now)
		u, _ := apis.ParseURL(r.baseURL + "/" + b.Namespace + "/" + b.Name)
		b.Status.SetAddress(now, &duckv1.Addressable{URL: u})
	}
	unresolved := false
	if b.Spec.Delivery != nil && b.Spec.Delivery.DeadLetterSink != nil {
		u, err := r.resolver.Resolve(ctx, b.Namespace, *b.Spec.Delivery.DeadLetterSink)
		if err != nil {
			b.Status.MarkDeadLetterSinkResolvedFailed(now, "Unable to get the dead letter sink's URI", err.Error())
			unresolved = true
		} else {
			du, _ := apis.ParseURL(u.String())
			b.Status.MarkDeadLetterSinkResolvedSucceeded(now, duckv1.DeliveryStatus{DeadLetterSinkURI: du})
		}
	} else {
		b.Status.MarkDeadLetterSinkNotConfigured(now)
	}
	if !unresolved {
		r.rechecks.Reset(key)
	}
	if !typed.Equal(before, b.Status) {
		if err := r.c.UpdateStatus(ctx, key, b); err != nil {
			return err
		}
	}
	if ensureErr != nil {
		// A stream that could not be made is tried again with backoff.
		return fmt.Errorf("broker %s/%s: %w", b.Namespace, b.Name, ensureErr)
	}
	if unresolved {
		// Sinks of kinds whose changes are not watched are looked at
		// again, less and less often.
		return r.rechecks.Next(key)
	}
	return nil
}
