package controller

import (
	"math/rand/v2"
	"sync"
	"time"

	"github.com/skiff-sh/skiff/internal/store"
)

// Rechecks hands out growing recheck delays per key: First, then doubling,
// up to Max; Reset forgets a key. A reconciler returns Next while it waits
// for something it cannot watch (a destination that does not resolve yet),
// so that many such objects do not poll at a steady pace, and Resets the
// key once the wait is over. The zero value hands out zero delays; set
// First and Max before use. Rechecks is safe for concurrent use.
type Rechecks struct {
	// First is the first delay of a key.
	First time.Duration
	// Max caps the delays; one below First means First.
	Max time.Duration
	// Jitter shortens each delay by up to this fraction of it, at random,
	// so that keys that started waiting together do not stay in step; zero
	// means none. The sequence the delays grow along is not jittered.
	Jitter float64
	// Rand returns a number in [0, 1) for the jitter; nil means
	// math/rand/v2's Float64. Tests pass a fixed one.
	Rand func() float64

	mu   sync.Mutex                  // guards next
	next map[store.Key]time.Duration // the delay a key gets next
}

// Next returns the delay before key is looked at again, and makes the one
// after it longer.
func (r *Rechecks) Next(key store.Key) RequeueAfter {
	limit := max(r.Max, r.First)
	r.mu.Lock()
	d, ok := r.next[key]
	if !ok {
		d = r.First
	}
	d = min(d, limit)
	if r.next == nil {
		r.next = map[store.Key]time.Duration{}
	}
	// Doubling stops at the limit, before it can overflow.
	if d > limit/2 {
		r.next[key] = limit
	} else {
		r.next[key] = 2 * d
	}
	r.mu.Unlock()
	if r.Jitter > 0 {
		rnd := rand.Float64
		if r.Rand != nil {
			rnd = r.Rand
		}
		d -= time.Duration(float64(d) * min(r.Jitter, 1) * rnd())
	}
	return RequeueAfter{After: d}
}

// Reset forgets key: its next delay is First again.
func (r *Rechecks) Reset(key store.Key) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.next, key)
}
