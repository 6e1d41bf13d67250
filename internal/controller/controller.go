package controller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/skiff-sh/skiff/internal/store"
)

// Reconciler converges the world towards one object's spec. It is
// level-triggered: it reads the object (which may be gone) and everything it
// depends on, and acts on what it sees, never on the event that woke it.
type Reconciler interface {
	Reconcile(ctx context.Context, key store.Key) error
}

// ReconcilerFunc adapts a function to Reconciler.
type ReconcilerFunc func(ctx context.Context, key store.Key) error

// Reconcile calls f.
func (f ReconcilerFunc) Reconcile(ctx context.Context, key store.Key) error { return f(ctx, key) }

// RequeueAfter is returned (wrapped or not) by a Reconciler that succeeded
// but wants to look at the key again after a while.
type RequeueAfter struct{ After time.Duration }

func (r RequeueAfter) Error() string { return fmt.Sprintf("requeue after %s", r.After) }

// Source is one watch that feeds the queue: every change of a watched
// object becomes the keys Map returns (nil Map: the object's own key).
type Source struct {
	Watch store.WatchOptions
	Map   func(obj *store.Object) []store.Key
}

// AllInNamespace is a Source.Map that turns a change of any object into the
// keys of every object of group/resource in its namespace: for objects that
// refer to others by name, when finding the referrers would cost more than
// waking them all.
func AllInNamespace(st store.Store, group, resource string) func(obj *store.Object) []store.Key {
	return func(o *store.Object) []store.Key {
		list, err := st.List(context.Background(), store.ListOptions{Group: group, Resource: resource, Namespace: o.Key.Namespace})
		if err != nil {
			return nil
		}
		keys := make([]store.Key, 0, len(list.Items))
		for _, it := range list.Items {
			keys = append(keys, it.Key)
		}
		return keys
	}
}

// Controller runs one Reconciler over the keys its sources produce.
type Controller struct {
	name       string
	store      store.Store
	reconciler Reconciler
	sources    []Source
	queue      *Queue
	workers    int
	log        *slog.Logger
}

// Options configure a Controller.
type Options struct {
	// Workers is the number of keys reconciled at once (default 2).
	Workers int
	// Clock is the queue's time source (default: the real clock).
	Clock  Clock
	Logger *slog.Logger
}

// New builds a controller named name that reconciles with r the keys of
// the objects its sources see. The primary source is usually the kind's own
// watch; more sources map children or dependencies back to their owner.
func New(name string, st store.Store, r Reconciler, sources []Source, opts Options) *Controller {
	if opts.Workers <= 0 {
		opts.Workers = 2
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Controller{
		name: name, store: st, reconciler: r, sources: sources,
		queue: NewQueue(opts.Clock), workers: opts.Workers,
		log: log.With("controller", name),
	}
}

// Enqueue queues key for reconciliation, for callers outside the watches
// (a data plane noticing a change, say).
func (c *Controller) Enqueue(key store.Key) { c.queue.Add(key) }

// Run watches and reconciles until ctx ends, then waits for its workers.
func (c *Controller) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for _, src := range c.sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.watch(ctx, src)
		}()
	}
	for range c.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.work(ctx)
		}()
	}
	<-ctx.Done()
	c.queue.ShutDown()
	wg.Wait()
	return nil
}

// watch follows one source, watching again from the last revision when the
// store closes the stream, and from scratch (replaying every object) when
// that revision has expired.
func (c *Controller) watch(ctx context.Context, src Source) {
	opts := src.Watch
	opts.Revision = 0
	for ctx.Err() == nil {
		events, err := c.store.Watch(ctx, opts)
		if errors.Is(err, store.ErrExpired) {
			opts.Revision = 0
			continue
		}
		if err != nil {
			c.log.Error("watch failed", "resource", opts.Resource, "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
			continue
		}
		for ev := range events {
			opts.Revision = ev.Object.Revision
			if src.Map == nil {
				c.queue.Add(ev.Object.Key)
				continue
			}
			for _, k := range src.Map(ev.Object) {
				c.queue.Add(k)
			}
		}
	}
}

func (c *Controller) work(ctx context.Context) {
	for {
		key, ok := c.queue.Get()
		if !ok {
			return
		}
		c.process(ctx, key)
		c.queue.Done(key)
	}
}

func (c *Controller) process(ctx context.Context, key store.Key) {
	err := c.reconciler.Reconcile(ctx, key)
	var ra RequeueAfter
	switch {
	case err == nil:
		c.queue.Forget(key)
	case errors.As(err, &ra):
		c.queue.Forget(key)
		c.queue.AddAfter(key, ra.After)
	case ctx.Err() != nil:
	default:
		d := c.queue.Retry(key)
		c.log.Warn("reconcile failed", "key", key.Namespace+"/"+key.Name, "retry_in", d, "err", err)
	}
}
