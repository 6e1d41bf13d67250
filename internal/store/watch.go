package store

import (
	"context"
	"fmt"
	"sort"

	"k8s.io/apimachinery/pkg/labels"
)

// change is one event as the cache saw it, before a watch's selector turns
// it into the Event that watch sees.
type change struct {
	typ EventType
	// obj is the new state; for Deleted, the last state at the revision of
	// the delete.
	obj *Object
	// prev is the previous live state (nil for Added).
	prev *Object
	// prevRev is the revision of the key's previous KV entry (a value or a
	// delete marker), 0 when the key had none. It lets a watch resuming from
	// before the ring's floor prove it misses nothing.
	prevRev int64
	// prevAtRev is prev at obj's revision, set when the labels changed: a
	// watch whose selector stops matching sees it as Deleted.
	prevAtRev *Object
}

// ring keeps the latest events, oldest first.
type ring struct {
	buf   []change
	start int // index of the oldest
	n     int
}

func newRing(size int) ring { return ring{buf: make([]change, size)} }

// push appends c, returning the event it dropped to make room.
func (r *ring) push(c change) (dropped change, ok bool) {
	if r.n == len(r.buf) {
		dropped, ok = r.buf[r.start], true
		r.buf[r.start] = c
		r.start = (r.start + 1) % len(r.buf)
		return dropped, ok
	}
	r.buf[(r.start+r.n)%len(r.buf)] = c
	r.n++
	return change{}, false
}

// at returns the i-th oldest event.
func (r *ring) at(i int) *change { return &r.buf[(r.start+i)%len(r.buf)] }

// after returns the index of the first event with a revision above rev.
func (r *ring) after(rev int64) int {
	return sort.Search(r.n, func(i int) bool { return r.at(i).obj.Revision > rev })
}

// watcher is one Watch. Its channel is closed exactly once, by whoever
// removes it from the KV's maps while holding mu.
type watcher struct {
	group, resource string // resource "" for every kind
	namespace, name string
	sel             labels.Selector // nil for all
	// minRev: events at or below it were sent by the replay (or are older
	// than the revision asked for).
	minRev int64
	ch     chan Event
	// stop cancels the context.AfterFunc that removes the watcher when the
	// caller's context ends.
	stop    func() bool
	removed bool // guarded by KV.mu
}

func (w *watcher) matchesKey(k Key) bool {
	return (w.resource == "" || (k.Group == w.group && k.Resource == w.resource)) &&
		(w.namespace == "" || k.Namespace == w.namespace) &&
		(w.name == "" || k.Name == w.name)
}

// event turns c into what w sees, as the Kubernetes watch cache does: with a
// label selector, an object that starts matching is Added and one that stops
// matching is Deleted.
func (w *watcher) event(c *change) (Event, bool) {
	if c.obj.Revision <= w.minRev || !w.matchesKey(c.obj.Key) {
		return Event{}, false
	}
	if w.sel == nil {
		return Event{Type: c.typ, Object: c.obj}, true
	}
	now := matchLabels(w.sel, c.obj)
	if c.typ != Modified {
		return Event{Type: c.typ, Object: c.obj}, now
	}
	before := matchLabels(w.sel, c.prev)
	switch {
	case now && before:
		return Event{Type: Modified, Object: c.obj}, true
	case now:
		return Event{Type: Added, Object: c.obj}, true
	case before:
		o := c.prevAtRev
		if o == nil {
			o = withRevision(c.prev, c.obj.Revision)
		}
		return Event{Type: Deleted, Object: o}, true
	}
	return Event{}, false
}

// Watch streams changes from the cache. See Store.Watch.
func (k *KV) Watch(ctx context.Context, opts WatchOptions) (<-chan Event, error) {
	w := &watcher{
		group: opts.Group, resource: opts.Resource,
		namespace: opts.Namespace, name: opts.Name,
		sel: opts.Labels, minRev: opts.Revision,
	}
	if w.sel != nil && w.sel.Empty() {
		w.sel = nil
	}
	if w.resource == "" {
		w.group = ""
	}

	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return nil, fmt.Errorf("store watch %s: %w", opts.Resource, errClosed)
	}
	var replay []Event
	if opts.Revision <= 0 {
		objs := k.selectLocked(w)
		sortObjects(objs)
		replay = make([]Event, len(objs))
		for i, o := range objs {
			replay[i] = Event{Type: Added, Object: o}
		}
		w.minRev = k.rev
	} else {
		if opts.Revision < k.floor && !k.provenLocked(w, opts.Revision) {
			return nil, fmt.Errorf("store watch %s from %d (oldest %d): %w",
				opts.Resource, opts.Revision, k.floor, ErrExpired)
		}
		for i := k.ring.after(opts.Revision); i < k.ring.n; i++ {
			if ev, ok := w.event(k.ring.at(i)); ok {
				replay = append(replay, ev)
			}
		}
		w.minRev = max(opts.Revision, k.rev)
	}
	w.ch = make(chan Event, len(replay)+k.opts.WatchBuffer)
	for _, ev := range replay {
		w.ch <- ev
	}
	if w.resource == "" {
		k.allKinds[w] = struct{}{}
	} else {
		gr := groupResource{w.group, w.resource}
		ws := k.watchers[gr]
		if ws == nil {
			ws = map[*watcher]struct{}{}
			k.watchers[gr] = ws
		}
		ws[w] = struct{}{}
	}
	// One pending callback counted in wg; it runs at most once. If it never
	// runs (stop succeeds), whoever stopped it calls wg.Done.
	k.wg.Add(1)
	w.stop = context.AfterFunc(ctx, func() {
		k.mu.Lock()
		k.removeWatcherLocked(w)
		k.mu.Unlock()
		k.wg.Done()
	})
	return w.ch, nil
}

