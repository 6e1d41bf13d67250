package store_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/skiff-sh/skiff/internal/natsembed"
	"github.com/skiff-sh/skiff/internal/store"
	"github.com/skiff-sh/skiff/internal/store/storetest"
)

// startNATS runs an embedded NATS server on dir, closed when t ends.
func startNATS(t testing.TB, dir string) *natsembed.NATS {
	t.Helper()
	n, err := natsembed.Start(context.Background(), natsembed.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Close)
	return n
}

// testLogger logs warnings and errors to t.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// newKV opens a KV, closed when t ends (before the NATS it runs on).
func newKV(t testing.TB, js jetstream.JetStream, opts store.KVOptions) *store.KV {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = testLogger(t)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	kv, err := store.NewKV(ctx, js, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kv.Close() })
	return kv
}

func TestKVConformance(t *testing.T) {
	for _, tt := range []struct {
		name    string
		storage jetstream.StorageType
	}{
		{"file", jetstream.FileStorage},
		{"memory", jetstream.MemoryStorage},
	} {
		t.Run(tt.name, func(t *testing.T) {
			n := startNATS(t, t.TempDir())
			var seq atomic.Int64
			storetest.Run(t, func(t *testing.T) store.Store {
				// One bucket per subtest on a shared server.
				return newKV(t, n.JetStream(), store.KVOptions{
					Bucket:  fmt.Sprintf("t%d", seq.Add(1)),
					Storage: tt.storage,
					History: 100,
				})
			})
		})
	}
}

var (
	services = store.Key{Group: "serving.knative.dev", Resource: "services"}
	configs  = store.Key{Group: "serving.knative.dev", Resource: "configurations"}
)

func key(kind store.Key, ns, name string) store.Key {
	kind.Namespace, kind.Name = ns, name
	return kind
}

func svc(name string, extra string) []byte {
	return []byte(`{"apiVersion":"serving.knative.dev/v1","kind":"Service","metadata":{"name":"` + name +
		`","namespace":"default"` + extra + `},"spec":{"template":{"spec":{"containers":[{"image":"x"}]}}}}`)
}

// recv returns the next event on ch.
func recv(t testing.TB, ch <-chan store.Event) store.Event {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatal("watch closed")
		}
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no event")
	}
	return store.Event{}
}

