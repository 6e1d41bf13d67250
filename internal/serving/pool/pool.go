// Package pool runs the instances of each Revision and hands them requests.
// It is where Knative's deployment, queue-proxy and activator meet in skiff:
// a Manager keeps one Pool per revision, starts and drains instances through
// the runtime to match the scale it is given, and Acquire picks a ready
// instance with capacity under containerConcurrency, holding the request
// (bounded) while none is ready or all are busy.
package pool

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/skiff-sh/skiff/internal/runtime"
)

// Sentinel errors of Acquire.
var (
	// ErrOverload: the revision's queue is full (containerConcurrency x 10
	// waiting requests per instance, as Knative's queue-proxy).
	ErrOverload = errors.New("revision overloaded")
	// ErrNoRevision: no pool for that revision.
	ErrNoRevision = errors.New("revision not running")
	// ErrFailed: the revision's instances cannot start.
	ErrFailed = errors.New("revision failed")
)

// RevisionKey names a revision.
type RevisionKey struct{ Namespace, Name string }

func (k RevisionKey) String() string { return k.Namespace + "/" + k.Name }

// Spec is what a revision's instances run.
type Spec struct {
	Key           RevisionKey
	Service       string // K_SERVICE; may be empty
	Configuration string // K_CONFIGURATION
	Executable    string
	Args          []string
	// Env is the container's environment (KEY=VALUE). The pool adds PORT,
	// K_SERVICE, K_CONFIGURATION and K_REVISION, and PATH, HOME and LANG
	// from skiff's own environment unless Env sets them.
	Env        []string
	WorkingDir string
	// ContainerConcurrency is the hard limit of requests per instance
	// (0: none).
	ContainerConcurrency int
	// Readiness and Liveness probes; a Port of 0 means the instance's port.
	Readiness runtime.Probe
	Liveness  *runtime.Probe
	// StartTimeout is the progress deadline of an instance.
	StartTimeout time.Duration
	// GracePeriod is the time between SIGTERM and SIGKILL.
	GracePeriod time.Duration
}

// Options configure a Manager.
type Options struct {
	// LogDir is where instance logs go: LogDir/<namespace>/<revision>/<n>.log.
	LogDir string
	// OnChange is called (without locks held) when a revision's status
	// changes, so that its reconciler can look again.
	OnChange func(RevisionKey)
	// OnCold is called (without locks held, at most once until the
	// revision is scaled up) when a request arrives for a revision scaled
	// to zero, so that the autoscaler can start instances at once.
	OnCold func(RevisionKey)
	Logger *slog.Logger
}

// Manager owns every revision's pool.
type Manager struct {
	rt   runtime.Runtime
	opts Options
	log  *slog.Logger

	mu     sync.Mutex // guards pools and closed
	pools  map[RevisionKey]*Pool
	closed bool

	wg sync.WaitGroup // drains and stops in flight
}

// NewManager returns a manager that runs instances with rt.
func NewManager(rt runtime.Runtime, opts Options) *Manager {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Manager{rt: rt, opts: opts, log: log, pools: map[RevisionKey]*Pool{}}
}

// Apply makes the revision run desired instances, creating its pool on first
// use. The spec of an existing pool is kept (revisions are immutable) except
// for changes that only affect new instances, such as Env.
func (m *Manager) Apply(spec Spec, desired int) {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	p, ok := m.pools[spec.Key]
	if !ok {
		p = &Pool{m: m, key: spec.Key, changed: make(chan struct{})}
		m.pools[spec.Key] = p
	}
	m.mu.Unlock()
	p.apply(spec, desired)
}

// Ensure creates the revision's pool if it has none (with no instances) and
// updates what new instances run; it leaves the scale alone.
func (m *Manager) Ensure(spec Spec) {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	p, ok := m.pools[spec.Key]
	if !ok {
		p = &Pool{m: m, key: spec.Key, changed: make(chan struct{})}
		m.pools[spec.Key] = p
	}
	m.mu.Unlock()
	p.mu.Lock()
	desired := p.desired
	p.mu.Unlock()
	p.apply(spec, desired)
}

// Scale sets the number of instances of a revision that has a pool.
func (m *Manager) Scale(key RevisionKey, desired int) {
	m.mu.Lock()
	p, ok := m.pools[key]
	m.mu.Unlock()
	if ok {
		p.apply(p.currentSpec(), desired)
	}
}

