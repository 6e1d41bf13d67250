package autoscaler

import (
	"testing"
	"time"
)

// t0 is the fake clock's origin, on a whole second.
var t0 = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// at is t0 plus sec seconds.
func at(sec float64) time.Time { return t0.Add(time.Duration(sec * float64(time.Second))) }

func TestWindowAverage(t *testing.T) {
	type rec struct {
		sec float64
		s   Sample
	}
	conc := func(sec float64, c float64) rec { return rec{sec, Sample{Concurrency: c}} }
	tests := []struct {
		name   string
		recs   []rec
		now    float64
		window time.Duration
		metric string
		algo   string
		want   float64
	}{{
		name: "empty", now: 10, window: time.Minute, want: 0,
	}, {
		name:   "first second from zero is undiluted",
		recs:   []rec{conc(100, 10)},
		now:    100.5,
		window: time.Minute,
		want:   10,
	}, {
		name:   "partial window since the first sample",
		recs:   []rec{conc(100, 10), conc(101, 20)},
		now:    101.5,
		window: time.Minute,
		want:   15,
	}, {
		name:   "silent seconds count as zero, also at the end",
		recs:   []rec{conc(100, 10), conc(101, 20)},
		now:    150.5,
		window: time.Minute,
		want:   0.588235, // 30 / 51, floored to six decimals
	}, {
		name:   "panic window past the data",
		recs:   []rec{conc(100, 10), conc(101, 20)},
		now:    150.5,
		window: 6 * time.Second,
		want:   0,
	}, {
		name: "gap shorter than the window counts as zeros",
		recs: func() []rec {
			var r []rec
			for s := 0; s < 60; s++ {
				r = append(r, conc(float64(s), 1))
			}
			return append(r, conc(70, 1))
		}(),
		now:    70.5,
		window: time.Minute,
		want:   0.833333, // 50 / 60
	}, {
		name: "samples within a second average by the time they cover",
		recs: []rec{
			{100.3, Sample{Interval: 300 * time.Millisecond, Concurrency: 10, Requests: 2}},
			{100.9, Sample{Interval: 600 * time.Millisecond, Concurrency: 1, Requests: 3}},
		},
		now:    100.95,
		window: time.Minute,
		want:   4, // (10 x 0.3 + 1 x 0.6) / 0.9
	}, {
		name: "requests per second",
		recs: []rec{
			{100.3, Sample{Interval: 300 * time.Millisecond, Requests: 2}},
			{100.9, Sample{Interval: 600 * time.Millisecond, Requests: 3}},
			{101, Sample{Requests: 7}},
		},
		now:    101,
		window: time.Minute,
		metric: "rps",
		want:   6,
	}, {
		name:   "weighted exponential favours recent seconds",
		recs:   []rec{conc(0, 10), conc(1, 10), conc(2, 5), conc(3, 5)},
		now:    3.5,
		window: 4 * time.Second,
		algo:   "weightedExponential",
		want:   5.049, // m = 0.9: 5x0.9 + 5x0.09 + 10x0.009 + 10x0.0009
	}, {
		name:   "weighted exponential, reversed",
		recs:   []rec{conc(0, 5), conc(1, 5), conc(2, 10), conc(3, 10)},
		now:    3.5,
		window: 4 * time.Second,
		algo:   "weighted-exponential",
		want:   9.9495,
	}}
	for _, tc := range tests {
		w := NewWindow(time.Minute)
		for _, r := range tc.recs {
			w.Record(at(r.sec), r.s)
		}
		metric := tc.metric
		if metric == "" {
			metric = "concurrency"
		}
		if got := w.Average(at(tc.now), tc.window, metric, tc.algo); !nearly(got, tc.want) {
			t.Errorf("%s: Average(%v) = %v, want %v", tc.name, tc.now, got, tc.want)
		}
	}
}

func nearly(a, b float64) bool { return a-b < 1e-6 && b-a < 1e-6 }

func TestWindowLastTrafficAndResize(t *testing.T) {
	w := NewWindow(10 * time.Second)
	if _, ok := w.LastTraffic(); ok {
		t.Errorf("LastTraffic() of an empty window = ok, want none")
	}
	w.Record(at(5.5), Sample{Concurrency: 2, Ready: 1})
	w.Record(at(6.5), Sample{Ready: 2})
	w.Record(at(7.2), Sample{Requests: 1, Ready: 3})
	w.Record(at(8.5), Sample{Ready: 3})
	if got, _ := w.LastTraffic(); !got.Equal(at(7)) {
		t.Errorf("LastTraffic() = %v, want %v", got, at(7))
	}
	if got := w.Ready(); got != 3 {
		t.Errorf("Ready() = %d, want 3", got)
	}
	// Too old for the ring: dropped.
	w.Record(at(-10), Sample{Concurrency: 100})
	if got := w.Average(at(8.5), 10*time.Second, "concurrency", ""); !nearly(got, 0.5) {
		t.Errorf("Average() = %v, want 0.5", got)
	}
	w.Resize(time.Minute)
	if got := w.Size(); got != time.Minute {
		t.Errorf("Size() = %v, want 1m", got)
	}
	if got := w.Average(at(8.5), time.Minute, "concurrency", ""); !nearly(got, 0.5) {
		t.Errorf("Average() after Resize = %v, want 0.5", got)
	}
	w.Resize(2 * time.Second)
	if got := w.Average(at(8.5), time.Minute, "concurrency", ""); got != 0 {
		t.Errorf("Average() after shrinking = %v, want 0", got)
	}
}
