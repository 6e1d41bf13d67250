package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"k8s.io/apimachinery/pkg/types"
)

// foregroundFinalizer marks an object whose dependents are being deleted
// before it (propagation Foreground).
const foregroundFinalizer = "foregroundDeletion"

// maxAttempts bounds the retries of a write that keeps losing races.
const maxAttempts = 16

// prepareFunc computes the next state of an object from its cached state
// and a fresh decode of it without resourceVersion (which it may modify and
// return). It returns nil for "no change".
type prepareFunc func(cur *Object, stored map[string]any) (map[string]any, error)

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// Create stores a new object. See Store.Create.
func (k *KV) Create(ctx context.Context, key Key, body []byte) (*Object, error) {
	o, err := k.create(ctx, key, body)
	if err != nil {
		return nil, fmt.Errorf("store create %s: %w", key, err)
	}
	return o, nil
}

func (k *KV) create(ctx context.Context, key Key, body []byte) (*Object, error) {
	ekey, err := encodeKey(key)
	if err != nil {
		return nil, invalid("%v", err)
	}
	obj, err := decodeObject(body)
	if err != nil {
		return nil, invalid("%v", err)
	}
	meta, err := metadataOf(obj)
	if err != nil {
		return nil, invalid("%v", err)
	}
	if err := checkIdentity(meta, key); err != nil {
		return nil, err
	}
	delete(obj, "status")
	for _, f := range []string{"resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields"} {
		delete(meta, f)
	}
	setIdentity(meta, key)
	uid, err := newUID()
	if err != nil {
		return nil, err
	}
	meta["uid"] = uid
	meta["creationTimestamp"] = k.timestamp()
	meta["generation"] = 1
	value, err := encodeStored(obj)
	if err != nil {
		return nil, invalid("%v", err)
	}
	if _, err := decodeMeta(value); err != nil {
		return nil, invalid("%v", err)
	}

	// A deleted key still holds its delete marker: create over it with a
	// compare-and-set on the marker's revision, saving kv.Create's lookup.
	k.mu.RLock()
	var tomb int64
	if idx := k.resources[groupResource{key.Group, key.Resource}]; idx != nil {
		nn := nsName{key.Namespace, key.Name}
		if idx.objs[nn] == nil {
			tomb = idx.tombs[nn]
		}
	}
	k.mu.RUnlock()
	var rev uint64
	if tomb > 0 {
		rev, err = k.kv.Update(ctx, ekey, value, uint64(tomb))
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			rev, err = k.kv.Create(ctx, ekey, value)
		}
	} else {
		rev, err = k.kv.Create(ctx, ekey, value)
	}
	switch {
	case errors.Is(err, jetstream.ErrKeyExists):
		return nil, ErrExists
	case err != nil:
		return nil, err
	}
	return k.afterWrite(ctx, key, value, int64(rev))
}

// afterWrite waits until the cache has applied the write of value at rev
// and returns the object as written.
func (k *KV) afterWrite(ctx context.Context, key Key, value []byte, rev int64) (*Object, error) {
	if err := k.waitRevision(ctx, rev); err != nil {
		return nil, fmt.Errorf("stored at revision %d, not yet seen: %w", rev, err)
	}
	k.mu.RLock()
	o := k.getLocked(key)
	k.mu.RUnlock()
	if o != nil && o.Revision == rev {
		return o, nil
	}
	// Written over (or deleted) already: build what we wrote.
	return newObject(key, value, rev)
}

// Update replaces an object. See Store.Update.
func (k *KV) Update(ctx context.Context, key Key, body []byte, opts UpdateOptions) (*Object, error) {
	o, err := k.update(ctx, key, body, opts)
	if err != nil {
		op := "update"
		if opts.Status {
			op = "update status"
		}
		return nil, fmt.Errorf("store %s %s: %w", op, key, err)
	}
	return o, nil
}