// Objects, resourceVersions and delete markers survive a restart; the
// collector finishes what happened while no store ran.
func TestKVReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	opts := store.KVOptions{Bucket: "skiff", History: 100}

	n1 := startNATS(t, dir) // closed below; Close is idempotent
	kv1 := newKV(t, n1.JetStream(), opts)
	a, errA := kv1.Create(ctx, key(services, "default", "a"), svc("a", ""))
	b, errB := kv1.Create(ctx, key(services, "default", "b"), svc("b", ""))
	if err := errors.Join(errA, errB); err != nil {
		t.Fatal(err)
	}
	a, errA = kv1.Update(ctx, a.Key, []byte(strings.Replace(string(a.JSON), `"image":"x"`, `"image":"y"`, 1)), store.UpdateOptions{})
	_, errB = kv1.Delete(ctx, b.Key, store.DeleteOptions{})
	owner, errO := kv1.Create(ctx, key(services, "default", "owner"), svc("owner", ""))
	if err := errors.Join(errA, errB, errO); err != nil {
		t.Fatal(err)
	}
	child, err := kv1.Create(ctx, key(configs, "default", "child"), []byte(`{"metadata":{"ownerReferences":[{"apiVersion":"v1","kind":"Service","name":"owner","uid":"`+string(owner.Meta.UID)+`"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	before, err := kv1.List(ctx, store.ListOptions{Group: services.Group, Resource: services.Resource})
	if err != nil {
		t.Fatal(err)
	}
	_ = kv1.Close()
	// Delete the owner behind the store's back: no collector runs.
	raw, err := n1.JetStream().KeyValue(ctx, opts.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	ownerKey, _ := store.EncodeKey(owner.Key)
	if err := raw.Delete(ctx, ownerKey); err != nil {
		t.Fatal(err)
	}
	n1.Close()

	n2 := startNATS(t, dir)
	kv2 := newKV(t, n2.JetStream(), opts)
	got, err := kv2.Get(ctx, a.Key)
	if err != nil {
		t.Fatal(err)
	}
	if got.Revision != a.Revision || string(got.JSON) != string(a.JSON) {
		t.Errorf("after reopen: %d %s, want %d %s", got.Revision, got.JSON, a.Revision, a.JSON)
	}
	if _, err := kv2.Get(ctx, b.Key); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get(deleted b) after reopen = %v, want ErrNotFound", err)
	}
	// The collector finds the orphan whose owner went while it was away.
	storetest.CheckFor(t, 10*time.Second, func() error {
		if _, err := kv2.Get(ctx, child.Key); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("orphan not collected: %v", err)
		}
		return nil
	})
	// A watch from a revision read before the restart: services changed
	// before kv2 started (the owner's delete), which it cannot replay;
	// configurations changed only after (the orphan's collection), which it
	// can.
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if _, err := kv2.Watch(wctx, store.WatchOptions{Group: services.Group, Resource: services.Resource, Revision: before.Revision}); !errors.Is(err, store.ErrExpired) {
		t.Errorf("Watch(services from %d) = %v, want ErrExpired", before.Revision, err)
	}
	cw, err := kv2.Watch(wctx, store.WatchOptions{Group: configs.Group, Resource: configs.Resource, Revision: before.Revision})
	if err != nil {
		t.Fatalf("Watch(configurations from %d) = %v", before.Revision, err)
	}
	if ev := recv(t, cw); ev.Type != store.Deleted || ev.Object.Key != child.Key {
		t.Errorf("configurations from %d: %s %v, want DELETED %v", before.Revision, ev.Type, ev.Object.Key, child.Key)
	}
	l, err := kv2.List(ctx, store.ListOptions{Group: services.Group, Resource: services.Resource})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := kv2.Watch(wctx, store.WatchOptions{Group: services.Group, Resource: services.Resource, Revision: l.Revision})
	if err != nil {
		t.Fatalf("Watch(services from %d) = %v", l.Revision, err)
	}
	// Re-creating a key deleted before the restart works over its marker.
	b2, err := kv2.Create(ctx, b.Key, svc("b", ""))
	if err != nil {
		t.Fatal(err)
	}
	if b2.Revision <= got.Revision {
		t.Errorf("revision after reopen %d, want > %d", b2.Revision, got.Revision)
	}
	if ev := recv(t, ch); ev.Type != store.Added || ev.Object.Revision != b2.Revision {
		t.Errorf("event %s %d, want ADDED %d", ev.Type, ev.Object.Revision, b2.Revision)
	}
}

func TestKVTwoInstances(t *testing.T) {
	ctx := context.Background()
	n := startNATS(t, t.TempDir())
	kv1 := newKV(t, n.JetStream(), store.KVOptions{})
	kv2 := newKV(t, n.JetStream(), store.KVOptions{})
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch, err := kv2.Watch(wctx, store.WatchOptions{Group: services.Group, Resource: services.Resource})
	if err != nil {
		t.Fatal(err)
	}
	a, err := kv1.Create(ctx, key(services, "default", "a"), svc("a", ""))
	if err != nil {
		t.Fatal(err)
	}
	if ev := recv(t, ch); ev.Type != store.Added || ev.Object.Revision != a.Revision || string(ev.Object.JSON) != string(a.JSON) {
		t.Fatalf("second node saw %s %d %s, want ADDED %d %s", ev.Type, ev.Object.Revision, ev.Object.JSON, a.Revision, a.JSON)
	}
	// A resourceVersion read on node 1 is good on node 2.
	a2, err := kv2.Update(ctx, a.Key, []byte(strings.Replace(string(a.JSON), `"image":"x"`, `"image":"y"`, 1)), store.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	stale := []byte(strings.Replace(string(a.JSON), `"image":"x"`, `"image":"z"`, 1))
	if _, err := kv1.Update(ctx, a.Key, stale, store.UpdateOptions{}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("stale update through node 1 = %v, want ErrConflict", err)
	}
	// A cascade started on one node is finished by either collector.
	child, err := kv2.Create(ctx, key(configs, "default", "child"), []byte(`{"metadata":{"ownerReferences":[{"apiVersion":"v1","kind":"Service","name":"a","uid":"`+string(a2.Meta.UID)+`"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	storetest.CheckFor(t, 10*time.Second, func() error {
		_, err := kv1.Get(ctx, child.Key)
		return err
	})
	if _, err := kv1.Delete(ctx, a.Key, store.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, kv := range []*store.KV{kv1, kv2} {
		storetest.CheckFor(t, 10*time.Second, func() error {
			if _, err := kv.Get(ctx, child.Key); !errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("child still there: %v", err)
			}
			return nil
		})
	}
}

// A watch of one kind resumes from before the ring's floor when that kind
// did not change since; another kind that did change is expired.
func TestKVExpiryProof(t *testing.T) {
	ctx := context.Background()
	n := startNATS(t, t.TempDir())
	kv := newKV(t, n.JetStream(), store.KVOptions{Storage: jetstream.MemoryStorage, History: 5})
	a, err := kv.Create(ctx, key(services, "default", "a"), svc("a", ""))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if _, err := kv.Create(ctx, key(configs, "default", fmt.Sprint("c", i)), []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if _, err := kv.Watch(wctx, store.WatchOptions{Group: services.Group, Resource: services.Resource, Revision: a.Revision}); err != nil {
		t.Errorf("Watch(services from %d) = %v, want a watch", a.Revision, err)
	}
	if _, err := kv.Watch(wctx, store.WatchOptions{Group: configs.Group, Resource: configs.Resource, Revision: a.Revision}); !errors.Is(err, store.ErrExpired) {
		t.Errorf("Watch(configurations from %d) = %v, want ErrExpired", a.Revision, err)
	}
	if _, err := kv.Watch(wctx, store.WatchOptions{Revision: a.Revision}); !errors.Is(err, store.ErrExpired) {
		t.Errorf("Watch(every kind from %d) = %v, want ErrExpired", a.Revision, err)
	}
}

// A watcher that does not read is closed; it gets what was buffered first.
func TestKVSlowWatcherClosed(t *testing.T) {
	ctx := context.Background()
	n := startNATS(t, t.TempDir())
	kv := newKV(t, n.JetStream(), store.KVOptions{Storage: jetstream.MemoryStorage, WatchBuffer: 4})
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	slow, err := kv.Watch(wctx, store.WatchOptions{Group: services.Group, Resource: services.Resource})
	if err != nil {
		t.Fatal(err)
	}
	var last *store.Object
	for i := range 10 {
		if last, err = kv.Create(ctx, key(services, "default", fmt.Sprint("s", i)), []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
	got := 0
	for range slow {
		got++
	}
	if got != 4 {
		t.Errorf("slow watcher got %d events before closing, want 4", got)
	}
	// Writes go on, and other watches are unaffected.
	ch, err := kv.Watch(wctx, store.WatchOptions{Group: services.Group, Resource: services.Resource, Revision: last.Revision - 1})
	if err != nil {
		t.Fatal(err)
	}
	if ev := recv(t, ch); ev.Object.Revision != last.Revision {
		t.Errorf("resumed watch got revision %d, want %d", ev.Object.Revision, last.Revision)
	}
}

// Close ends watches and waits for the store's goroutines; calls after it
// fail instead of hanging.
func TestKVClose(t *testing.T) {
	ctx := context.Background()
	n := startNATS(t, t.TempDir())
	kv := newKV(t, n.JetStream(), store.KVOptions{Storage: jetstream.MemoryStorage})
	ch, err := kv.Watch(ctx, store.WatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for range ch {
		}
	})
	if err := kv.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if _, err := kv.Watch(ctx, store.WatchOptions{}); err == nil {
		t.Error("Watch after Close succeeded")
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := kv.Create(cctx, key(services, "default", "late"), []byte(`{}`)); err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Create after Close = %v, want a prompt error", err)
	}
}

func TestKeyEncoding(t *testing.T) {
	tests := []struct {
		key  store.Key
		want string // "" for an error
	}{
		{store.Key{Group: "serving.knative.dev", Resource: "services", Namespace: "default", Name: "hello"}, "serving=knative=dev.services.default.hello"},
		{store.Key{Resource: "configmaps", Namespace: "kube-system", Name: "config.v1"}, "core.configmaps.kube-system.config=v1"},
		{store.Key{Resource: "namespaces", Name: "default"}, "core.namespaces._.default"},
		{store.Key{Group: "apps", Resource: "deployments", Namespace: "a", Name: "_"}, "apps.deployments.a._"},
		{store.Key{Group: "core", Resource: "x", Namespace: "a", Name: "b"}, ""},
		{store.Key{Resource: "x", Namespace: "_", Name: "b"}, ""},
		{store.Key{Resource: "x", Namespace: "a.b", Name: "b"}, ""},
		{store.Key{Resource: "x.y", Namespace: "a", Name: "b"}, ""},
		{store.Key{Resource: "x", Namespace: "a", Name: "b=c"}, ""},
		{store.Key{Resource: "x", Namespace: "a", Name: "b c"}, ""},
		{store.Key{Resource: "x", Namespace: "a", Name: "b*"}, ""},
		{store.Key{Resource: "x", Namespace: "a", Name: ""}, ""},
		{store.Key{Resource: "", Namespace: "a", Name: "b"}, ""},
	}
	for _, tt := range tests {
		got, err := store.EncodeKey(tt.key)
		if tt.want == "" {
			if err == nil {
				t.Errorf("EncodeKey(%+v) = %q, want an error", tt.key, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("EncodeKey(%+v) = %q, %v, want %q", tt.key, got, err, tt.want)
			continue
		}
		back, err := store.DecodeKey(got)
		if err != nil || back != tt.key {
			t.Errorf("DecodeKey(%q) = %+v, %v, want %+v", got, back, err, tt.key)
		}
	}
	for _, bad := range []string{"", "a.b.c", "a.b.c.d.e", "a..c.d", "a.b=x.c.d", "a.b.c.d*", "core.x._.>", ".a.b.c"} {
		if k, err := store.DecodeKey(bad); err == nil {
			t.Errorf("DecodeKey(%q) = %+v, want an error", bad, k)
		}
	}
}

// FuzzKeyEncoding checks that every key that encodes decodes back to
// itself, that encoded keys are legal KV keys, and that every string that
// decodes is the encoding of what it decodes to.
func FuzzKeyEncoding(f *testing.F) {
	f.Add("serving.knative.dev", "services", "default", "hello")
	f.Add("", "namespaces", "", "default")
	f.Fuzz(func(t *testing.T, group, resource, namespace, name string) {
		k := store.Key{Group: group, Resource: resource, Namespace: namespace, Name: name}
		enc, err := store.EncodeKey(k)
		if err == nil {
			if !legalKVKey(enc) {
				t.Fatalf("EncodeKey(%+v) = %q, not a legal KV key", k, enc)
			}
			back, err := store.DecodeKey(enc)
			if err != nil || back != k {
				t.Fatalf("DecodeKey(EncodeKey(%+v) = %q) = %+v, %v", k, enc, back, err)
			}
		}
		s := strings.Join([]string{group, resource, namespace, name}, ".")
		if k, err := store.DecodeKey(s); err == nil {
			if enc, err := store.EncodeKey(k); err != nil || enc != s {
				t.Fatalf("EncodeKey(DecodeKey(%q) = %+v) = %q, %v", s, k, enc, err)
			}
		}
	})
}

// legalKVKey is nats.go's rule for keys.
func legalKVKey(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-/_=.", c) >= 0) {
			return false
		}
	}
	return true
}
