package autoscaler

import (
	"fmt"
	"math"
	"time"
)

// Reasons a Decision gives for its Desired count.
const (
	// ReasonStable: the stable window's average over the target.
	ReasonStable = "Stable"
	// ReasonPanic: panic mode, which never scales down.
	ReasonPanic = "Panic"
	// ReasonScaleDownDelay: a higher decision within scale-down-delay holds.
	ReasonScaleDownDelay = "ScaleDownDelay"
	// ReasonMinScale: raised to min-scale.
	ReasonMinScale = "MinScale"
	// ReasonInitialScale: raised to initial-scale, not yet reached.
	ReasonInitialScale = "InitialScale"
	// ReasonMaxScale: lowered to max-scale.
	ReasonMaxScale = "MaxScale"
	// ReasonScaleToZeroDisabled: no traffic, but enable-scale-to-zero is off.
	ReasonScaleToZeroDisabled = "ScaleToZeroDisabled"
	// ReasonIdleWindow: no traffic now, but the stable window still holds
	// some, or the revision has been active for less than a stable window.
	ReasonIdleWindow = "IdleWindow"
	// ReasonGracePeriod: idle; the last instance stays for the
	// scale-to-zero grace period or the pod retention period.
	ReasonGracePeriod = "ScaleToZeroGracePeriod"
	// ReasonScaledToZero: idle long enough; no instances.
	ReasonScaledToZero = "ScaledToZero"
	// ReasonUsage: the HPA class's usage over its target.
	ReasonUsage = "Usage"
)

// State is what a revision's autoscaler remembers between decisions, as
// Knative's decider keeps it, plus the scale-to-zero bookkeeping that
// Knative keeps in the PodAutoscaler's status. The zero State is a new
// revision: until it has had initial-scale instances ready (while Active)
// it is not scaled below that, and from when it first has ready instances
// it stays up for a stable window. Use NewState when taking over a
// revision that already runs, and Activate when starting instances for a
// revision at zero. It is not safe for concurrent use.
type State struct {
	// PanicSince is the last decision time that was over the panic
	// threshold during the current panic (Knative's panicTime); zero when
	// not panicking.
	PanicSince time.Time
	// MaxPanic is the highest count decided during the current panic.
	MaxPanic int
	// ActiveSince is when the revision last went from no instances to
	// some; zero while it is at zero. The revision stays up for at least a
	// stable window from then.
	ActiveSince time.Time
	// Initialized reports that the revision has once had its initial scale
	// ready; until then initial-scale is a lower bound.
	Initialized bool

	// zeroed reports that the last decision was zero: instances still
	// ready are draining and do not make the revision active again.
	zeroed bool

	// delay is the scale-down-delay window: decisions in ascending time
	// and strictly descending count, so that delay[0] is the largest
	// decision within the delay (an ascending-minima deque).
	delay []held
}

// held is one decision remembered for scale-down-delay.
type held struct {
	at    time.Time
	count int
}

// NewState returns the state for a revision that has ready instances when
// its autoscaler starts. As Knative does after a restart, a revision with
// more than one instance starts in panic mode at its current scale, so that
// the loss of metric history does not scale it down before a stable window
// of data has been seen.
func NewState(now time.Time, ready int) *State {
	st := &State{}
	if ready > 0 {
		st.ActiveSince, st.Initialized = now, true
	}
	if ready > 1 {
		st.PanicSince, st.MaxPanic = now, ready
	}
	return st
}

// Activate records that instances are being started for a revision at zero,
// at now: the moment skiff's proxy pokes the autoscaler with a first
// request (see FromZero). The revision then stays up for at least a stable
// window even if the request's sample is lost.
func (s *State) Activate(now time.Time) {
	if s.ActiveSince.IsZero() {
		s.ActiveSince = now
	}
	s.zeroed = false
}

// hold records count at now and returns the largest count decided within
// the last delay, and when that one stops holding.
func (s *State) hold(now time.Time, count int, delay time.Duration) (int, time.Time) {
	for len(s.delay) > 0 && !now.Before(s.delay[0].at.Add(delay)) {
		s.delay = s.delay[1:]
	}
	for len(s.delay) > 0 && s.delay[len(s.delay)-1].count <= count {
		s.delay = s.delay[:len(s.delay)-1]
	}
	s.delay = append(s.delay, held{at: now, count: count})
	return s.delay[0].count, s.delay[0].at.Add(delay)
}

