package autoscaler

import (
	"math"
	"time"

	servingv1 "github.com/skiff-sh/skiff/internal/apis/serving/v1"
)

// Sample is what the instance pool measured of one revision over the last
// second, or over a shorter interval when it samples on demand (for
// instance the moment a request reaches a revision at zero).
type Sample struct {
	// Interval is the time the sample covers, ending when it is recorded;
	// 0 means BucketSize.
	Interval time.Duration
	// Concurrency is the revision's average number of requests in flight
	// over Interval: the integral of in-flight requests over time divided
	// by Interval. Requests held while no instance can take them count as
	// in flight, as the activator reports them in Knative.
	Concurrency float64
	// Requests is the number of requests that arrived during Interval.
	Requests float64
	// Ready is the number of ready instances at the end of Interval. Decide
	// takes the ready count as an argument, since it may have changed since
	// the last sample; Window keeps the last one for the caller (Ready).
	Ready int
}

// bucket is one second of the ring.
type bucket struct {
	// sec is the Unix second the bucket holds; the slot is empty for any
	// other second.
	sec  int64
	used bool
	// gap is the number of seconds since the previously written second when
	// this one was first written (math.MaxInt64 for the first write ever).
	gap int64
	// concurrencyTime is the sum of concurrency x interval (seconds) and
	// covered the sum of intervals, so that several samples in one second
	// average by the time each covers.
	concurrencyTime float64
	covered         float64
	requests        float64
}

func (b *bucket) value(metric string) float64 {
	if metric == servingv1.MetricRPS {
		return b.requests
	}
	if b.covered == 0 {
		return 0
	}
	return b.concurrencyTime / b.covered
}

// Window is a ring of one-second buckets of a revision's samples, from
// which Decide reads the stable and panic averages. Size it for the
// revision's stable window (NewWindow, Resize); it is not safe for
// concurrent use: the revision's owner serializes Record and Decide.
//
// Averages follow Knative's metric collector, with one difference: a
// second inside the window for which nothing was recorded counts as zero,
// also at the end of the window, where Knative shortens the window to the
// last write. skiff's pool is the only source of samples, so a silent
// second means a second without traffic, not a failed scrape; it must
// therefore record every second while the revision has instances or
// requests in flight. As in Knative, the average over a window whose data
// began less than a window ago (the first sample after at least a window
// of silence) is taken over the seconds since that sample, so that a
// revision coming from zero sees its first burst undiluted.
type Window struct {
	buckets []bucket
	// last is the latest second written (valid when written).
	last    int64
	written bool
	// lastTraffic is the latest second with requests or concurrency
	// (valid when traffic).
	lastTraffic int64
	traffic     bool
	ready       int
}

// NewWindow returns a window that keeps size of history (the revision's
// stable window), rounded up to whole seconds.
func NewWindow(size time.Duration) *Window {
	return &Window{buckets: make([]bucket, numBuckets(size))}
}

func numBuckets(d time.Duration) int {
	return max(1, int(math.Ceil(float64(d)/float64(BucketSize))))
}

// Size returns how much history the window keeps.
func (w *Window) Size() time.Duration { return time.Duration(len(w.buckets)) * BucketSize }

// Resize makes the window keep size of history, keeping the samples that
// still fit. Call it when a revision's stable window changes.
func (w *Window) Resize(size time.Duration) {
	n := numBuckets(size)
	if n == len(w.buckets) {
		return
	}
	old := w.buckets
	w.buckets = make([]bucket, n)
	for _, b := range old {
		if b.used && w.written && b.sec > w.last-int64(n) {
			w.buckets[w.slot(b.sec)] = b
		}
	}
}

func (w *Window) slot(sec int64) int {
	n := int64(len(w.buckets))
	return int(((sec % n) + n) % n)
}

// at returns the bucket holding sec, or nil.
func (w *Window) at(sec int64) *bucket {
	b := &w.buckets[w.slot(sec)]
	if !b.used || b.sec != sec {
		return nil
	}
	return b
}

