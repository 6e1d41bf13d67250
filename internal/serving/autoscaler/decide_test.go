package autoscaler

import (
	"fmt"
	"testing"
	"time"
)

// resolve is ResolveRevision that fails the test on error.
func resolve(t *testing.T, cfg *Config, anns map[string]string, cc int) RevisionConfig {
	t.Helper()
	if cfg == nil {
		cfg = DefaultConfig()
	}
	rc, err := ResolveRevision(cfg, anns, cc)
	if err != nil {
		t.Fatalf("ResolveRevision(%v) = %v", anns, err)
	}
	return rc
}

// sim is one revision: its state and window, fed second by second.
type sim struct {
	st   *State
	w    *Window
	rc   RevisionConfig
	next int // the next second to record
}

func newSim(rc RevisionConfig) *sim {
	return &sim{st: &State{}, w: NewWindow(rc.StableWindow), rc: rc}
}

// load records concurrency c, and c requests, for each second not yet
// recorded up to and including through.
func (s *sim) load(through int, c float64) {
	for ; s.next <= through; s.next++ {
		s.w.Record(at(float64(s.next)), Sample{Concurrency: c, Requests: c})
	}
}

func (s *sim) decide(now float64, ready int) Decision {
	return Decide(at(now), s.st, s.w, s.rc, ready)
}

// steady decides once, at 59.5s, after a minute of concurrency c.
func steady(rc RevisionConfig, c float64, ready int) Decision {
	s := newSim(rc)
	s.load(59, c)
	return s.decide(59.5, ready)
}

// input describes a decision's inputs in test messages.
type input struct {
	conc  float64
	ready int
	note  string
}

func (in input) String() string {
	return fmt.Sprintf("concurrency=%v ready=%d%s", in.conc, in.ready, in.note)
}

func TestDecideStable(t *testing.T) {
	rc := resolve(t, nil, nil, 0) // target 70
	tests := []struct {
		in   input
		want int
	}{
		{input{conc: 0.001, ready: 1}, 1},
		{input{conc: 1, ready: 1}, 1},
		{input{conc: 70, ready: 1}, 1},
		{input{conc: 140, ready: 2}, 2},
		{input{conc: 141, ready: 3}, 3},
		{input{conc: 350, ready: 5}, 5},
		{input{conc: 3500, ready: 50}, 50},
	}
	for _, tc := range tests {
		d := steady(rc, tc.in.conc, tc.in.ready)
		if d.Desired != tc.want || d.InPanic || d.Reason != ReasonStable {
			t.Errorf("Decide(%v) = %d (%v), want %d in stable mode", tc.in, d.Desired, d, tc.want)
		}
		if d.ObservedStableValue != tc.in.conc || d.ObservedPanicValue != tc.in.conc {
			t.Errorf("Decide(%v) observed %v/%v, want %v", tc.in, d.ObservedStableValue, d.ObservedPanicValue, tc.in.conc)
		}
	}
}

func TestDecideTargets(t *testing.T) {
	tests := []struct {
		in   input
		anns map[string]string
		cc   int
		want int
	}{
		// containerConcurrency 10 at 70%: 7 per instance.
		{input{conc: 14, ready: 2}, nil, 10, 2},
		{input{conc: 15, ready: 3}, nil, 10, 3},
		// target 50 capped by containerConcurrency 10, utilization 50%: 5.
		{input{conc: 15, ready: 3, note: " cc=10 target=50 tu=50"}, map[string]string{group + "target": "50", group + "target-utilization-percentage": "50"}, 10, 3},
		{input{conc: 16, ready: 4, note: " cc=10 target=50 tu=50"}, map[string]string{group + "target": "50", group + "target-utilization-percentage": "50"}, 10, 4},
	}
	for _, tc := range tests {
		if d := steady(resolve(t, nil, tc.anns, tc.cc), tc.in.conc, tc.in.ready); d.Desired != tc.want {
			t.Errorf("Decide(%v) = %d (%v), want %d", tc.in, d.Desired, d, tc.want)
		}
	}
}