// Decision is the outcome of one Decide.
type Decision struct {
	// Desired is the number of instances the revision should run.
	Desired int
	// ExcessBurstCapacity is the ready capacity beyond the panic window's
	// load and the target burst capacity, floored (Knative's EBC): -1 with
	// target-burst-capacity -1, 0 with target-burst-capacity 0.
	ExcessBurstCapacity float64
	// Buffer reports that requests should be held and paced by the
	// activator rather than sent straight to an instance: when the
	// revision is at or going to zero, has no ready instance, or its
	// excess burst capacity is negative.
	Buffer bool
	// InPanic reports panic mode.
	InPanic bool
	// ObservedStableValue and ObservedPanicValue are the averages of the
	// metric over the stable and panic windows, for the whole revision (for
	// the HPA class, both are the summed usage).
	ObservedStableValue, ObservedPanicValue float64
	// RequeueAt, when not zero, is when to decide again even without a
	// new sample: when the revision will have been idle for the stable
	// window, may go to zero, or a held scale-down ends.
	RequeueAt time.Time
	// Reason says what settled Desired (the Reason constants).
	Reason string
}

// String renders a decision for test messages and logs.
func (d Decision) String() string {
	return fmt.Sprintf("desired=%d reason=%s panicking=%v stable=%.3f panic=%.3f ebc=%.0f buffer=%v requeue=%s",
		d.Desired, d.Reason, d.InPanic, d.ObservedStableValue, d.ObservedPanicValue,
		d.ExcessBurstCapacity, d.Buffer, d.RequeueAt.Format(time.RFC3339Nano))
}

// Decide returns how many instances a KPA-class revision should run at
// now, given what its window recorded and how many instances are ready,
// and updates st. It is pure: the same arguments give the same decision,
// and time passes only through now.
//
// It is Knative's decider followed by the PodAutoscaler reconciler:
//
//   - desired = ceil(observed / target) for the stable and the panic
//     window, each limited to [floor(ready / max-scale-down-rate),
//     ceil(max(ready, 1) x max-scale-up-rate)] (the lower limit only while
//     rc.Active), and to at least activation-scale when above zero;
//   - panic starts when the panic desired count is at least
//     panic-threshold x max(ready, 1) and lasts until a stable window has
//     passed since the last decision over the threshold; while panicking
//     the count is the highest decided since the panic began;
//   - scale-down-delay holds the highest count decided within the delay;
//   - min-scale (while rc.Active), initial-scale (until first reached) and
//     max-scale bound the count;
//   - a count of zero is honoured only with enable-scale-to-zero, and only
//     once the revision is idle, that is once the stable window has held
//     no traffic (plus any scale-down-delay) and the revision has been up
//     for a stable window, and then only after the longer of
//     scale-to-zero-grace-period and scale-to-zero-pod-retention-period;
//     until then one instance stays.
func Decide(now time.Time, st *State, w *Window, rc RevisionConfig, ready int) Decision {
	var d Decision
	readyF := math.Max(1, float64(ready))
	stable, panicValue := w.StableAndPanic(now, rc)
	d.ObservedStableValue, d.ObservedPanicValue = stable, panicValue

	// Rate limits; the ceiling lets a conservative up-rate still add one.
	maxUp := math.Ceil(rc.MaxScaleUpRate * readyF)
	maxDown := 0.0
	if rc.Active {
		maxDown = math.Floor(readyF / rc.MaxScaleDownRate)
	}
	dspc := math.Ceil(stable / rc.Target)
	dppc := math.Ceil(panicValue / rc.Target)
	stableCount := int(math.Min(math.Max(dspc, maxDown), maxUp))
	panicCount := int(math.Min(math.Max(dppc, maxDown), maxUp))
	if rc.ActivationScale > 1 {
		if dspc > 0 && stableCount < rc.ActivationScale {
			stableCount = rc.ActivationScale
		}
		if dppc > 0 && panicCount < rc.ActivationScale {
			panicCount = rc.ActivationScale
		}
	}

	over := dppc/readyF >= rc.PanicThreshold
	switch {
	case over:
		// Start panicking, or extend the panic.
		st.PanicSince = now
	case !st.PanicSince.IsZero() && st.PanicSince.Add(rc.StableWindow).Before(now):
		// The surge has made its way into the stable window.
		st.PanicSince, st.MaxPanic = time.Time{}, 0
	}

	desired, reason := stableCount, ReasonStable
	if !st.PanicSince.IsZero() {
		// Provision for whichever window asks for more, and never less
		// than earlier in this panic.
		st.MaxPanic = max(st.MaxPanic, desired, panicCount)
		desired, reason, d.InPanic = st.MaxPanic, ReasonPanic, true
	}

	if rc.ScaleDownDelay > 0 {
		if h, until := st.hold(now, desired, rc.ScaleDownDelay); h > desired {
			desired, reason, d.RequeueAt = h, ReasonScaleDownDelay, until
		}
	}

	switch {
	case rc.TargetBurstCapacity == 0:
		d.ExcessBurstCapacity = 0
	case rc.TargetBurstCapacity > 0:
		d.ExcessBurstCapacity = math.Floor(float64(ready)*rc.Total - rc.TargetBurstCapacity - panicValue)
	default:
		d.ExcessBurstCapacity = -1
	}

	desired, reason = bound(st, rc, ready, desired, reason)

	if desired > 0 || (ready > 0 && !st.zeroed) {
		st.Activate(now)
	}
	if desired == 0 {
		desired, reason = toZero(now, st, w, rc, &d)
	}
	if desired == 0 {
		st.ActiveSince, st.zeroed = time.Time{}, true
	}

	d.Desired, d.Reason = desired, reason
	d.Buffer = d.Buffer || desired == 0 || ready == 0 || d.ExcessBurstCapacity < 0
	return d
}

