package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"k8s.io/apimachinery/pkg/labels"
)

var _ Store = (*KV)(nil)

// Log keys.
const (
	logKeyKey      = "key"
	logKeyRevision = "revision"
	logKeyErr      = "err"
	logKeyBucket   = "bucket"
	logKeyItem     = "item"
)

// errClosed is returned by calls that were waiting when the KV was closed.
var errClosed = errors.New("store closed")

// KVOptions configure a KV.
type KVOptions struct {
	// Bucket is the JetStream KV bucket; "skiff" when empty. It is created
	// when missing.
	Bucket string
	// Storage of a bucket that has to be created; file storage by default.
	Storage jetstream.StorageType
	// Replicas of a bucket that has to be created (clustered JetStream).
	Replicas int
	// History is how many recent events the store remembers for watches that
	// resume from a revision; 10000 when zero.
	History int
	// WatchBuffer is how many events a watcher may fall behind before it is
	// closed; 1024 when zero.
	WatchBuffer int
	// Now tells the time (creationTimestamp, deletionTimestamp); time.Now
	// when nil.
	Now func() time.Time
	// Logger receives the store's warnings; nothing is logged when nil.
	Logger *slog.Logger
}

// KV is the Store on one JetStream KV bucket that holds every kind. The KV
// revision of an object's last write is its resourceVersion, so
// resourceVersions grow across kinds.
//
// One KV watcher over the whole bucket feeds an in-memory cache of every
// object and a ring of the latest events; Get, List and Watch are served from
// it. Every write waits until the cache has applied it, so a caller reads its
// own writes and watch events come in revision order. Writes are
// compare-and-set on the KV revision, so several KVs (skiff nodes) may share
// one bucket; each sees the others' writes through its watcher. Reads on one
// node may lag writes made through another by the time the watcher takes to
// deliver them.
//
// A garbage collector goroutine deletes the dependents of deleted objects
// (ownerReferences) and completes foreground deletions.
type KV struct {
	kv   jetstream.KeyValue
	opts KVOptions
	log  *slog.Logger

	// ctx lives until Close; it bounds the goroutines and the writes of the
	// garbage collector.
	ctx    context.Context
	cancel context.CancelFunc
	// wg counts the applier, the garbage collector and the pending
	// cancellation callbacks of watches.
	wg        sync.WaitGroup
	ready     chan struct{} // closed when the initial values are loaded
	closeOnce sync.Once

	gc gcQueue

	// mu guards every field below. The applier holds it for writing while it
	// applies a batch of KV entries; readers hold it for reading. Lock order:
	// mu, then gc.mu.
	mu sync.RWMutex
	// rev is the revision of the last KV entry applied.
	rev int64
	// floor is the revision after which the ring holds every event: the
	// revision at which the initial values were loaded, then the revision of
	// the last event the ring dropped.
	floor     int64
	initDone  bool
	closed    bool
	resources map[groupResource]*resourceIndex
	// uids maps the uid of every live object to its key.
	uids map[string]Key
	// dependents maps an owner's uid to the objects whose ownerReferences
	// name it (whether or not the owner exists).
	dependents map[string]map[Key]struct{}
	ring       ring
	// watchers by kind; allKinds watch every kind.
	watchers map[groupResource]map[*watcher]struct{}
	allKinds map[*watcher]struct{}
	// applied is closed (and replaced) each time the applier advances rev.
	applied chan struct{}
	// deleteWaiters are writers waiting for the delete they issued on a key
	// at a given revision to reach the cache.
	deleteWaiters map[revKey][]chan *Object
}

type groupResource struct{ group, resource string }

type nsName struct{ namespace, name string }

type revKey struct {
	key Key
	rev int64
}

// resourceIndex holds the objects of one kind.
type resourceIndex struct {
	objs map[nsName]*Object
	// tombs holds the revision of the delete marker of deleted keys.
	tombs map[nsName]int64
}