// Sample returns the revision's load since the previous Sample: the exact
// average number of requests in flight (from arrival at the ingress, so
// requests waiting for an instance count), the requests that arrived, and
// the ready instances.
func (m *Manager) Sample(key RevisionKey, now time.Time) (Sample, bool) {
	m.mu.Lock()
	p, ok := m.pools[key]
	m.mu.Unlock()
	if !ok {
		return Sample{}, false
	}
	return p.sample(now), true
}

// Sample is one measurement of a revision's load.
type Sample struct {
	// Concurrency is the time-averaged number of requests in flight.
	Concurrency float64
	// Requests is the number of requests that arrived.
	Requests int
	// Ready is the number of ready instances.
	Ready int
	// Interval is the time the sample covers.
	Interval time.Duration
}

// Remove drains and stops every instance of the revision and forgets it.
func (m *Manager) Remove(key RevisionKey) {
	m.mu.Lock()
	p, ok := m.pools[key]
	delete(m.pools, key)
	m.mu.Unlock()
	if ok {
		p.remove()
	}
}

// remove drains every instance and marks the pool gone: later scale calls
// do nothing and waiting requests fail at once.
func (p *Pool) remove() {
	p.apply(p.currentSpec(), 0)
	p.mu.Lock()
	p.removed = true
	p.broadcastLocked()
	p.mu.Unlock()
}

// Status reports a revision's pool; ok is false when there is none.
func (m *Manager) Status(key RevisionKey) (Status, bool) {
	m.mu.Lock()
	p, ok := m.pools[key]
	m.mu.Unlock()
	if !ok {
		return Status{}, false
	}
	return p.status(), true
}

// Acquire waits for an instance of the revision that is ready and has
// capacity, and reserves one request slot on it. The caller must Release
// the lease. It fails when ctx ends, when the queue is full, or when the
// revision is not running.
func (m *Manager) Acquire(ctx context.Context, key RevisionKey) (*Lease, error) {
	m.mu.Lock()
	p, ok := m.pools[key]
	m.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("acquire %s: %w", key, ErrNoRevision)
	}
	return p.acquire(ctx)
}