func (k *KV) update(ctx context.Context, key Key, body []byte, opts UpdateOptions) (*Object, error) {
	ekey, err := encodeKey(key)
	if err != nil {
		return nil, invalid("%v", err)
	}
	in, err := decodeObject(body)
	if err != nil {
		return nil, invalid("%v", err)
	}
	inMeta, err := metadataOf(in)
	if err != nil {
		return nil, invalid("%v", err)
	}
	if err := checkIdentity(inMeta, key); err != nil {
		return nil, err
	}
	wantRev, err := parseRevision(inMeta["resourceVersion"])
	if err != nil {
		return nil, err
	}
	inUID, _ := inMeta["uid"].(string)
	k.catchUp(ctx, wantRev)

	prepare := func(cur *Object, stored map[string]any) (map[string]any, error) {
		if inUID != "" && inUID != string(cur.Meta.UID) {
			return nil, fmt.Errorf("%w: uid %s in the object, %s stored", ErrConflict, inUID, cur.Meta.UID)
		}
		if opts.Status {
			next := maps.Clone(stored)
			if st, ok := in["status"]; ok && st != nil {
				next["status"] = st
			} else {
				delete(next, "status")
			}
			return next, nil
		}
		return k.nextSpec(cur, stored, in, inMeta, key)
	}
	return k.modify(ctx, key, ekey, wantRev, prepare)
}

// nextSpec is the main resource's update: everything but status from in,
// the server-owned metadata from stored, generation bumped on a spec change.
func (k *KV) nextSpec(cur *Object, stored, in, inMeta map[string]any, key Key) (map[string]any, error) {
	next := maps.Clone(in)
	meta := maps.Clone(inMeta)
	next["metadata"] = meta
	storedMeta := stored["metadata"].(map[string]any)
	for _, f := range []string{"uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"} {
		if v, ok := storedMeta[f]; ok {
			meta[f] = v
		} else {
			delete(meta, f)
		}
	}
	delete(meta, "resourceVersion")
	delete(meta, "managedFields")
	setIdentity(meta, key)
	if st, ok := stored["status"]; ok {
		next["status"] = st
	} else {
		delete(next, "status")
	}

	specChanged := !equalOutside(next, stored, "metadata", "status")
	if cur.Meta.DeletionTimestamp != nil {
		if specChanged {
			return nil, invalid("the object is being deleted: only metadata and status may change")
		}
		fins, _ := meta["finalizers"].([]any)
		for _, f := range fins {
			if s, _ := f.(string); !slices.Contains(cur.Meta.Finalizers, s) {
				return nil, invalid("metadata.finalizers: no new finalizers can be added if the object is being deleted")
			}
		}
	}
	if specChanged {
		meta["generation"] = cur.Meta.Generation + 1
	}
	return next, nil
}

// modify is the compare-and-set loop every update of an existing object goes
// through. wantRev, when non-zero, is a resourceVersion precondition;
// without it a lost race is retried on the newer state.
func (k *KV) modify(ctx context.Context, key Key, ekey string, wantRev int64, prepare prepareFunc) (*Object, error) {
	for attempt := 1; ; attempt++ {
		k.mu.RLock()
		cur := k.getLocked(key)
		k.mu.RUnlock()
		if cur == nil {
			return nil, ErrNotFound
		}
		if wantRev != 0 && cur.Revision != wantRev {
			return nil, conflict(wantRev, cur.Revision)
		}
		stored, err := storedMap(cur)
		if err != nil {
			return nil, err
		}
		next, err := prepare(cur, stored)
		if err != nil {
			return nil, err
		}
		if next == nil {
			return cur, nil
		}
		value, err := encodeStored(next)
		if err != nil {
			return nil, invalid("%v", err)
		}
		meta, err := decodeMeta(value)
		if err != nil {
			return nil, invalid("%v", err)
		}
		if meta.DeletionTimestamp != nil && len(meta.Finalizers) == 0 {
			o, err := k.deleteAt(ctx, key, ekey, cur)
			if errors.Is(err, jetstream.ErrKeyRevisionMismatch) && wantRev == 0 && attempt < maxAttempts {
				k.waitKeyPast(ctx, key, cur.Revision)
				continue
			}
			return o, mapCAS(err, cur.Revision)
		}
		if sameStored(value, cur.JSON) {
			return cur, nil // no-op: keep the resourceVersion
		}
		rev, err := k.kv.Update(ctx, ekey, value, uint64(cur.Revision))
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) && wantRev == 0 && attempt < maxAttempts {
			k.waitKeyPast(ctx, key, cur.Revision)
			continue
		}
		if err != nil {
			return nil, mapCAS(err, cur.Revision)
		}
		return k.afterWrite(ctx, key, value, int64(rev))
	}
}