// NewKV opens (or creates) the bucket and loads every object into the cache
// before it returns. ctx bounds only this construction; the KV runs until
// Close.
func NewKV(ctx context.Context, js jetstream.JetStream, opts KVOptions) (*KV, error) {
	if opts.Bucket == "" {
		opts.Bucket = "skiff"
	}
	if opts.History <= 0 {
		opts.History = 10000
	}
	if opts.WatchBuffer <= 0 {
		opts.WatchBuffer = 1024
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	kv, err := openBucket(ctx, js, opts)
	if err != nil {
		return nil, err
	}
	k := &KV{
		kv:            kv,
		opts:          opts,
		log:           opts.Logger.With(logKeyBucket, opts.Bucket),
		ready:         make(chan struct{}),
		resources:     map[groupResource]*resourceIndex{},
		uids:          map[string]Key{},
		dependents:    map[string]map[Key]struct{}{},
		ring:          newRing(opts.History),
		watchers:      map[groupResource]map[*watcher]struct{}{},
		allKinds:      map[*watcher]struct{}{},
		applied:       make(chan struct{}),
		deleteWaiters: map[revKey][]chan *Object{},
	}
	k.gc.init()
	k.ctx, k.cancel = context.WithCancel(context.Background())
	w, err := kv.WatchAll(k.ctx)
	if err != nil {
		k.cancel()
		return nil, fmt.Errorf("store watch bucket %s: %w", opts.Bucket, err)
	}
	k.wg.Add(2)
	go k.runApplier(w)
	go k.runGC()
	select {
	case <-k.ready:
		return k, nil
	case <-ctx.Done():
		_ = k.Close()
		return nil, fmt.Errorf("store load bucket %s: %w", opts.Bucket, ctx.Err())
	}
}

func openBucket(ctx context.Context, js jetstream.JetStream, opts KVOptions) (jetstream.KeyValue, error) {
	kv, err := js.KeyValue(ctx, opts.Bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket:      opts.Bucket,
			Description: "skiff resources",
			History:     1,
			Storage:     opts.Storage,
			Replicas:    opts.Replicas,
		})
		if errors.Is(err, jetstream.ErrBucketExists) { // created meanwhile
			kv, err = js.KeyValue(ctx, opts.Bucket)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("store open bucket %s: %w", opts.Bucket, err)
	}
	return kv, nil
}

// Close stops the watcher, the garbage collector and every watch, and waits
// for them. Calls waiting for the cache fail.
func (k *KV) Close() error {
	k.closeOnce.Do(func() {
		k.mu.Lock()
		k.closed = true
		for w := range k.allKinds {
			k.dropWatcherLocked(w)
		}
		for _, ws := range k.watchers {
			for w := range ws {
				k.dropWatcherLocked(w)
			}
		}
		k.mu.Unlock()
		k.cancel()
		k.wg.Wait()
	})
	return nil
}

// Get returns the cached object.
func (k *KV) Get(_ context.Context, key Key) (*Object, error) {
	k.mu.RLock()
	o := k.getLocked(key)
	k.mu.RUnlock()
	if o == nil {
		return nil, fmt.Errorf("store get %s: %w", key, ErrNotFound)
	}
	return o, nil
}

func (k *KV) getLocked(key Key) *Object {
	idx := k.resources[groupResource{key.Group, key.Resource}]
	if idx == nil {
		return nil
	}
	return idx.objs[nsName{key.Namespace, key.Name}]
}

// List returns the cached objects opts select, sorted by namespace and name.
func (k *KV) List(_ context.Context, opts ListOptions) (*List, error) {
	sel := opts.Labels
	if sel != nil && sel.Empty() {
		sel = nil
	}
	k.mu.RLock()
	idx := k.resources[groupResource{opts.Group, opts.Resource}]
	var items []*Object
	switch {
	case idx == nil:
	case opts.Name != "" && opts.Namespace != "":
		if o := idx.objs[nsName{opts.Namespace, opts.Name}]; o != nil && matchLabels(sel, o) {
			items = append(items, o)
		}
	default:
		items = make([]*Object, 0, len(idx.objs))
		for nn, o := range idx.objs {
			if (opts.Namespace == "" || nn.namespace == opts.Namespace) &&
				(opts.Name == "" || nn.name == opts.Name) && matchLabels(sel, o) {
				items = append(items, o)
			}
		}
	}
	rev := k.rev
	k.mu.RUnlock()
	sortObjects(items)
	return &List{Items: items, Revision: rev}, nil
}

