package store_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/skiff-sh/skiff/internal/store"
)

// Benchmarks of KV on an embedded NATS with file storage over the
// in-process connection, with BenchmarkRawKVPut (a bare kv.Put on the same
// bucket) as the baseline they are judged by:
//
//	go test -run '^$' -bench . -benchtime 1s ./internal/store/
//
// The project's targets: create+get over HTTP <= 1 ms p50, a list of 1000
// objects <= 20 ms, an update seen by 100 watchers within 10 ms p99.

// benchService is a Knative Service of a realistic size.
func benchService(name string) []byte {
	return []byte(`{"apiVersion":"serving.knative.dev/v1","kind":"Service","metadata":{"name":"` + name + `","namespace":"default",` +
		`"labels":{"app":"bench","team":"perf"},"annotations":{"autoscaling.knative.dev/target":"10",` +
		`"kubectl.kubernetes.io/last-applied-configuration":"{\"apiVersion\":\"serving.knative.dev/v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"` + name + `\"}}"}},` +
		`"spec":{"template":{"metadata":{"annotations":{"autoscaling.knative.dev/min-scale":"0"}},"spec":{"containerConcurrency":0,` +
		`"containers":[{"image":"ko://github.com/skiff-sh/skiff/examples/hello","env":[{"name":"TARGET","value":"bench"}],` +
		`"ports":[{"containerPort":8080}],"readinessProbe":{"successThreshold":1,"tcpSocket":{"port":0}}}],` +
		`"enableServiceLinks":false,"timeoutSeconds":300}},"traffic":[{"latestRevision":true,"percent":100}]}}`)
}

func benchKV(b *testing.B) (*store.KV, jetstream.KeyValue) {
	b.Helper()
	n := startNATS(b, b.TempDir())
	kv := newKV(b, n.JetStream(), store.KVOptions{Logger: slog.New(slog.DiscardHandler)})
	raw, err := n.JetStream().KeyValue(context.Background(), "skiff")
	if err != nil {
		b.Fatal(err)
	}
	return kv, raw
}

// BenchmarkRawKVPut is the baseline: one kv.Put of a stored object.
func BenchmarkRawKVPut(b *testing.B) {
	ctx := context.Background()
	_, raw := benchKV(b)
	// A value in the stored layout, so that the store's cache takes it.
	value := []byte(`{"metadata":{"name":"raw","namespace":"default","uid":"00000000-0000-4000-8000-000000000000"},"spec":{}}`)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := raw.Put(ctx, fmt.Sprintf("serving=knative=dev.services.default.raw-%d", i), value); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkKVCreateGet(b *testing.B) {
	ctx := context.Background()
	kv, _ := benchKV(b)
	lat := make([]time.Duration, 0, 1<<16)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		name := fmt.Sprint("svc-", i)
		k := key(services, "default", name)
		start := time.Now()
		if _, err := kv.Create(ctx, k, benchService(name)); err != nil {
			b.Fatal(err)
		}
		if _, err := kv.Get(ctx, k); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	reportPercentiles(b, lat)
}

func BenchmarkKVList1000(b *testing.B) {
	ctx := context.Background()
	kv, _ := benchKV(b)
	for i := range 1000 {
		name := fmt.Sprint("svc-", i)
		if _, err := kv.Create(ctx, key(services, "default", name), benchService(name)); err != nil {
			b.Fatal(err)
		}
	}
	opts := store.ListOptions{Group: services.Group, Resource: services.Resource, Namespace: "default"}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		l, err := kv.List(ctx, opts)
		if err != nil || len(l.Items) != 1000 {
			b.Fatalf("List = %d items, %v", len(l.Items), err)
		}
	}
}

// BenchmarkKVWatchFanout100 times an update from the start of Update until
// each of 100 watchers has received it; p99 is over every (update, watcher).
func BenchmarkKVWatchFanout100(b *testing.B) {
	const watchers = 100
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	kv, _ := benchKV(b)
	o, err := kv.Create(ctx, key(services, "default", "fan"), benchService("fan"))
	if err != nil {
		b.Fatal(err)
	}

	var (
		mu      sync.Mutex
		started time.Time // of the update in flight; guarded by mu
		lat     []time.Duration
	)
	seen := make(chan struct{}, watchers)
	var wg sync.WaitGroup
	for range watchers {
		ch, err := kv.Watch(ctx, store.WatchOptions{Group: services.Group, Resource: services.Resource, Revision: o.Revision})
		if err != nil {
			b.Fatal(err)
		}
		wg.Go(func() {
			for range ch {
				now := time.Now()
				mu.Lock()
				lat = append(lat, now.Sub(started))
				mu.Unlock()
				seen <- struct{}{}
			}
		})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		body := []byte(fmt.Sprintf(`{"metadata":{"name":"fan","namespace":"default"},"spec":{"n":%d}}`, i))
		mu.Lock()
		started = time.Now()
		mu.Unlock()
		if _, err := kv.Update(ctx, o.Key, body, store.UpdateOptions{}); err != nil {
			b.Fatal(err)
		}
		for range watchers {
			<-seen
		}
	}
	b.StopTimer()
	cancel()
	wg.Wait()
	reportPercentiles(b, lat)
}

func reportPercentiles(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	at := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds())
	}
	b.ReportMetric(at(0.50), "p50-µs")
	b.ReportMetric(at(0.99), "p99-µs")
}