func conflict(want, have int64) error {
	return fmt.Errorf("%w: resourceVersion %d, stored %d", ErrConflict, want, have)
}

// mapCAS turns a lost compare-and-set into ErrConflict.
func mapCAS(err error, rev int64) error {
	if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
		return fmt.Errorf("%w: object changed after resourceVersion %d", ErrConflict, rev)
	}
	return err
}

// Delete deletes an object or marks it deleted. See Store.Delete.
func (k *KV) Delete(ctx context.Context, key Key, opts DeleteOptions) (*Object, error) {
	o, err := k.delete(ctx, key, opts)
	if err != nil {
		return nil, fmt.Errorf("store delete %s: %w", key, err)
	}
	return o, nil
}

func (k *KV) delete(ctx context.Context, key Key, opts DeleteOptions) (*Object, error) {
	ekey, err := encodeKey(key)
	if err != nil {
		return nil, invalid("%v", err)
	}
	policy := opts.Propagation
	switch policy {
	case "":
		policy = Background
	case Background, Foreground, Orphan:
	default:
		return nil, invalid("propagationPolicy %q", policy)
	}
	wantRev, err := parseRevision(opts.ResourceVersion)
	if err != nil {
		return nil, err
	}
	k.catchUp(ctx, wantRev)
	orphaned := false
	for attempt := 1; ; attempt++ {
		k.mu.RLock()
		cur := k.getLocked(key)
		k.mu.RUnlock()
		switch {
		case cur == nil:
			return nil, ErrNotFound
		case opts.UID != "" && types.UID(opts.UID) != cur.Meta.UID:
			return nil, fmt.Errorf("%w: precondition uid %s, stored %s", ErrConflict, opts.UID, cur.Meta.UID)
		case wantRev != 0 && cur.Revision != wantRev:
			return nil, conflict(wantRev, cur.Revision)
		}
		if policy == Orphan && !orphaned {
			if err := k.removeOwnerRefs(ctx, k.dependentsOf(string(cur.Meta.UID)), cur.Meta.UID); err != nil {
				return nil, fmt.Errorf("orphan dependents: %w", err)
			}
			orphaned = true
		}
		var o *Object
		if policy == Foreground || len(cur.Meta.Finalizers) > 0 {
			o, err = k.modify(ctx, key, ekey, cur.Revision, k.markDeleting(policy))
		} else {
			o, err = k.deleteAt(ctx, key, ekey, cur)
			err = mapCAS(err, cur.Revision)
		}
		if errors.Is(err, ErrConflict) && wantRev == 0 && attempt < maxAttempts {
			k.waitKeyPast(ctx, key, cur.Revision)
			continue
		}
		return o, err
	}
}

// markDeleting sets deletionTimestamp, and for Foreground adds the
// foregroundDeletion finalizer.
func (k *KV) markDeleting(policy Propagation) prepareFunc {
	return func(cur *Object, stored map[string]any) (map[string]any, error) {
		meta := stored["metadata"].(map[string]any)
		if meta["deletionTimestamp"] == nil {
			meta["deletionTimestamp"] = k.timestamp()
			meta["deletionGracePeriodSeconds"] = 0
		}
		if policy == Foreground && !slices.Contains(cur.Meta.Finalizers, foregroundFinalizer) {
			fins, _ := meta["finalizers"].([]any)
			meta["finalizers"] = append(fins, foregroundFinalizer)
		}
		return stored, nil
	}
}

// deleteAt writes a delete marker for key, which the cache holds at cur,
// and returns the object's last state at the revision of the delete. A lost
// race returns jetstream.ErrKeyRevisionMismatch.
func (k *KV) deleteAt(ctx context.Context, key Key, ekey string, cur *Object) (*Object, error) {
	ch := make(chan *Object, 1)
	rk := revKey{key, cur.Revision}
	k.mu.Lock()
	k.deleteWaiters[rk] = append(k.deleteWaiters[rk], ch)
	k.mu.Unlock()
	forget := func() {
		k.mu.Lock()
		ws := slices.DeleteFunc(k.deleteWaiters[rk], func(c chan *Object) bool { return c == ch })
		if len(ws) == 0 {
			delete(k.deleteWaiters, rk)
		} else {
			k.deleteWaiters[rk] = ws
		}
		k.mu.Unlock()
	}
	if err := k.kv.Delete(ctx, ekey, jetstream.LastRevision(uint64(cur.Revision))); err != nil {
		forget()
		return nil, err
	}
	select {
	case o := <-ch:
		return o, nil
	case <-ctx.Done():
		forget()
		return nil, fmt.Errorf("deleted, not yet seen: %w", ctx.Err())
	case <-k.ctx.Done():
		forget()
		return nil, fmt.Errorf("deleted, not yet seen: %w", errClosed)
	}
}

