package controller

import (
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/skiff-sh/skiff/internal/store"
)

// fakeClock fires AfterFunc callbacks only when the test moves time.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	at      time.Time
	f       func()
	stopped bool
}

func (t *fakeTimer) Stop() bool { was := !t.stopped; t.stopped = true; return was }

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *fakeClock) AfterFunc(d time.Duration, f func()) Stopper {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return t
}

// Step moves time forward and fires the timers that are due.
func (c *fakeClock) Step(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []*fakeTimer
	var rest []*fakeTimer
	for _, t := range c.timers {
		if !t.stopped && !t.at.After(c.now) {
			due = append(due, t)
		} else if !t.stopped {
			rest = append(rest, t)
		}
	}
	c.timers = rest
	c.mu.Unlock()
	sort.Slice(due, func(i, j int) bool { return due[i].at.Before(due[j].at) })
	for _, t := range due {
		t.f()
	}
}

func key(name string) store.Key {
	return store.Key{Resource: "services", Namespace: "default", Name: name}
}

func TestQueueDedupes(t *testing.T) {
	q := NewQueue(nil)
	q.Add(key("a"))
	q.Add(key("b"))
	q.Add(key("a"))
	if got := q.Len(); got != 2 {
		t.Fatalf("Len() = %d, want 2", got)
	}
	k, _ := q.Get()
	if k != key("a") {
		t.Errorf("Get() = %v, want a first", k)
	}
}

func TestQueueSerializesKey(t *testing.T) {
	q := NewQueue(nil)
	q.Add(key("a"))
	k, _ := q.Get()
	// Added while processing: not handed out again until Done.
	q.Add(key("a"))
	if got := q.Len(); got != 0 {
		t.Fatalf("Len() while processing = %d, want 0", got)
	}
	q.Done(k)
	if got := q.Len(); got != 1 {
		t.Fatalf("Len() after Done = %d, want 1 (the dirty key is back)", got)
	}
}

func TestQueueRetryBackoff(t *testing.T) {
	clock := &fakeClock{now: time.Unix(0, 0)}
	q := NewQueue(clock)
	want := []time.Duration{5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond}
	for i, w := range want {
		if got := q.Retry(key("a")); got != w {
			t.Errorf("Retry #%d = %v, want %v", i, got, w)
		}
	}
	clock.Step(39 * time.Millisecond)
	if got := q.Len(); got != 0 {
		t.Fatalf("Len() before the backoff passed = %d, want 0", got)
	}
	clock.Step(time.Millisecond)
	if got := q.Len(); got != 1 {
		t.Fatalf("Len() after the backoff = %d, want 1", got)
	}
	q.Forget(key("a"))
	if got := q.Retry(key("a")); got != 5*time.Millisecond {
		t.Errorf("Retry after Forget = %v, want 5ms", got)
	}
}

func TestQueueBackoffCapped(t *testing.T) {
	q := NewQueue(&fakeClock{})
	var last time.Duration
	for range 40 {
		last = q.Retry(key("a"))
	}
	if last != maxDelay {
		t.Errorf("Retry after 40 failures = %v, want %v", last, maxDelay)
	}
}

func TestQueueShutDownWakesGet(t *testing.T) {
	q := NewQueue(nil)
	done := make(chan bool)
	go func() {
		_, ok := q.Get()
		done <- ok
	}()
	q.ShutDown()
	select {
	case ok := <-done:
		if ok {
			t.Fatal("Get() after ShutDown = ok, want !ok")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Get() still blocked 5s after ShutDown")
	}
}