// Close stops every instance, draining requests in flight until ctx ends.
func (m *Manager) Close(ctx context.Context) {
	m.mu.Lock()
	m.closed = true
	pools := m.pools
	m.pools = map[RevisionKey]*Pool{}
	m.mu.Unlock()
	for _, p := range pools {
		p.remove()
	}
	done := make(chan struct{})
	go func() { m.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

func (m *Manager) changed(key RevisionKey) {
	if m.opts.OnChange != nil {
		m.opts.OnChange(key)
	}
}

// Lease is one reserved request slot on an instance.
type Lease struct {
	// Addr is the instance's address.
	Addr string
	once sync.Once
	p    *Pool
	in   *instance
}

// Release returns the slot. A Lease made outside a pool (in tests) holds
// none, and Release does nothing.
func (l *Lease) Release() {
	l.once.Do(func() {
		if l.p != nil {
			l.p.release(l.in)
		}
	})
}

// Status is a revision's pool as its reconciler reports it.
type Status struct {
	Desired int
	// Ready counts ready instances that take requests.
	Ready int
	// Running counts instances not being drained, ready or not.
	Running int
	// EverReady is true once an instance has been ready.
	EverReady bool
	// Failure, when set, is why instances are not healthy.
	Failure *Failure
	// Instances lists every instance, draining ones too.
	Instances []InstanceInfo
}

// Failure says why a revision's instances are unhealthy.
type Failure struct {
	// Reason is a CamelCase word; ExitCode<N> for a crashed program.
	Reason  string
	Message string
	// Fatal is true when the instances cannot start at all (a missing or
	// non-executable program, a readiness timeout).
	Fatal bool
}

// InstanceInfo describes one instance.
type InstanceInfo struct {
	ID       string
	Addr     string
	Phase    runtime.Phase
	Restarts int
	Draining bool
	Inflight int
}

// Pool is one revision's instances.
type Pool struct {
	m   *Manager
	key RevisionKey

	mu        sync.Mutex // guards every field below
	spec      Spec
	desired   int
	instances []*instance // not draining
	draining  []*instance
	queued    int
	everReady bool
	// Load accounting, for Sample: requests from arrival to completion.
	active     int       // requests in the pool now
	integral   float64   // sum of active x seconds since sampleFrom
	lastChange time.Time // when active last changed
	sampleFrom time.Time // start of the current sample
	arrivals   int       // requests that arrived since sampleFrom
	coldPoked  bool      // OnCold was called and the pool is still at zero
	removed    bool
	nextID     int
	changed    chan struct{} // closed and replaced on every change
}

// instance is one runtime instance and its request accounting.
type instance struct {
	id       string
	rt       runtime.Instance // nil until Start returned
	addr     string
	inflight int
	ready    bool
	draining bool
	// CPU accounting for Usage: the last reading and when it was taken.
	cpuPID   int
	cpuTicks int64
	cpuAt    time.Time
}

func (p *Pool) currentSpec() Spec {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.spec
}

func (p *Pool) broadcastLocked() {
	close(p.changed)
	p.changed = make(chan struct{})
}

func (p *Pool) apply(spec Spec, desired int) {
	p.mu.Lock()
	if p.removed {
		p.mu.Unlock()
		return
	}
	if p.spec.Executable == "" {
		p.spec = spec
	} else {
		p.spec.Env = spec.Env
	}
	p.desired = desired
	if desired > 0 {
		p.coldPoked = false
	}
	var start int
	var drain []*instance
	if n := len(p.instances); n < desired {
		start = desired - n
	} else if n > desired {
		drain = p.pickVictimsLocked(n - desired)
	}
	p.broadcastLocked()
	p.mu.Unlock()
	for range start {
		p.startInstance()
	}
	for _, in := range drain {
		p.m.wg.Add(1)
		go p.drain(in)
	}
	if start > 0 || len(drain) > 0 {
		p.m.changed(p.key)
	}
}

// pickVictimsLocked moves n instances to draining: unready ones first, then
// the least busy.
func (p *Pool) pickVictimsLocked(n int) []*instance {
	order := slices.Clone(p.instances)
	slices.SortStableFunc(order, func(a, b *instance) int {
		if a.ready != b.ready {
			if !a.ready {
				return -1
			}
			return 1
		}
		return a.inflight - b.inflight
	})
	victims := order[:n]
	p.instances = slices.DeleteFunc(p.instances, func(in *instance) bool { return slices.Contains(victims, in) })
	for _, in := range victims {
		in.draining = true
		p.draining = append(p.draining, in)
	}
	return victims
}

func freeLoopbackPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// baseEnv are the variables of skiff's own environment an instance gets
// unless its container sets them.
var baseEnv = []string{"PATH", "HOME", "LANG", "TMPDIR"}

func (p *Pool) startInstance() {
	p.mu.Lock()
	spec := p.spec
	p.nextID++
	n := p.nextID
	in := &instance{id: fmt.Sprintf("%s_%s_%d", p.key.Namespace, p.key.Name, n)}
	p.instances = append(p.instances, in)
	p.mu.Unlock()

	port, err := freeLoopbackPort()
	if err != nil {
		p.m.log.Error("no free port for an instance", "revision", p.key.String(), "err", err)
		p.forget(in)
		return
	}
	env := []string{
		"PORT=" + strconv.Itoa(port),
		"K_SERVICE=" + spec.Service,
		"K_CONFIGURATION=" + spec.Configuration,
		"K_REVISION=" + spec.Key.Name,
	}
	set := map[string]bool{}
	for _, kv := range spec.Env {
		k, _, _ := cutEq(kv)
		set[k] = true
	}
	for _, k := range baseEnv {
		if v, ok := os.LookupEnv(k); ok && !set[k] {
			env = append(env, k+"="+v)
		}
	}
	env = append(env, spec.Env...)
	readiness := spec.Readiness
	if readiness.Port == 0 {
		readiness.Port = port
	}
	var liveness *runtime.Probe
	if spec.Liveness != nil {
		l := *spec.Liveness
		if l.Port == 0 {
			l.Port = port
		}
		liveness = &l
	}
	logFile := ""
	if p.m.opts.LogDir != "" {
		dir := filepath.Join(p.m.opts.LogDir, p.key.Namespace, p.key.Name)
		if err := os.MkdirAll(dir, 0o700); err == nil {
			logFile = filepath.Join(dir, strconv.Itoa(n)+".log")
		}
	}
	is := runtime.InstanceSpec{
		ID: in.id, Executable: spec.Executable, Args: spec.Args, Env: env, WorkingDir: spec.WorkingDir,
		Port: port, Readiness: readiness, Liveness: liveness, StartTimeout: spec.StartTimeout,
		GracePeriod: spec.GracePeriod, LogFile: logFile,
	}
	rt, err := p.m.rt.Start(context.Background(), is, func() { p.instanceChanged(in) })
	if err != nil {
		p.m.log.Error("start instance", "revision", p.key.String(), "err", err)
		p.forget(in)
		return
	}
	p.mu.Lock()
	in.rt, in.addr = rt, rt.Addr()
	draining := in.draining
	p.mu.Unlock()
	p.instanceChanged(in)
	if draining {
		// Scaled down while starting: stop it now that it can be stopped.
		p.m.wg.Add(1)
		go p.drain(in)
	}
}

func cutEq(kv string) (string, string, bool) {
	for i := 0; i < len(kv); i++ {
		if kv[i] == '=' {
			return kv[:i], kv[i+1:], true
		}
	}
	return kv, "", false
}

// instanceChanged refreshes the cached readiness of in and wakes waiters.
func (p *Pool) instanceChanged(in *instance) {
	p.mu.Lock()
	if in.rt == nil {
		p.mu.Unlock()
		return
	}
	st := in.rt.Status()
	was := in.ready
	in.ready = st.Ready && st.Phase == runtime.PhaseReady
	ready := in.ready
	if ready {
		p.everReady = true
	}
	p.broadcastLocked()
	p.mu.Unlock()
	if was != ready || st.Phase != runtime.PhaseReady {
		p.m.changed(p.key)
	}
}

// drain waits until in has no request in flight, then stops it.
func (p *Pool) drain(in *instance) {
	defer p.m.wg.Done()
	for {
		p.mu.Lock()
		if in.rt == nil {
			// Still starting; startInstance drains it once started.
			p.mu.Unlock()
			return
		}
		if in.inflight == 0 {
			p.mu.Unlock()
			break
		}
		ch := p.changed
		p.mu.Unlock()
		<-ch
	}
	grace := in.rt.Spec().GracePeriod
	ctx, cancel := context.WithTimeout(context.Background(), grace+10*time.Second)
	defer cancel()
	if err := in.rt.Stop(ctx); err != nil {
		p.m.log.Warn("stop instance", "instance", in.id, "err", err)
	}
	p.mu.Lock()
	p.draining = slices.DeleteFunc(p.draining, func(x *instance) bool { return x == in })
	p.broadcastLocked()
	p.mu.Unlock()
	p.m.changed(p.key)
}

// pickLocked chooses a ready instance with capacity, as Knative's activator
// balances: first available for small containerConcurrency, least loaded
// otherwise.
func (p *Pool) pickLocked() *instance {
	cc := p.spec.ContainerConcurrency
	var best *instance
	for _, in := range p.instances {
		if !in.ready || in.draining || (cc > 0 && in.inflight >= cc) {
			continue
		}
		if cc > 0 && cc <= 3 {
			return in
		}
		if best == nil || in.inflight < best.inflight {
			best = in
		}
	}
	return best
}

func (p *Pool) acquire(ctx context.Context) (lease *Lease, err error) {
	queued := false
	p.mu.Lock()
	p.loadChangeLocked(time.Now(), +1)
	p.arrivals++
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		if queued {
			p.queued--
		}
		if err != nil {
			p.loadChangeLocked(time.Now(), -1)
		}
		p.mu.Unlock()
	}()
	for {
		p.mu.Lock()
		if p.removed {
			p.mu.Unlock()
			return nil, fmt.Errorf("acquire %s: %w", p.key, ErrNoRevision)
		}
		if in := p.pickLocked(); in != nil {
			in.inflight++
			p.mu.Unlock()
			return &Lease{Addr: in.addr, p: p, in: in}, nil
		}
		if f := p.failureLocked(); f != nil && f.Fatal && p.readyLocked() == 0 {
			p.mu.Unlock()
			return nil, fmt.Errorf("acquire %s: %w: %s", p.key, ErrFailed, f.Message)
		}
		if !queued {
			if cc := p.spec.ContainerConcurrency; cc > 0 && p.queued >= 10*cc*max(1, len(p.instances)) {
				p.mu.Unlock()
				return nil, fmt.Errorf("acquire %s: %w", p.key, ErrOverload)
			}
			p.queued++
			queued = true
		}
		poke := p.desired == 0 && !p.coldPoked && p.m.opts.OnCold != nil
		if poke {
			p.coldPoked = true
		}
		ch := p.changed
		p.mu.Unlock()
		if poke {
			// Scale from zero starts now, not at the next autoscaler tick.
			p.m.opts.OnCold(p.key)
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, fmt.Errorf("acquire %s: %w", p.key, context.Cause(ctx))
		}
	}
}

func (p *Pool) release(in *instance) {
	p.mu.Lock()
	in.inflight--
	p.loadChangeLocked(time.Now(), -1)
	p.broadcastLocked()
	p.mu.Unlock()
}

func (p *Pool) readyLocked() int {
	n := 0
	for _, in := range p.instances {
		if in.ready {
			n++
		}
	}
	return n
}

// failureLocked reports the worst problem among the instances.
func (p *Pool) failureLocked() *Failure {
	var f *Failure
	for _, in := range p.instances {
		if in.rt == nil {
			continue
		}
		st := in.rt.Status()
		switch {
		case st.Phase == runtime.PhaseFailed:
			return &Failure{Reason: failedReason(st), Message: st.Message, Fatal: true}
		case st.LastExit != nil && !st.Ready:
			f = &Failure{Reason: "ExitCode" + strconv.Itoa(st.LastExit.ExitCode), Message: st.Message}
		case st.Phase == runtime.PhaseNotReady && st.Message != "" && f == nil:
			f = &Failure{Reason: "ReadinessProbeFailed", Message: st.Message}
		}
	}
	return f
}

func failedReason(st runtime.InstanceStatus) string {
	switch st.Reason {
	case runtime.ReasonExecutableNotFound, runtime.ReasonNotExecutable:
		return "ContainerMissing"
	case runtime.ReasonReadinessTimeout:
		return "ProgressDeadlineExceeded"
	case "":
		return "Failed"
	}
	return st.Reason
}

func (p *Pool) status() Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := Status{Desired: p.desired, Running: len(p.instances), Ready: p.readyLocked(), EverReady: p.everReady, Failure: p.failureLocked()}
	for _, list := range [][]*instance{p.instances, p.draining} {
		for _, in := range list {
			info := InstanceInfo{ID: in.id, Addr: in.addr, Draining: in.draining, Inflight: in.inflight}
			if in.rt != nil {
				st := in.rt.Status()
				info.Phase, info.Restarts = st.Phase, st.Restarts
			}
			s.Instances = append(s.Instances, info)
		}
	}
	return s
}