// dependentsOf returns the keys of the objects whose ownerReferences name
// uid.
func (k *KV) dependentsOf(uid string) []Key {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return slices.Collect(maps.Keys(k.dependents[uid]))
}

// removeOwnerRefs removes the ownerReferences to owner from deps.
func (k *KV) removeOwnerRefs(ctx context.Context, deps []Key, owner types.UID) error {
	for _, d := range deps {
		err := k.dropOwnerRefs(ctx, d, "", map[string]bool{string(owner): true})
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	return nil
}

// dropOwnerRefs removes the ownerReferences whose uid is in drop from the
// object at key (if its uid is depUID, when set).
func (k *KV) dropOwnerRefs(ctx context.Context, key Key, depUID types.UID, drop map[string]bool) error {
	ekey, err := encodeKey(key)
	if err != nil {
		return err
	}
	_, err = k.modify(ctx, key, ekey, 0, func(cur *Object, stored map[string]any) (map[string]any, error) {
		if depUID != "" && cur.Meta.UID != depUID {
			return nil, nil
		}
		meta := stored["metadata"].(map[string]any)
		refs, _ := meta["ownerReferences"].([]any)
		var kept []any
		for _, r := range refs {
			m, _ := r.(map[string]any)
			if uid, _ := m["uid"].(string); !drop[uid] {
				kept = append(kept, r)
			}
		}
		if len(kept) == len(refs) {
			return nil, nil
		}
		if len(kept) == 0 {
			delete(meta, "ownerReferences")
		} else {
			meta["ownerReferences"] = kept
		}
		return stored, nil
	})
	return err
}

// catchUp waits a little for the cache to reach rev, a resourceVersion a
// client may have read from another node.
func (k *KV) catchUp(ctx context.Context, rev int64) {
	if rev == 0 {
		return
	}
	k.mu.RLock()
	behind := k.rev < rev
	k.mu.RUnlock()
	if behind {
		ctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		_ = k.waitRevision(ctx, rev)
	}
}

func (k *KV) timestamp() string {
	return k.opts.Now().UTC().Truncate(time.Second).Format(time.RFC3339)
}

// checkIdentity rejects a body whose name or namespace differ from the key.
func checkIdentity(meta map[string]any, key Key) error {
	for _, f := range []struct{ field, want string }{{"name", key.Name}, {"namespace", key.Namespace}} {
		v, ok := meta[f.field]
		if !ok || v == nil {
			continue
		}
		s, ok := v.(string)
		if !ok {
			return invalid("metadata.%s is not a string", f.field)
		}
		if s != "" && s != f.want {
			return invalid("metadata.%s %q differs from %q", f.field, s, f.want)
		}
	}
	return nil
}

func setIdentity(meta map[string]any, key Key) {
	meta["name"] = key.Name
	if key.Namespace != "" {
		meta["namespace"] = key.Namespace
	} else {
		delete(meta, "namespace")
	}
}

// parseRevision parses a resourceVersion; "" (or absent) is 0.
func parseRevision(v any) (int64, error) {
	if v == nil {
		return 0, nil
	}
	s, ok := v.(string)
	if !ok {
		return 0, invalid("metadata.resourceVersion is not a string")
	}
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, invalid("resourceVersion %q is not a revision", s)
	}
	return n, nil
}

// equalOutside reports whether a and b agree on every top-level field but
// the ignored ones.
func equalOutside(a, b map[string]any, ignore ...string) bool {
	for f, av := range a {
		if slices.Contains(ignore, f) {
			continue
		}
		bv, ok := b[f]
		if !ok || !reflect.DeepEqual(av, bv) {
			return false
		}
	}
	for f := range b {
		if _, ok := a[f]; !ok && !slices.Contains(ignore, f) {
			return false
		}
	}
	return true
}

// newUID returns a random (version 4) UUID.
func newUID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("new uid: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:]), nil
}