func TestDecideRPS(t *testing.T) {
	rc := resolve(t, nil, map[string]string{group + "metric": "rps"}, 0) // target 140
	tests := []struct {
		rps   float64
		ready int
		want  int
	}{{140, 1, 1}, {280, 2, 2}, {700, 5, 5}, {701, 6, 6}}
	for _, tc := range tests {
		s := newSim(rc)
		for sec := range 60 {
			// A long request keeps concurrency up; rps must not see it.
			s.w.Record(at(float64(sec)), Sample{Concurrency: 1000, Requests: tc.rps})
		}
		if d := s.decide(59.5, tc.ready); d.Desired != tc.want || d.ObservedStableValue != tc.rps {
			t.Errorf("Decide(rps=%v ready=%d) = %d (%v), want %d", tc.rps, tc.ready, d.Desired, d, tc.want)
		}
	}
}

func TestDecidePanicEntry(t *testing.T) {
	tests := []struct {
		in        input
		anns      map[string]string
		want      int
		wantPanic bool
	}{
		{input{conc: 70, ready: 1}, nil, 1, false},
		{input{conc: 139, ready: 1}, nil, 2, true}, // 2 / 1 >= 200%
		{input{conc: 210, ready: 2}, nil, 3, false},
		{input{conc: 280, ready: 2}, nil, 4, true}, // exactly 2x
		{input{conc: 280, ready: 2, note: " threshold=300%"}, map[string]string{group + "panic-threshold-percentage": "300"}, 4, false},
	}
	for _, tc := range tests {
		d := steady(resolve(t, nil, tc.anns, 0), tc.in.conc, tc.in.ready)
		if d.Desired != tc.want || d.InPanic != tc.wantPanic {
			t.Errorf("Decide(%v) = %d panic=%v, want %d panic=%v", tc.in, d.Desired, d.InPanic, tc.want, tc.wantPanic)
		}
	}
}

func TestDecidePanic(t *testing.T) {
	s := newSim(resolve(t, nil, nil, 0)) // stable window 60s, panic window 6s
	steps := []struct {
		through   int // load recorded up to this second
		conc      float64
		now       float64
		ready     int
		want      int
		wantPanic bool
	}{
		{59, 50, 59.5, 1, 1, false},
		// A burst: the panic window sees 210, 3 instances, 3 / 1 >= 2.
		{65, 210, 65.5, 1, 3, true},
		// Still over the threshold with the burst over (140 in 6s, 2 / 1):
		// the panic is extended to 67.5.
		{67, 0, 67.5, 1, 3, true},
		// No scale-down while panicking, though the stable window wants 1.
		{80, 0, 80, 3, 3, true},
		{127, 0, 127.5, 3, 3, true}, // exactly a stable window after the last over-threshold tick
		{128, 0, 128, 3, 1, false},  // then panic ends; down-rate 2 keeps 1 of 3
	}
	for _, st := range steps {
		s.load(st.through, st.conc)
		d := s.decide(st.now, st.ready)
		if d.Desired != st.want || d.InPanic != st.wantPanic {
			t.Errorf("Decide(t=%vs ready=%d) = %d panic=%v, want %d panic=%v", st.now, st.ready, d.Desired, d.InPanic, st.want, st.wantPanic)
		}
	}
}

func TestDecideNewStateStartsInPanic(t *testing.T) {
	// After a restart the history is gone; the current scale holds.
	rc := resolve(t, nil, nil, 0)
	st, w := NewState(at(0), 4), NewWindow(rc.StableWindow)
	for _, now := range []float64{0, 30, 60} {
		w.Record(at(now), Sample{Ready: 4})
		if d := Decide(at(now), st, w, rc, 4); d.Desired != 4 || !d.InPanic {
			t.Errorf("Decide(t=%vs, restarted at 4) = %d panic=%v, want 4 in panic", now, d.Desired, d.InPanic)
		}
	}
	w.Record(at(61), Sample{Ready: 4})
	if d := Decide(at(61), st, w, rc, 4); d.Desired != 2 || d.InPanic {
		t.Errorf("Decide(t=61s, restarted at 4) = %d panic=%v, want 2 out of panic", d.Desired, d.InPanic)
	}
}

