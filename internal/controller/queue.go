// Package controller is skiff's reconcile loop: a controller watches the
// store (whose in-memory cache is the informer cache), puts the keys of
// changed objects on a work queue, and calls a level-triggered Reconciler
// for each key, never for the same key twice at once, retrying failures
// with exponential backoff.
package controller

import (
	"sync"
	"time"

	"github.com/skiff-sh/skiff/internal/store"
)

// Clock is the time source of the queue; tests pass a fake one.
type Clock interface {
	Now() time.Time
	AfterFunc(d time.Duration, f func()) Stopper
}

// Stopper stops a timer.
type Stopper interface{ Stop() bool }

type realClock struct{}

func (realClock) Now() time.Time                              { return time.Now() }
func (realClock) AfterFunc(d time.Duration, f func()) Stopper { return time.AfterFunc(d, f) }

// Backoff bounds for failing keys, as client-go's default controller rate
// limiter (5 ms doubling up to 1000 s); skiff caps at 5 minutes.
const (
	baseDelay = 5 * time.Millisecond
	maxDelay  = 5 * time.Minute
)

// Queue is a work queue of keys. A key is handed to at most one worker at a
// time; adding a key that is being processed marks it dirty, and it comes
// back once Done is called. Adding a key already waiting does nothing.
type Queue struct {
	clock Clock

	mu         sync.Mutex // guards every field below
	cond       *sync.Cond
	order      []store.Key           // keys waiting, in arrival order
	waiting    map[store.Key]bool    // keys in order
	processing map[store.Key]bool    // keys handed out and not Done
	dirty      map[store.Key]bool    // keys added while processing
	failures   map[store.Key]int     // consecutive failures per key
	timers     map[store.Key]Stopper // delayed adds not yet fired
	shutdown   bool
}

// NewQueue returns an empty queue; clock nil means the real clock.
func NewQueue(clock Clock) *Queue {
	if clock == nil {
		clock = realClock{}
	}
	q := &Queue{
		clock:      clock,
		waiting:    map[store.Key]bool{},
		processing: map[store.Key]bool{},
		dirty:      map[store.Key]bool{},
		failures:   map[store.Key]int{},
		timers:     map[store.Key]Stopper{},
	}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// Add queues key for processing.
func (q *Queue) Add(key store.Key) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.addLocked(key)
}

func (q *Queue) addLocked(key store.Key) {
	if q.shutdown {
		return
	}
	if q.processing[key] {
		q.dirty[key] = true
		return
	}
	if q.waiting[key] {
		return
	}
	q.waiting[key] = true
	q.order = append(q.order, key)
	q.cond.Signal()
}

// AddAfter queues key once d has passed. An earlier pending AddAfter of the
// same key is replaced.
func (q *Queue) AddAfter(key store.Key, d time.Duration) {
	if d <= 0 {
		q.Add(key)
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.shutdown {
		return
	}
	if t, ok := q.timers[key]; ok {
		t.Stop()
	}
	q.timers[key] = q.clock.AfterFunc(d, func() {
		q.mu.Lock()
		defer q.mu.Unlock()
		delete(q.timers, key)
		q.addLocked(key)
	})
}

// Retry queues key again after a backoff that doubles with each
// consecutive failure, and returns that backoff.
func (q *Queue) Retry(key store.Key) time.Duration {
	q.mu.Lock()
	n := q.failures[key]
	q.failures[key] = n + 1
	q.mu.Unlock()
	d := baseDelay << min(n, 30)
	if d > maxDelay || d <= 0 {
		d = maxDelay
	}
	q.AddAfter(key, d)
	return d
}

// Forget clears the failure count of key, after a success.
func (q *Queue) Forget(key store.Key) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.failures, key)
}

// Get blocks until a key is ready and hands it out; ok is false once the
// queue is shut down.
func (q *Queue) Get() (key store.Key, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.order) == 0 && !q.shutdown {
		q.cond.Wait()
	}
	if q.shutdown {
		return store.Key{}, false
	}
	key = q.order[0]
	q.order = q.order[1:]
	delete(q.waiting, key)
	q.processing[key] = true
	return key, true
}

// Done marks key processed; if it was added meanwhile it is queued again.
func (q *Queue) Done(key store.Key) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.processing, key)
	if q.dirty[key] {
		delete(q.dirty, key)
		q.addLocked(key)
	}
}

// Len returns the number of keys waiting.
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.order)
}

// ShutDown wakes every Get with ok false and stops pending timers.
func (q *Queue) ShutDown() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.shutdown = true
	for k, t := range q.timers {
		t.Stop()
		delete(q.timers, k)
	}
	q.cond.Broadcast()
}
