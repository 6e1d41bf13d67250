package dispatch

import (
	"context"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// workerIdle is how long a worker waits for another event before it ends.
const workerIdle = 10 * time.Second

// workerPool runs handle for submitted events on at most max goroutines.
// Workers start when events wait and none is free, and end after workerIdle
// without work, so that an idle Trigger holds no goroutines for them and a
// busy one does not start a goroutine per event.
type workerPool struct {
	ctx    context.Context
	max    int
	idle   time.Duration // workerIdle; tests shorten it
	handle func(jetstream.Msg)
	work   chan jetstream.Msg
	// slots holds a token per running worker.
	slots chan struct{}
	wg    sync.WaitGroup
}

func newWorkerPool(ctx context.Context, max int, handle func(jetstream.Msg)) *workerPool {
	return &workerPool{
		ctx:    ctx,
		max:    max,
		idle:   workerIdle,
		handle: handle,
		work:   make(chan jetstream.Msg),
		slots:  make(chan struct{}, max),
	}
}

// submit hands m to a free worker, starts one when none is free and fewer
// than max run, or else waits for one. It returns without handling m once
// ctx is done.
func (p *workerPool) submit(m jetstream.Msg) {
	select {
	case p.work <- m:
		return
	default:
	}
	select {
	case p.work <- m:
	case p.slots <- struct{}{}:
		p.wg.Go(func() { p.run(m) })
	case <-p.ctx.Done():
	}
}

// run handles m, then further events until it has been idle for
// workerIdle or ctx is done.
func (p *workerPool) run(m jetstream.Msg) {
	defer func() { <-p.slots }()
	idle := time.NewTimer(p.idle)
	defer idle.Stop()
	for {
		p.handle(m)
		idle.Reset(p.idle)
		select {
		case m = <-p.work:
		case <-idle.C:
			return
		case <-p.ctx.Done():
			return
		}
	}
}

// wait blocks until every worker has ended; ctx must be done first.
func (p *workerPool) wait() { p.wg.Wait() }
