// Package namespace reconciles Namespaces: it keeps status.phase Active, or
// Terminating once deletion has begun, as Kubernetes' namespace controller
// reports it.
package namespace

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	corev1 "github.com/skiff-sh/skiff/internal/apis/core/v1"
	"github.com/skiff-sh/skiff/internal/controller"
	"github.com/skiff-sh/skiff/internal/store"
)

// Reconciler sets the phase of one Namespace.
type Reconciler struct {
	store store.Store
}

var _ controller.Reconciler = (*Reconciler)(nil)

// NewController returns the namespace controller.
func NewController(st store.Store, logger *slog.Logger) *controller.Controller {
	r := &Reconciler{store: st}
	return controller.New("namespace", st, r, []controller.Source{
		{Watch: store.WatchOptions{Resource: "namespaces"}},
	}, controller.Options{Workers: 1, Logger: logger})
}

// Reconcile implements controller.Reconciler.
func (r *Reconciler) Reconcile(ctx context.Context, key store.Key) error {
	obj, err := r.store.Get(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("get namespace %s: %w", key.Name, err)
	}
	var ns corev1.Namespace
	if err := json.Unmarshal(obj.JSON, &ns); err != nil {
		return fmt.Errorf("decode namespace %s: %w", key.Name, err)
	}
	want := corev1.NamespaceActive
	if ns.DeletionTimestamp != nil {
		want = corev1.NamespaceTerminating
	}
	if ns.Status.Phase == want {
		return nil
	}
	ns.Status.Phase = want
	body, err := json.Marshal(&ns)
	if err != nil {
		return fmt.Errorf("encode namespace %s: %w", key.Name, err)
	}
	if _, err := r.store.Update(ctx, key, body, store.UpdateOptions{Status: true}); err != nil {
		return fmt.Errorf("update namespace %s status: %w", key.Name, err)
	}
	return nil
}