// loadChangeLocked adds delta requests to the pool's load at now, keeping
// the time integral exact.
func (p *Pool) loadChangeLocked(now time.Time, delta int) {
	if p.sampleFrom.IsZero() {
		p.sampleFrom, p.lastChange = now, now
	}
	if now.After(p.lastChange) {
		p.integral += float64(p.active) * now.Sub(p.lastChange).Seconds()
		p.lastChange = now
	}
	p.active += delta
}

func (p *Pool) sample(now time.Time) Sample {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.loadChangeLocked(now, 0)
	s := Sample{Requests: p.arrivals, Ready: p.readyLocked()}
	if !p.sampleFrom.IsZero() && now.After(p.sampleFrom) {
		s.Interval = now.Sub(p.sampleFrom)
		s.Concurrency = p.integral / s.Interval.Seconds()
	}
	p.integral, p.arrivals, p.sampleFrom = 0, 0, now
	return s
}

// forget drops an instance that never started from the pool's lists and
// wakes waiters.
func (p *Pool) forget(in *instance) {
	p.mu.Lock()
	p.instances = slices.DeleteFunc(p.instances, func(x *instance) bool { return x == in })
	p.draining = slices.DeleteFunc(p.draining, func(x *instance) bool { return x == in })
	p.broadcastLocked()
	p.mu.Unlock()
	p.m.changed(p.key)
}
