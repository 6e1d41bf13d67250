package store

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The garbage collector follows Kubernetes' rules for ownerReferences:
//
//   - When an owner is gone, each dependent that has no other live owner is
//     deleted (Background); a dependent with other live owners only loses
//     the reference to the dead one.
//   - An owner being deleted in the foreground (deletionTimestamp and the
//     foregroundDeletion finalizer) has its dependents deleted in the
//     foreground too; once none is left, the finalizer is removed, which
//     deletes the owner.
//
// It learns of deletions from the cache, so it also acts on deletes made by
// another skiff node; every write it makes is a precondition write, so
// several collectors on one bucket do no harm. Unlike Kubernetes, a
// foreground deletion waits for every dependent, whatever its
// blockOwnerDeletion says.

// gcItem is a unit of work: the dependents of an owner (by uid), or one
// dependent (by key).
type gcItem struct {
	owner string
	dep   Key
}

// gcQueue is a set of pending items in arrival order. mu is a leaf lock.
type gcQueue struct {
	mu     sync.Mutex
	items  []gcItem // guarded by mu
	queued map[gcItem]struct{}
	signal chan struct{} // holds a token when items is non-empty
}

func (q *gcQueue) init() {
	q.queued = map[gcItem]struct{}{}
	q.signal = make(chan struct{}, 1)
}

func (q *gcQueue) add(it gcItem) {
	q.mu.Lock()
	if _, ok := q.queued[it]; !ok {
		q.queued[it] = struct{}{}
		q.items = append(q.items, it)
	}
	q.mu.Unlock()
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

func (q *gcQueue) take() []gcItem {
	q.mu.Lock()
	defer q.mu.Unlock()
	items := q.items
	q.items = nil
	clear(q.queued)
	return items
}

// foregroundLocked reports whether the live object with uid is being deleted
// in the foreground.
func (k *KV) foregroundLocked(uid string) bool {
	key, ok := k.uids[uid]
	if !ok {
		return false
	}
	o := k.getLocked(key)
	return o != nil && isForeground(o)
}

func isForeground(o *Object) bool {
	return o.Meta.DeletionTimestamp != nil && slices.Contains(o.Meta.Finalizers, foregroundFinalizer)
}

// gcTriggersLocked queues the work change c calls for.
func (k *KV) gcTriggersLocked(c *change) {
	if c.typ == Deleted {
		if uid := string(c.prev.Meta.UID); len(k.dependents[uid]) > 0 {
			k.gc.add(gcItem{owner: uid})
		}
		for _, ref := range c.prev.Meta.OwnerReferences {
			if k.foregroundLocked(string(ref.UID)) {
				k.gc.add(gcItem{owner: string(ref.UID)})
			}
		}
		return
	}
	o := c.obj
	for _, ref := range o.Meta.OwnerReferences {
		if _, live := k.uids[string(ref.UID)]; !live {
			k.gc.add(gcItem{dep: o.Key})
		} else if k.foregroundLocked(string(ref.UID)) {
			k.gc.add(gcItem{owner: string(ref.UID)})
		}
	}
	if c.prev != nil {
		for _, ref := range c.prev.Meta.OwnerReferences {
			if !slices.ContainsFunc(o.Meta.OwnerReferences, func(r metav1.OwnerReference) bool { return r.UID == ref.UID }) &&
				k.foregroundLocked(string(ref.UID)) {
				k.gc.add(gcItem{owner: string(ref.UID)})
			}
		}
	}
	if isForeground(o) {
		k.gc.add(gcItem{owner: string(o.Meta.UID)})
	}
}

// collectAllLocked queues what was left undone before this KV started:
// dependents of owners already gone, foreground deletions under way.
func (k *KV) collectAllLocked() {
	for _, idx := range k.resources {
		for _, o := range idx.objs {
			for _, ref := range o.Meta.OwnerReferences {
				if _, live := k.uids[string(ref.UID)]; !live {
					k.gc.add(gcItem{dep: o.Key})
					break
				}
			}
			if isForeground(o) {
				k.gc.add(gcItem{owner: string(o.Meta.UID)})
			}
		}
	}
}

// runGC works the queue until Close. Failed items are retried after a
// pause.
func (k *KV) runGC() {
	defer k.wg.Done()
	const retryAfter = 250 * time.Millisecond
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	var failed []gcItem
	for {
		select {
		case <-k.ctx.Done():
			return
		case <-k.gc.signal:
		case <-retry.C:
			for _, it := range failed {
				k.gc.add(it)
			}
			failed = nil
			continue
		}
		for _, it := range k.gc.take() {
			if err := k.collect(it); err != nil {
				if k.ctx.Err() != nil {
					return
				}
				k.log.Warn("store garbage collection failed; will retry", logKeyItem, it, logKeyErr, err)
				if len(failed) == 0 {
					retry.Reset(retryAfter)
				}
				failed = append(failed, it)
			}
		}
	}
}

func (k *KV) collect(it gcItem) error {
	ctx, cancel := context.WithTimeout(k.ctx, 10*time.Second)
	defer cancel()
	if it.owner == "" {
		return k.collectDependent(ctx, it.dep)
	}
	var errs []error
	for _, d := range k.dependentsOf(it.owner) {
		errs = append(errs, k.collectDependent(ctx, d))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	// A foreground deletion with no dependents left completes.
	k.mu.RLock()
	key, live := k.uids[it.owner]
	done := live && k.foregroundLocked(it.owner) && len(k.dependents[it.owner]) == 0
	k.mu.RUnlock()
	if !done {
		return nil
	}
	ekey, err := encodeKey(key)
	if err != nil {
		return err
	}
	_, err = k.modify(ctx, key, ekey, 0, func(cur *Object, stored map[string]any) (map[string]any, error) {
		if string(cur.Meta.UID) != it.owner || !slices.Contains(cur.Meta.Finalizers, foregroundFinalizer) {
			return nil, nil
		}
		meta := stored["metadata"].(map[string]any)
		fins, _ := meta["finalizers"].([]any)
		fins = slices.DeleteFunc(fins, func(f any) bool { return f == foregroundFinalizer })
		if len(fins) == 0 {
			delete(meta, "finalizers")
		} else {
			meta["finalizers"] = fins
		}
		return stored, nil
	})
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// collectDependent deletes the object at key when none of its owners
// remains, or drops its references to owners that are gone or being deleted
// in the foreground when another owner remains.
func (k *KV) collectDependent(ctx context.Context, key Key) error {
	k.mu.RLock()
	o := k.getLocked(key)
	if o == nil {
		k.mu.RUnlock()
		return nil
	}
	drop := map[string]bool{}
	solid, waiting := 0, 0
	for _, ref := range o.Meta.OwnerReferences {
		uid := string(ref.UID)
		switch _, live := k.uids[uid]; {
		case !live:
			drop[uid] = true
		case k.foregroundLocked(uid):
			drop[uid] = true
			waiting++
		default:
			solid++
		}
	}
	uid, deleting := o.Meta.UID, o.Meta.DeletionTimestamp != nil
	k.mu.RUnlock()

	switch {
	case len(drop) == 0:
		return nil
	case solid > 0:
		err := k.dropOwnerRefs(ctx, key, uid, drop)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		return err
	case deleting:
		return nil // already on its way out (finalizers pending)
	}
	policy := Background
	if waiting > 0 {
		policy = Foreground
	}
	_, err := k.Delete(ctx, key, DeleteOptions{Propagation: policy, UID: string(uid)})
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrConflict) {
		return nil // gone, or replaced by another object
	}
	return err
}
