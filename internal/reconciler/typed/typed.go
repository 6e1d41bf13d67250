// Package typed gives reconcilers typed access to the store: it decodes
// objects into their Go types with Knative's defaults applied (the store
// keeps user-given lists as written), and encodes them back for creates,
// updates and status updates.
package typed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/skiff-sh/skiff/internal/apis"
	"github.com/skiff-sh/skiff/internal/store"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Client reads and writes typed objects.
type Client struct {
	Store store.Store
	// Config is the cluster-wide settings defaulting reads.
	Config func() *apis.Config
	// Now is the clock of status conditions.
	Now func() time.Time
}

func (c *Client) ctx(ctx context.Context) context.Context {
	if c.Config != nil {
		return apis.WithConfig(ctx, c.Config())
	}
	return ctx
}

// Decode decodes a stored object into obj and applies its defaults.
func (c *Client) Decode(ctx context.Context, o *store.Object, obj apis.Object) error {
	if err := json.Unmarshal(o.JSON, obj); err != nil {
		return fmt.Errorf("decode %s %s/%s: %w", o.Key.Resource, o.Key.Namespace, o.Key.Name, err)
	}
	obj.SetDefaults(c.ctx(ctx))
	return nil
}

// Get reads key into obj. It returns store.ErrNotFound (wrapped) when absent.
func (c *Client) Get(ctx context.Context, key store.Key, obj apis.Object) error {
	o, err := c.Store.Get(ctx, key)
	if err != nil {
		return fmt.Errorf("get %s %s/%s: %w", key.Resource, key.Namespace, key.Name, err)
	}
	return c.Decode(ctx, o, obj)
}

// IsNotFound reports whether err is the store's not found.
func IsNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// Create stores a new object built by a reconciler, defaulted and validated
// as the API server would.
func (c *Client) Create(ctx context.Context, key store.Key, obj apis.Object) error {
	ctx = c.ctx(ctx)
	obj.SetDefaults(ctx)
	if errs := obj.Validate(ctx, nil); len(errs) > 0 {
		return fmt.Errorf("create %s %s/%s: %w", key.Resource, key.Namespace, key.Name, errs.ToAggregate())
	}
	body, err := json.Marshal(obj)
	if err != nil {
		return fmt.Errorf("encode %s: %w", key.Name, err)
	}
	if _, err := c.Store.Create(ctx, key, body); err != nil {
		return fmt.Errorf("create %s %s/%s: %w", key.Resource, key.Namespace, key.Name, err)
	}
	return nil
}

// Update writes obj's spec and metadata (its resourceVersion is the
// precondition).
func (c *Client) Update(ctx context.Context, key store.Key, obj apis.Object, old apis.Object) error {
	ctx = c.ctx(ctx)
	obj.SetDefaults(ctx)
	if errs := obj.Validate(ctx, old); len(errs) > 0 {
		return fmt.Errorf("update %s %s/%s: %w", key.Resource, key.Namespace, key.Name, errs.ToAggregate())
	}
	body, err := json.Marshal(obj)
	if err != nil {
		return fmt.Errorf("encode %s: %w", key.Name, err)
	}
	if _, err := c.Store.Update(ctx, key, body, store.UpdateOptions{}); err != nil {
		return fmt.Errorf("update %s %s/%s: %w", key.Resource, key.Namespace, key.Name, err)
	}
	return nil
}

// UpdateStatus writes obj's status (its resourceVersion is the
// precondition).
func (c *Client) UpdateStatus(ctx context.Context, key store.Key, obj apis.Object) error {
	body, err := json.Marshal(obj)
	if err != nil {
		return fmt.Errorf("encode %s: %w", key.Name, err)
	}
	if _, err := c.Store.Update(ctx, key, body, store.UpdateOptions{Status: true}); err != nil {
		return fmt.Errorf("update status of %s %s/%s: %w", key.Resource, key.Namespace, key.Name, err)
	}
	return nil
}

// OwnerReference returns a controller reference to obj.
func OwnerReference(obj metav1.Object, apiVersion, kind string) metav1.OwnerReference {
	t := true
	return metav1.OwnerReference{
		APIVersion: apiVersion, Kind: kind, Name: obj.GetName(), UID: obj.GetUID(),
		Controller: &t, BlockOwnerDeletion: &t,
	}
}

// IsControlledBy reports whether obj's controller reference names owner.
func IsControlledBy(obj, owner metav1.Object) bool {
	for _, r := range obj.GetOwnerReferences() {
		if r.Controller != nil && *r.Controller {
			return r.UID == owner.GetUID()
		}
	}
	return false
}

// Key returns the store key of a namespaced object of a resource.
func Key(group, resource, namespace, name string) store.Key {
	return store.Key{Group: group, Resource: resource, Namespace: namespace, Name: name}
}

// Clone returns a deep copy of v, through JSON (the API types have no
// generated DeepCopy).
func Clone[T any](v T) T {
	var out T
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("clone %T: %v", v, err))
	}
	if err := json.Unmarshal(b, &out); err != nil {
		panic(fmt.Sprintf("clone %T: %v", v, err))
	}
	return out
}

// Equal reports whether a and b encode to the same JSON.
func Equal(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}
