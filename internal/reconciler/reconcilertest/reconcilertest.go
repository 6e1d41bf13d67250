// Package reconcilertest holds what the reconcilers' tests share: a real
// store to reconcile against.
package reconcilertest

import (
	"context"
	"testing"
	"time"

	"github.com/skiff-sh/skiff/internal/natsembed"
	"github.com/skiff-sh/skiff/internal/store"
)

// NewStore returns a KV store on an embedded NATS server with file storage
// in a temporary directory, both closed when the test ends; now stamps its
// writes (nil: time.Now).
func NewStore(t testing.TB, now func() time.Time) *store.KV {
	t.Helper()
	ctx := context.Background()
	n, err := natsembed.Start(ctx, natsembed.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatalf("start nats: %v", err)
	}
	t.Cleanup(n.Close)
	st, err := store.NewKV(ctx, n.JetStream(), store.KVOptions{Now: now})
	if err != nil {
		t.Fatalf("open kv store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}