// bound applies min-scale, initial-scale and max-scale, as Knative's
// PodAutoscaler reconciler does before handling a count of zero. Knative
// applies initial-scale only above 1 and protects a revision of one
// instance while it is activating; here initial-scale 1 is a floor until
// reached, which has the same effect.
func bound(st *State, rc RevisionConfig, ready, desired int, reason string) (int, string) {
	if ready >= rc.InitialScale {
		st.Initialized = true
	}
	if rc.Active && desired < rc.MinScale {
		desired, reason = rc.MinScale, ReasonMinScale
	}
	if rc.Active && !st.Initialized && desired < rc.InitialScale {
		desired, reason = rc.InitialScale, ReasonInitialScale
	}
	if rc.MaxScale > 0 && desired > rc.MaxScale {
		desired, reason = rc.MaxScale, ReasonMaxScale
	}
	return desired, reason
}

// toZero decides whether a count of zero may be applied at now, keeping
// one instance until it may, and sets d.RequeueAt to the next milestone.
func toZero(now time.Time, st *State, w *Window, rc RevisionConfig, d *Decision) (int, string) {
	if !rc.EnableScaleToZero {
		return 1, ReasonScaleToZeroDisabled
	}
	if st.ActiveSince.IsZero() {
		// At zero, or draining to it.
		return 0, ReasonScaledToZero
	}
	// The revision is idle from the later of: the stable window no longer
	// holding traffic (and scale-down-delay no longer holding the last
	// decision it caused), and a stable window after it became active.
	idle := st.ActiveSince.Add(rc.StableWindow)
	if last, ok := w.LastTraffic(); ok {
		if t := last.Add(rc.StableWindow + rc.ScaleDownDelay); t.After(idle) {
			idle = t
		}
	}
	zero := idle.Add(max(rc.ScaleToZeroGracePeriod, rc.ScaleToZeroPodRetentionPeriod))
	switch {
	case now.Before(idle):
		d.RequeueAt = idle
		return 1, ReasonIdleWindow
	case now.Before(zero):
		// Idle: the activator takes the requests (Knative's proxy mode)
		// while the last instance waits out the grace period.
		d.RequeueAt, d.Buffer = zero, true
		return 1, ReasonGracePeriod
	}
	return 0, ReasonScaledToZero
}

// FromZero returns how many instances to start at once when a request
// reaches a revision that has none: max(1, activation-scale), and
// min-scale if the revision is Active, bounded by max-scale. skiff's proxy
// calls it (and State.Activate) as soon as the request arrives, rather than
// waiting for the next decision.
func FromZero(rc RevisionConfig) int {
	n := max(1, rc.ActivationScale)
	if rc.Active {
		n = max(n, rc.MinScale)
	}
	if rc.MaxScale > 0 {
		n = min(n, rc.MaxScale)
	}
	return n
}