func matchLabels(sel labels.Selector, o *Object) bool {
	return sel == nil || sel.Matches(labels.Set(o.Meta.Labels))
}

func sortObjects(items []*Object) {
	slices.SortFunc(items, func(a, b *Object) int {
		if c := cmp.Compare(a.Key.Namespace, b.Key.Namespace); c != 0 {
			return c
		}
		return cmp.Compare(a.Key.Name, b.Key.Name)
	})
}

// runApplier applies the bucket's entries to the cache, in revision order.
func (k *KV) runApplier(w jetstream.KeyWatcher) {
	defer k.wg.Done()
	defer func() { stopKeyWatcher(w) }()
	backoff := 100 * time.Millisecond
	for {
		var (
			e  jetstream.KeyValueEntry
			ok bool
		)
		select {
		case <-k.ctx.Done():
			return
		case e, ok = <-w.Updates():
		}
		if ok {
			ok = k.applyBatch(w.Updates(), e)
		}
		if ok {
			continue
		}
		// The subscription ended (connection closed): resume after the
		// last revision applied.
		for {
			k.log.Warn("store watcher stopped; resuming", logKeyRevision, k.rev)
			nw, err := k.kv.WatchAll(k.ctx, jetstream.IncludeHistory(), jetstream.ResumeFromRevision(uint64(k.rev)+1))
			if err == nil {
				w = nw
				break
			}
			k.log.Warn("store watcher resume failed", logKeyErr, err)
			select {
			case <-k.ctx.Done():
				w = nil
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 5*time.Second)
		}
	}
}

// applyBatch applies e and whatever else is ready without waiting, then
// wakes the writers waiting for the cache. It reports false when updates
// was closed.
func (k *KV) applyBatch(updates <-chan jetstream.KeyValueEntry, e jetstream.KeyValueEntry) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.applyLocked(e)
	for range 1024 {
		select {
		case e, ok := <-updates:
			if !ok {
				k.broadcastLocked()
				return false
			}
			k.applyLocked(e)
		default:
			k.broadcastLocked()
			return true
		}
	}
	k.broadcastLocked()
	return true
}

func (k *KV) broadcastLocked() {
	close(k.applied)
	k.applied = make(chan struct{})
}

// stopKeyWatcher unsubscribes w and drains its channel, so that the NATS
// callback blocked on it can return and close it.
func stopKeyWatcher(w jetstream.KeyWatcher) {
	if w == nil {
		return
	}
	_ = w.Stop()
	t := time.NewTimer(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case _, ok := <-w.Updates():
			if !ok {
				return
			}
		case <-t.C:
			return
		}
	}
}

func (k *KV) indexLocked(gr groupResource) *resourceIndex {
	idx := k.resources[gr]
	if idx == nil {
		idx = &resourceIndex{objs: map[nsName]*Object{}, tombs: map[nsName]int64{}}
		k.resources[gr] = idx
	}
	return idx
}

