package controller

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// nexts returns the delays of n calls of r.Next(k).
func nexts(r *Rechecks, name string, n int) []time.Duration {
	var out []time.Duration
	for range n {
		out = append(out, r.Next(key(name)).After)
	}
	return out
}

func TestRechecksSequence(t *testing.T) {
	const s, m = time.Second, time.Minute
	tests := []struct {
		name       string
		first, max time.Duration
		want       []time.Duration
	}{
		{"reconcilers' bounds", 2 * s, 5 * m, []time.Duration{2 * s, 4 * s, 8 * s, 16 * s, 32 * s, 64 * s, 128 * s, 256 * s, 5 * m, 5 * m}},
		{"max not a doubling of first", 3 * s, 10 * s, []time.Duration{3 * s, 6 * s, 10 * s, 10 * s}},
		{"max equals first", 2 * s, 2 * s, []time.Duration{2 * s, 2 * s, 2 * s}},
		{"max below first", 2 * s, s, []time.Duration{2 * s, 2 * s, 2 * s}},
		{"max near the largest duration", s, time.Duration(1<<63 - 1), nil},
		{"zero", 0, 0, []time.Duration{0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Rechecks{First: tt.first, Max: tt.max}
			if tt.want == nil {
				// Doubling must reach the cap without overflowing.
				got := nexts(r, "a", 70)
				for i := 1; i < len(got); i++ {
					if got[i] < got[i-1] {
						t.Fatalf("Next #%d = %v after %v, want no shorter", i, got[i], got[i-1])
					}
				}
				if last := got[len(got)-1]; last != tt.max {
					t.Errorf("Next #69 = %v, want %v", last, tt.max)
				}
				return
			}
			if diff := cmp.Diff(tt.want, nexts(r, "a", len(tt.want))); diff != "" {
				t.Errorf("Next delays (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRechecksResetAndKeys(t *testing.T) {
	r := &Rechecks{First: time.Second, Max: time.Minute}
	nexts(r, "a", 3)
	if got := r.Next(key("b")).After; got != time.Second {
		t.Errorf("Next(b) after three Next(a) = %v, want 1s (keys are apart)", got)
	}
	if got := r.Next(key("a")).After; got != 8*time.Second {
		t.Errorf("fourth Next(a) = %v, want 8s", got)
	}
	r.Reset(key("a"))
	if got := r.Next(key("a")).After; got != time.Second {
		t.Errorf("Next(a) after Reset = %v, want 1s", got)
	}
	if got := r.Next(key("b")).After; got != 2*time.Second {
		t.Errorf("second Next(b) after Reset(a) = %v, want 2s", got)
	}
	// Resetting a key never seen, or on a zero Rechecks, is harmless.
	r.Reset(key("c"))
	(&Rechecks{}).Reset(key("a"))
}

func TestRechecksJitter(t *testing.T) {
	tests := []struct {
		jitter, rand float64
		want         []time.Duration
	}{
		{0, 0.5, []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second}},
		{0.1, 0, []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second}},
		{0.1, 0.5, []time.Duration{9500 * time.Millisecond, 19 * time.Second, 38 * time.Second}},
		// The cap is not jittered past: delays only shrink.
		{0.2, 0.5, []time.Duration{9 * time.Second, 18 * time.Second, 36 * time.Second, 54 * time.Second, 54 * time.Second}},
		{2, 0.5, []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%v/%v", tt.jitter, tt.rand), func(t *testing.T) {
			r := &Rechecks{First: 10 * time.Second, Max: time.Minute, Jitter: tt.jitter, Rand: func() float64 { return tt.rand }}
			if diff := cmp.Diff(tt.want, nexts(r, "a", len(tt.want))); diff != "" {
				t.Errorf("Next delays with jitter %v, rand %v (-want +got):\n%s", tt.jitter, tt.rand, diff)
			}
		})
	}
	// The default source stays within bounds.
	r := &Rechecks{First: 10 * time.Second, Max: time.Minute, Jitter: 0.1}
	for range 100 {
		r.Reset(key("a"))
		if got := r.Next(key("a")).After; got < 9*time.Second || got > 10*time.Second {
			t.Fatalf("Next with jitter 0.1 = %v, want within [9s, 10s]", got)
		}
	}
}

// TestRechecksConcurrent: calls from many goroutines (run with -race) hand
// out each key's sequence exactly once, in some order.
func TestRechecksConcurrent(t *testing.T) {
	const goroutines, calls = 8, 10
	r := &Rechecks{First: time.Second, Max: time.Hour}
	var mu sync.Mutex // guards got
	got := map[string][]time.Duration{}
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range calls {
				for _, k := range []string{"shared", fmt.Sprintf("own-%d", g)} {
					d := r.Next(key(k)).After
					mu.Lock()
					got[k] = append(got[k], d)
					mu.Unlock()
				}
				if i == calls/2 {
					r.Reset(key(fmt.Sprintf("own-%d", g)))
				}
			}
		})
	}
	wg.Wait()
	want := nexts(&Rechecks{First: time.Second, Max: time.Hour}, "x", goroutines*calls)
	shared := got["shared"]
	slices.Sort(shared)
	if diff := cmp.Diff(want, shared); diff != "" {
		t.Errorf("delays of the shared key (-want +got):\n%s", diff)
	}
	wantOwn := nexts(&Rechecks{First: time.Second, Max: time.Hour}, "x", calls/2+1)
	wantOwn = append(wantOwn, wantOwn[:calls-len(wantOwn)]...)
	for g := range goroutines {
		k := fmt.Sprintf("own-%d", g)
		if diff := cmp.Diff(wantOwn, got[k]); diff != "" {
			t.Errorf("delays of %s, reset after the %dth (-want +got):\n%s", k, calls/2+1, diff)
		}
	}
}
