// Package store keeps skiff's resources. It stores each object as JSON and
// applies the write rules of the Kubernetes API server that do not depend on
// the kind: it sets uid, resourceVersion, creationTimestamp and generation
// (bumped only when the spec changes), lets status change only through the
// status subresource, enforces optimistic concurrency, honours finalizers and
// deletionTimestamp, and cascades deletes along ownerReferences. Defaulting
// and validation, which depend on the kind, happen before the store.
//
// KV is the implementation on a NATS JetStream key-value bucket: the
// resourceVersion of an object is the KV revision of its last write, so
// resourceVersions grow across all kinds, as etcd's do.
package store

import (
	"context"
	"errors"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Sentinel errors. Callers test them with errors.Is.
var (
	// ErrNotFound: no object with that key.
	ErrNotFound = errors.New("not found")
	// ErrExists: Create of a key that already holds an object.
	ErrExists = errors.New("already exists")
	// ErrConflict: the resourceVersion (or uid) given as a precondition is
	// not the stored one.
	ErrConflict = errors.New("conflict")
	// ErrExpired: a watch asked for a resourceVersion older than the store
	// still remembers.
	ErrExpired = errors.New("resource version too old")
	// ErrInvalid: the object cannot be stored (bad JSON, name or namespace
	// differing from the key, a spec change on an object being deleted).
	ErrInvalid = errors.New("invalid object")
)

// Key names one object.
type Key struct {
	Group     string // API group; "" for the core group
	Resource  string // plural resource name, such as "services"
	Namespace string // "" for cluster-scoped kinds
	Name      string
}

// Object is a stored object as the store hands it out. It is shared: callers
// must not modify JSON or Meta.
type Object struct {
	Key Key
	// Revision is the object's resourceVersion.
	Revision int64
	// JSON is the whole object with metadata.resourceVersion set.
	JSON []byte
	// Meta is the object's metadata, decoded.
	Meta *metav1.ObjectMeta
}

// List is the answer to a list.
type List struct {
	Items []*Object // sorted by namespace, then name
	// Revision is the store's revision at the time of the list; a watch from
	// it misses nothing.
	Revision int64
}

// ListOptions selects objects of one resource.
type ListOptions struct {
	Group     string
	Resource  string
	Namespace string          // "" for all namespaces
	Labels    labels.Selector // nil for all
	// Name, when set, selects only the object of that name (the field
	// selector metadata.name).
	Name string
}

// UpdateOptions tells what an Update writes.
type UpdateOptions struct {
	// Status, when true, is the status subresource: only the object's
	// "status" is taken from the new object; everything else stays as
	// stored. When false, the stored status is kept and the new status is
	// ignored.
	Status bool
}

// Propagation is how a delete treats the object's dependents.
type Propagation string

// Propagation policies, as Kubernetes names them.
const (
	// Background deletes the object at once and its dependents after.
	Background Propagation = "Background"
	// Foreground marks the object deleted (deletionTimestamp and the
	// foregroundDeletion finalizer), deletes its dependents, then it.
	Foreground Propagation = "Foreground"
	// Orphan removes the object's ownerReference from its dependents and
	// deletes only the object.
	Orphan Propagation = "Orphan"
)

// DeleteOptions qualify a Delete.
type DeleteOptions struct {
	Propagation Propagation // "" means Background
	// UID and ResourceVersion are preconditions when non-empty.
	UID             string
	ResourceVersion string
}

// EventType is the type of a watch event.
type EventType string

// Watch event types, as Kubernetes spells them.
const (
	Added    EventType = "ADDED"
	Modified EventType = "MODIFIED"
	Deleted  EventType = "DELETED"
)

// Event is one change seen by a watch. For Deleted, Object is the last state
// with the revision of the delete.
type Event struct {
	Type   EventType
	Object *Object
}

// WatchOptions selects what a watch sees.
type WatchOptions struct {
	// Group and Resource select the kind; an empty Resource watches every
	// kind (the garbage collector does).
	Group     string
	Resource  string
	Namespace string          // "" for all namespaces
	Labels    labels.Selector // nil for all
	Name      string          // field selector metadata.name
	// Revision 0 first sends every current object as Added, then changes.
	// A revision > 0 sends every change after it, or fails with ErrExpired
	// when the store no longer remembers that far back.
	Revision int64
}

// Store is the resource store. Every method is safe for concurrent use.
// Reads see every write that returned before they started.
type Store interface {
	// Create stores a new object. It sets metadata.uid, creationTimestamp,
	// generation 1 and resourceVersion, and drops "status" and
	// metadata.deletionTimestamp, managedFields and resourceVersion from obj.
	Create(ctx context.Context, key Key, obj []byte) (*Object, error)
	// Get returns the object, or ErrNotFound.
	Get(ctx context.Context, key Key) (*Object, error)
	// List returns the objects that opts select.
	List(ctx context.Context, opts ListOptions) (*List, error)
	// Update replaces the object. When obj carries metadata.resourceVersion it
	// must equal the stored one (else ErrConflict); without one the update is
	// unconditional. uid, creationTimestamp, deletionTimestamp and generation
	// come from the stored object; generation grows by one when anything but
	// metadata and status changed. A uid in obj that is not the stored one
	// is ErrConflict. When the object has a deletionTimestamp and the update
	// leaves it no finalizers, the object is deleted and the returned Object
	// is its last state. An update that changes nothing writes nothing and
	// keeps the resourceVersion.
	Update(ctx context.Context, key Key, obj []byte, opts UpdateOptions) (*Object, error)
	// Delete deletes the object, or, when it has finalizers (or the
	// propagation is Foreground), sets its deletionTimestamp and returns it
	// still present. Dependents (objects whose ownerReferences name its uid)
	// are deleted as opts.Propagation says.
	Delete(ctx context.Context, key Key, opts DeleteOptions) (*Object, error)
	// Watch streams changes until ctx ends. The channel is closed when ctx
	// ends or when the receiver falls too far behind; the receiver then
	// watches again from the last revision it saw.
	Watch(ctx context.Context, opts WatchOptions) (<-chan Event, error)
}