func TestDecideRateLimits(t *testing.T) {
	upCfg := DefaultConfig()
	upCfg.MaxScaleUpRate = 2
	up := resolve(t, upCfg, nil, 0)
	down := resolve(t, nil, nil, 0)
	unrouted := down
	unrouted.Active = false
	tests := []struct {
		in   input
		rc   RevisionConfig
		want int
	}{
		{input{conc: 1000, ready: 3, note: " up-rate=2"}, up, 6},
		{input{conc: 1000, ready: 0, note: " up-rate=2"}, up, 2},
		{input{conc: 1000, ready: 10, note: " up-rate=2"}, up, 15},
		{input{conc: 1000, ready: 1, note: " up-rate=1000"}, down, 15},
		{input{conc: 1, ready: 10}, down, 5},
		{input{conc: 1, ready: 11}, down, 5},
		{input{conc: 1, ready: 3}, down, 1},
		{input{conc: 1, ready: 10, note: " not active"}, unrouted, 1},
	}
	for _, tc := range tests {
		if d := steady(tc.rc, tc.in.conc, tc.in.ready); d.Desired != tc.want {
			t.Errorf("Decide(%v) = %d (%v), want %d", tc.in, d.Desired, d, tc.want)
		}
	}
}

func TestDecideScaleBounds(t *testing.T) {
	minScale := resolve(t, nil, map[string]string{group + "min-scale": "3"}, 0)
	unrouted := minScale
	unrouted.Active = false
	maxScale := resolve(t, nil, map[string]string{group + "max-scale": "4"}, 0)
	tests := []struct {
		in         input
		rc         RevisionConfig
		want       int
		wantReason string
	}{
		{input{conc: 1, ready: 1, note: " min-scale=3"}, minScale, 3, ReasonMinScale},
		{input{conc: 0, ready: 3, note: " min-scale=3"}, minScale, 3, ReasonMinScale},
		{input{conc: 1, ready: 1, note: " min-scale=3 not active"}, unrouted, 1, ReasonStable},
		{input{conc: 0, ready: 0, note: " min-scale=3 not active"}, unrouted, 0, ReasonScaledToZero},
		{input{conc: 1000, ready: 4, note: " max-scale=4"}, maxScale, 4, ReasonMaxScale},
		{input{conc: 1, ready: 1, note: " max-scale=4"}, maxScale, 1, ReasonStable},
	}
	for _, tc := range tests {
		if d := steady(tc.rc, tc.in.conc, tc.in.ready); d.Desired != tc.want || d.Reason != tc.wantReason {
			t.Errorf("Decide(%v) = %d %s, want %d %s", tc.in, d.Desired, d.Reason, tc.want, tc.wantReason)
		}
	}
}

// drive runs a revision from t=0 to end with a decision every 2s and at
// each RequeueAt, ready following each decision at once, and load(sec) the
// concurrency of each second. It returns when the revision first goes to
// zero, or -1, and the last decision.
func drive(t *testing.T, rc RevisionConfig, load func(sec int) float64, end float64) (float64, Decision) {
	t.Helper()
	s := newSim(rc)
	ready := 0
	var d Decision
	for now := 0.0; now <= end; {
		for ; float64(s.next) <= now; s.next++ {
			c := load(s.next)
			s.w.Record(at(float64(s.next)), Sample{Concurrency: c, Requests: c, Ready: ready})
		}
		d = s.decide(now, ready)
		if d.Desired == 0 && ready > 0 {
			return now, d
		}
		ready = d.Desired
		next := now + 2
		if !d.RequeueAt.IsZero() {
			if r := d.RequeueAt.Sub(t0).Seconds(); r > now && r < next {
				next = r
			}
		}
		now = next
	}
	return -1, d
}

