package namespace

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	corev1 "github.com/skiff-sh/skiff/internal/apis/core/v1"
	"github.com/skiff-sh/skiff/internal/reconciler/reconcilertest"
	"github.com/skiff-sh/skiff/internal/store"
	"github.com/skiff-sh/skiff/internal/store/storetest"
)

func newStore(t *testing.T) store.Store {
	t.Helper()
	return reconcilertest.NewStore(t, nil)
}

func phase(t *testing.T, st store.Store, name string) (corev1.NamespacePhase, error) {
	obj, err := st.Get(context.Background(), store.Key{Resource: "namespaces", Name: name})
	if err != nil {
		return "", err
	}
	var ns corev1.Namespace
	if err := json.Unmarshal(obj.JSON, &ns); err != nil {
		return "", err
	}
	return ns.Status.Phase, nil
}

// TestControllerSetsPhase runs the real controller (watch, queue, workers)
// on the real store.
func TestControllerSetsPhase(t *testing.T) {
	st := newStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- NewController(st, nil).Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run() = %v", err)
		}
	}()

	key := store.Key{Resource: "namespaces", Name: "team-a"}
	if _, err := st.Create(ctx, key, []byte(`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team-a","finalizers":["test/hold"]}}`)); err != nil {
		t.Fatal(err)
	}
	storetest.CheckFor(t, 5*time.Second, func() error {
		p, err := phase(t, st, "team-a")
		if err != nil || p != corev1.NamespaceActive {
			return fmt.Errorf("phase = %q, %v; want Active", p, err)
		}
		return nil
	})
	// Deletion with a finalizer keeps the namespace, Terminating.
	if _, err := st.Delete(ctx, key, store.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	storetest.CheckFor(t, 5*time.Second, func() error {
		p, err := phase(t, st, "team-a")
		if err != nil || p != corev1.NamespaceTerminating {
			return fmt.Errorf("phase = %q, %v; want Terminating", p, err)
		}
		return nil
	})
}

func TestReconcileMissingIsNoop(t *testing.T) {
	r := &Reconciler{store: newStore(t)}
	if err := r.Reconcile(context.Background(), store.Key{Resource: "namespaces", Name: "gone"}); err != nil {
		t.Errorf("Reconcile(missing) = %v, want nil", err)
	}
}