// applyLocked applies one KV entry; nil marks the end of the initial values.
func (k *KV) applyLocked(e jetstream.KeyValueEntry) {
	if e == nil {
		if !k.initDone {
			k.initDone = true
			k.floor = k.rev
			k.collectAllLocked()
			close(k.ready)
		}
		return
	}
	rev := int64(e.Revision())
	k.rev = max(k.rev, rev)
	key, err := decodeKey(e.Key())
	if err != nil {
		k.log.Debug("store skips a foreign key", logKeyKey, e.Key(), logKeyErr, err)
		return
	}
	idx := k.indexLocked(groupResource{key.Group, key.Resource})
	nn := nsName{key.Namespace, key.Name}
	prev := idx.objs[nn]
	prevRev := idx.tombs[nn]
	if prev != nil {
		prevRev = prev.Revision
	}
	var obj *Object
	if e.Operation() == jetstream.KeyValuePut {
		if obj, err = newObject(key, e.Value(), rev); err != nil {
			// Only this package writes the bucket; treat garbage as absent
			// rather than serve it.
			k.log.Error("store cannot decode an object; treating it as deleted",
				logKeyKey, e.Key(), logKeyRevision, rev, logKeyErr, err)
		}
	}

	var c change
	if obj != nil {
		idx.objs[nn] = obj
		delete(idx.tombs, nn)
		k.indexOwnersLocked(key, prev, obj)
		c = change{typ: Added, obj: obj, prevRev: prevRev}
		if prev != nil {
			c.typ, c.prev = Modified, prev
			if !maps.Equal(prev.Meta.Labels, obj.Meta.Labels) {
				c.prevAtRev = withRevision(prev, rev)
			}
		}
	} else {
		delete(idx.objs, nn)
		idx.tombs[nn] = rev
		if prev == nil {
			return
		}
		k.indexOwnersLocked(key, prev, nil)
		c = change{typ: Deleted, obj: withRevision(prev, rev), prev: prev, prevRev: prevRev}
		rk := revKey{key, prev.Revision}
		for _, ch := range k.deleteWaiters[rk] {
			ch <- c.obj
		}
		delete(k.deleteWaiters, rk)
	}
	if !k.initDone {
		return
	}
	if dropped, ok := k.ring.push(c); ok {
		k.floor = dropped.obj.Revision
	}
	k.dispatchLocked(&c)
	k.gcTriggersLocked(&c)
}

// indexOwnersLocked updates uids and dependents for key going from prev to
// next (either may be nil).
func (k *KV) indexOwnersLocked(key Key, prev, next *Object) {
	if prev != nil {
		if next == nil || next.Meta.UID != prev.Meta.UID {
			delete(k.uids, string(prev.Meta.UID))
		}
		for _, ref := range prev.Meta.OwnerReferences {
			if deps := k.dependents[string(ref.UID)]; deps != nil {
				delete(deps, key)
				if len(deps) == 0 {
					delete(k.dependents, string(ref.UID))
				}
			}
		}
	}
	if next != nil {
		if next.Meta.UID != "" {
			k.uids[string(next.Meta.UID)] = key
		}
		for _, ref := range next.Meta.OwnerReferences {
			deps := k.dependents[string(ref.UID)]
			if deps == nil {
				deps = map[Key]struct{}{}
				k.dependents[string(ref.UID)] = deps
			}
			deps[key] = struct{}{}
		}
	}
}

// waitRevision waits until the cache has applied rev.
func (k *KV) waitRevision(ctx context.Context, rev int64) error {
	for {
		k.mu.RLock()
		done, ch := k.rev >= rev, k.applied
		k.mu.RUnlock()
		if done {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-k.ctx.Done():
			return errClosed
		}
	}
}

// waitKeyPast waits (a little) until the cache has seen a write to key after
// rev; a compare-and-set just failed, so one is on its way.
func (k *KV) waitKeyPast(ctx context.Context, key Key, rev int64) {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	for {
		k.mu.RLock()
		last := int64(0)
		if idx := k.resources[groupResource{key.Group, key.Resource}]; idx != nil {
			if o := idx.objs[nsName{key.Namespace, key.Name}]; o != nil {
				last = o.Revision
			} else {
				last = idx.tombs[nsName{key.Namespace, key.Name}]
			}
		}
		ch := k.applied
		k.mu.RUnlock()
		if last != rev {
			return
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return
		case <-k.ctx.Done():
			return
		}
	}
}