func TestScaleToZero(t *testing.T) {
	firstTen := func(sec int) float64 { // traffic in seconds 0 to 9
		if sec < 10 {
			return 10
		}
		return 0
	}
	cfg := func(f func(*Config)) *Config {
		c := DefaultConfig()
		f(c)
		return c
	}
	tests := []struct {
		name       string
		cfg        *Config
		anns       map[string]string
		inactive   bool
		load       func(int) float64
		want       float64 // when the revision goes to zero; -1 never
		wantReason string  // of the last decision
	}{
		// Idle from 9s + 60s = 69s, then the 30s grace period.
		{name: "grace period", load: firstTen, want: 99, wantReason: ReasonScaledToZero},
		{name: "retention longer than grace", anns: map[string]string{group + "scale-to-zero-pod-retention-period": "45s"}, load: firstTen, want: 114},
		{name: "retention shorter than grace", anns: map[string]string{group + "scaleToZeroPodRetentionPeriod": "10s"}, load: firstTen, want: 99},
		{name: "short grace", cfg: cfg(func(c *Config) { c.ScaleToZeroGracePeriod = 10 * time.Second }), load: firstTen, want: 79},
		// Active since 0s for a 10s window, traffic until 9s: idle at 19s.
		{name: "short window", anns: map[string]string{group + "window": "10s"}, load: firstTen, want: 49},
		{name: "scale-down-delay", anns: map[string]string{group + "scale-down-delay": "5s"}, load: firstTen, want: 104},
		// A request at 80s, in the grace period: idle again at 140s.
		{name: "traffic in the grace period", load: func(sec int) float64 {
			if sec == 80 {
				return 1
			}
			return firstTen(sec)
		}, want: 170},
		// Initial scale keeps the first instance; idle a window after it is up.
		{name: "no traffic at all", load: func(int) float64 { return 0 }, want: 90},
		{name: "not active", inactive: true, load: firstTen, want: 99},
		{name: "enable-scale-to-zero false", cfg: cfg(func(c *Config) { c.EnableScaleToZero = false }), load: firstTen, want: -1, wantReason: ReasonScaleToZeroDisabled},
		{name: "min-scale 1", anns: map[string]string{group + "min-scale": "1"}, load: firstTen, want: -1, wantReason: ReasonMinScale},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rc := resolve(t, tc.cfg, tc.anns, 0)
			rc.Active = !tc.inactive
			got, d := drive(t, rc, tc.load, 300)
			if got != tc.want {
				t.Errorf("Decide() went to zero at %vs, want %vs (last %v)", got, tc.want, d)
			}
			if tc.wantReason != "" && d.Reason != tc.wantReason {
				t.Errorf("Decide() reason = %s, want %s", d.Reason, tc.wantReason)
			}
		})
	}
}

func TestScaleToZeroBoundary(t *testing.T) {
	rc := resolve(t, nil, nil, 0)
	s := newSim(rc)
	steps := []struct {
		now        float64
		ready      int
		want       int
		wantReason string
		wantAt     float64 // RequeueAt, 0 for none
		wantBuffer bool
	}{
		{0, 1, 1, ReasonStable, 0, true},
		{68.999, 1, 1, ReasonStable, 0, true},   // the stable window still holds second 9
		{69, 1, 1, ReasonGracePeriod, 99, true}, // idle
		{98.999, 1, 1, ReasonGracePeriod, 99, true},
		{99, 1, 0, ReasonScaledToZero, 0, true},  // not a moment earlier
		{100, 1, 0, ReasonScaledToZero, 0, true}, // the instance drains: no reactivation
		{102, 0, 0, ReasonScaledToZero, 0, true},
	}
	for _, st := range steps {
		s.load(min(9, int(st.now)), 10) // traffic in seconds 0 to 9
		s.load(int(st.now), 0)
		d := s.decide(st.now, st.ready)
		var wantAt time.Time
		if st.wantAt != 0 {
			wantAt = at(st.wantAt)
		}
		if d.Desired != st.want || d.Reason != st.wantReason || !d.RequeueAt.Equal(wantAt) || d.Buffer != st.wantBuffer {
			t.Errorf("Decide(t=%vs ready=%d) = %v, want %d %s requeue=%v buffer=%v",
				st.now, st.ready, d, st.want, st.wantReason, wantAt, st.wantBuffer)
		}
	}
}

func TestActivationScale(t *testing.T) {
	act := map[string]string{group + "activation-scale": "3"}
	withMax := map[string]string{group + "activation-scale": "3", group + "max-scale": "2"}
	withMin := map[string]string{group + "min-scale": "5"}
	tests := []struct {
		anns     map[string]string
		inactive bool
		want     int
	}{
		{nil, false, 1},
		{act, false, 3},
		{withMax, false, 2},
		{withMin, false, 5},
		{withMin, true, 1},
	}
	for _, tc := range tests {
		rc := resolve(t, nil, tc.anns, 0)
		rc.Active = !tc.inactive
		if got := FromZero(rc); got != tc.want {
			t.Errorf("FromZero(%v active=%v) = %d, want %d", tc.anns, rc.Active, got, tc.want)
		}
	}

	// A first request at zero: start activation-scale instances at once,
	// and keep deciding at least that while there is traffic.
	rc := resolve(t, nil, act, 0)
	s := newSim(rc)
	s.st.Activate(at(0))
	s.w.Record(at(0.01), Sample{Interval: 10 * time.Millisecond, Concurrency: 1, Requests: 1})
	if d := s.decide(0.01, 0); d.Desired != 3 || !d.Buffer {
		t.Errorf("Decide(first request, ready=0) = %v, want 3 buffered", d)
	}
	s.next = 1
	s.load(30, 1)
	if d := s.decide(30, 3); d.Desired != 3 {
		t.Errorf("Decide(concurrency=1 ready=3) = %d, want 3", d.Desired)
	}
	rc = resolve(t, nil, withMax, 0)
	if d := steady(rc, 1, 0); d.Desired != 2 {
		t.Errorf("Decide(concurrency=1 ready=0 max-scale=2) = %d, want 2", d.Desired)
	}
}