// Record adds a sample taken at now to the bucket of now's second. Samples
// older than the window are dropped.
func (w *Window) Record(now time.Time, s Sample) {
	sec := now.Unix()
	if w.written && sec <= w.last-int64(len(w.buckets)) {
		return
	}
	b := w.at(sec)
	if b == nil {
		gap := int64(math.MaxInt64)
		switch {
		case w.written && sec > w.last:
			gap = sec - w.last
		case w.written:
			gap = 0 // a late sample inside the data already seen
		}
		b = &w.buckets[w.slot(sec)]
		*b = bucket{sec: sec, used: true, gap: gap}
	}
	iv := s.Interval
	if iv <= 0 {
		iv = BucketSize
	}
	b.concurrencyTime += s.Concurrency * iv.Seconds()
	b.covered += iv.Seconds()
	b.requests += s.Requests
	if !w.written || sec >= w.last {
		w.last, w.written, w.ready = sec, true, s.Ready
	}
	if (s.Concurrency > 0 || s.Requests > 0) && (!w.traffic || sec > w.lastTraffic) {
		w.lastTraffic, w.traffic = sec, true
	}
}

// Ready returns the ready count of the latest sample.
func (w *Window) Ready() int { return w.ready }

// LastTraffic returns the start of the latest second in which the revision
// had requests arriving or in flight, and false if it never had any. The
// stable window holds no traffic from LastTraffic + StableWindow on.
func (w *Window) LastTraffic() (time.Time, bool) {
	if !w.traffic {
		return time.Time{}, false
	}
	return time.Unix(w.lastTraffic, 0), true
}

// Average returns the average of metric (concurrency or rps, both for the
// whole revision) over the window seconds ending with now's second, by the
// given aggregation algorithm. Linear is Knative's default: the plain mean
// of the buckets, floored to six decimals as Knative does to keep float
// noise out of the ceilings. Weighted exponential is Knative's opt-in
// alternative (metric-aggregation-algorithm): each second back weighs
// (1 - m) times the one after it, m chosen so that the window's weights sum
// to 99.99% but at least 0.2. window is capped at the window's size.
func (w *Window) Average(now time.Time, window time.Duration, metric, aggregation string) float64 {
	n := min(int64(numBuckets(window)), int64(len(w.buckets)))
	end := now.Unix()
	if !w.written || end-w.last >= n {
		return 0
	}
	if aggregation == servingv1.MetricAggregationAlgorithmWeightedExponential ||
		aggregation == servingv1.MetricAggregationAlgorithmWeightedExponentialAlt {
		m := math.Max(1-math.Pow(1-weightPrecision, 1/float64(n)), minExponent)
		sum, weight := 0.0, m
		for s := end; s > end-n; s-- {
			if b := w.at(s); b != nil {
				sum += b.value(metric) * weight
			}
			weight *= 1 - m
		}
		return sum
	}
	sum, first, gap := 0.0, int64(0), int64(0)
	found := false
	for s := end - n + 1; s <= end; s++ {
		b := w.at(s)
		if b == nil {
			continue
		}
		if !found {
			first, gap, found = s, b.gap, true
		}
		sum += b.value(metric)
	}
	if !found {
		return 0
	}
	denom := n
	if gap >= n {
		// The data began inside the window: average since it began.
		denom = end - first + 1
	}
	return floorDigits(sum/float64(denom), precision)
}

// Constants of Knative's averaging.
const (
	// minExponent is the least decay of the weighted average.
	minExponent = 0.2
	// weightPrecision is the share of the weights the window should hold.
	weightPrecision = 0.9999
	// precision is the number of decimals the linear average keeps.
	precision = 6
)

func floorDigits(f float64, n int) float64 {
	p := math.Pow10(n)
	return math.Floor(f*p) / p
}

// StableAndPanic returns the averages of rc.Metric over rc's stable and
// panic windows at now, by rc.Aggregation.
func (w *Window) StableAndPanic(now time.Time, rc RevisionConfig) (stable, panicValue float64) {
	return w.Average(now, rc.StableWindow, rc.Metric, rc.Aggregation),
		w.Average(now, rc.PanicWindow, rc.Metric, rc.Aggregation)
}
