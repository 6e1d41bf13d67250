package dispatch

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

func TestWorkerPool(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	const max = 4
	var running, peak, handled atomic.Int64
	release := make(chan struct{})
	p := newWorkerPool(ctx, max, func(jetstream.Msg) {
		n := running.Add(1)
		for {
			old := peak.Load()
			if n <= old || peak.CompareAndSwap(old, n) {
				break
			}
		}
		<-release
		running.Add(-1)
		handled.Add(1)
	})
	p.idle = 50 * time.Millisecond

	// Ten events with every worker blocked: max of them start, the rest
	// wait in submit.
	var submitted sync.WaitGroup
	submitted.Go(func() {
		for range 10 {
			p.submit(nil)
		}
	})
	checkFor(t, "max workers busy", 5*time.Second, func() bool { return running.Load() == max })
	close(release)
	submitted.Wait()
	checkFor(t, "all handled", 5*time.Second, func() bool { return handled.Load() == 10 })
	if got := peak.Load(); got != max {
		t.Errorf("peak concurrency = %d, want %d", got, max)
	}
	// Idle workers end.
	checkFor(t, "idle workers to end", 5*time.Second, func() bool { return len(p.slots) == 0 })

	// The pool works again after shrinking, and stops with ctx.
	p.submit(nil)
	checkFor(t, "a new worker", 5*time.Second, func() bool { return handled.Load() == 11 })
	cancel()
	p.wait()
	if len(p.slots) != 0 {
		t.Errorf("%d workers left after wait", len(p.slots))
	}
}