func TestScaleDownDelay(t *testing.T) {
	anns := map[string]string{group + "window": "6s", group + "scale-down-delay": "10s"}
	s := newSim(resolve(t, nil, anns, 0))
	steps := []struct {
		through    int
		conc       float64
		now        float64
		want       int
		wantReason string
		wantAt     float64
	}{
		{5, 350, 5.5, 5, ReasonStable, 0},
		// The window wants 2 (1, but down-rate 2 of 5); 5 holds until 15.5s.
		{12, 70, 12.5, 5, ReasonScaleDownDelay, 15.5},
		{15, 70, 15.4, 5, ReasonScaleDownDelay, 15.5},
		{15, 70, 15.5, 2, ReasonStable, 0},
	}
	for _, st := range steps {
		s.load(st.through, st.conc)
		d := s.decide(st.now, 5)
		var wantAt time.Time
		if st.wantAt != 0 {
			wantAt = at(st.wantAt)
		}
		if d.Desired != st.want || d.Reason != st.wantReason || !d.RequeueAt.Equal(wantAt) {
			t.Errorf("Decide(t=%vs) = %v, want %d %s requeue=%v", st.now, d, st.want, st.wantReason, wantAt)
		}
	}
	// Without the delay, the same load scales down at once.
	s = newSim(resolve(t, nil, map[string]string{group + "window": "6s"}, 0))
	s.load(5, 350)
	s.decide(5.5, 5)
	s.load(12, 70)
	if d := s.decide(12.5, 5); d.Desired != 2 {
		t.Errorf("Decide(t=12.5s, no delay) = %d, want 2", d.Desired)
	}
}

func TestBurstCapacity(t *testing.T) {
	tbc := func(v string) map[string]string { return map[string]string{group + "target-burst-capacity": v} }
	tests := []struct {
		in         input
		anns       map[string]string
		cc         int
		wantEBC    float64
		wantBuffer bool
	}{
		{input{conc: 10, ready: 2, note: " tbc=-1"}, tbc("-1"), 0, -1, true},
		{input{conc: 10, ready: 2, note: " tbc=0"}, tbc("0"), 0, 0, false},
		{input{conc: 0, ready: 0, note: " tbc=0 at zero"}, tbc("0"), 0, 0, true},
		{input{conc: 10, ready: 0, note: " tbc=0 starting"}, tbc("0"), 0, 0, true},
		{input{conc: 10, ready: 1, note: " tbc=211"}, nil, 0, -121, true}, // 100 - 211 - 10
		{input{conc: 50, ready: 5, note: " tbc=211"}, nil, 0, 239, false}, // 500 - 211 - 50
		{input{conc: 50, ready: 30, note: " tbc=211 cc=10"}, nil, 10, 39, false},
		{input{conc: 50.5, ready: 26, note: " tbc=211 cc=10"}, nil, 10, -2, true}, // floor(-1.5)
	}
	for _, tc := range tests {
		d := steady(resolve(t, nil, tc.anns, tc.cc), tc.in.conc, tc.in.ready)
		if d.ExcessBurstCapacity != tc.wantEBC || d.Buffer != tc.wantBuffer {
			t.Errorf("Decide(%v) = ebc %v buffer %v, want %v %v", tc.in, d.ExcessBurstCapacity, d.Buffer, tc.wantEBC, tc.wantBuffer)
		}
	}
}

func TestDecideIsPure(t *testing.T) {
	// The same inputs give the same decision, whatever the wall clock.
	rc := resolve(t, nil, nil, 0)
	a, b := steady(rc, 123, 2), steady(rc, 123, 2)
	if a != b {
		t.Errorf("Decide() = %v then %v, want equal", a, b)
	}
}