// selectLocked returns the live objects w selects.
func (k *KV) selectLocked(w *watcher) []*Object {
	var out []*Object
	add := func(idx *resourceIndex) {
		for nn, o := range idx.objs {
			if (w.namespace == "" || nn.namespace == w.namespace) &&
				(w.name == "" || nn.name == w.name) && matchLabels(w.sel, o) {
				out = append(out, o)
			}
		}
	}
	if w.resource == "" {
		for _, idx := range k.resources {
			add(idx)
		}
	} else if idx := k.resources[groupResource{w.group, w.resource}]; idx != nil {
		add(idx)
	}
	return out
}

// provenLocked reports whether a watch from rev, older than the ring's
// floor, can still be served: every key w selects (labels aside) either has
// not changed since rev, or changed for the first time since rev at an event
// the ring still holds.
func (k *KV) provenLocked(w *watcher, rev int64) bool {
	// firstPrev: for each key in the ring, the revision before its oldest
	// event there.
	firstPrev := map[Key]int64{}
	for i := 0; i < k.ring.n; i++ {
		c := k.ring.at(i)
		if !w.matchesKey(c.obj.Key) {
			continue
		}
		if _, ok := firstPrev[c.obj.Key]; !ok {
			firstPrev[c.obj.Key] = c.prevRev
		}
	}
	covered := func(key Key, last int64) bool {
		if last <= rev {
			return true
		}
		p, ok := firstPrev[key]
		return ok && p <= rev
	}
	check := func(gr groupResource, idx *resourceIndex) bool {
		for nn, o := range idx.objs {
			key := Key{gr.group, gr.resource, nn.namespace, nn.name}
			if w.matchesKey(key) && !covered(key, o.Revision) {
				return false
			}
		}
		for nn, t := range idx.tombs {
			key := Key{gr.group, gr.resource, nn.namespace, nn.name}
			if w.matchesKey(key) && !covered(key, t) {
				return false
			}
		}
		return true
	}
	if w.resource != "" {
		idx := k.resources[groupResource{w.group, w.resource}]
		return idx == nil || check(groupResource{w.group, w.resource}, idx)
	}
	for gr, idx := range k.resources {
		if !check(gr, idx) {
			return false
		}
	}
	return true
}

// dispatchLocked sends c to every watcher that selects it. A watcher whose
// buffer is full is closed: the writer path never blocks on a reader.
func (k *KV) dispatchLocked(c *change) {
	send := func(w *watcher) {
		ev, ok := w.event(c)
		if !ok {
			return
		}
		select {
		case w.ch <- ev:
		default:
			k.log.Debug("store closes a watch that fell behind", logKeyRevision, c.obj.Revision)
			k.dropWatcherLocked(w)
		}
	}
	for w := range k.watchers[groupResource{c.obj.Key.Group, c.obj.Key.Resource}] {
		send(w)
	}
	for w := range k.allKinds {
		send(w)
	}
}

// removeWatcherLocked forgets w and closes its channel, once.
func (k *KV) removeWatcherLocked(w *watcher) {
	if w.removed {
		return
	}
	w.removed = true
	if w.resource == "" {
		delete(k.allKinds, w)
	} else {
		gr := groupResource{w.group, w.resource}
		delete(k.watchers[gr], w)
		if len(k.watchers[gr]) == 0 {
			delete(k.watchers, gr)
		}
	}
	close(w.ch)
}

// dropWatcherLocked removes w from outside its context callback.
func (k *KV) dropWatcherLocked(w *watcher) {
	if w.removed {
		return
	}
	k.removeWatcherLocked(w)
	if w.stop() {
		k.wg.Done() // the callback will never run
	}
}
