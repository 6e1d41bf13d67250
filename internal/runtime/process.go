package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// Log keys.
const (
	logKeyError      = "err"
	logKeyInstance   = "instance"
	logKeyPID        = "pid"
	logKeyPIDs       = "pids"
	logKeyExecutable = "executable"
	logKeyFile       = "file"
	logKeyExitCode   = "exitCode"
	logKeySignal     = "signal"
	logKeyReason     = "reason"
	logKeyBackoff    = "backoff"
)

// Restart backoff defaults, as Kubernetes' CrashLoopBackOff.
const (
	DefaultRestartBackoff    = 10 * time.Second
	DefaultMaxRestartBackoff = 5 * time.Minute
	DefaultBackoffReset      = 10 * time.Minute
)

// ProcessOptions configure a Process.
type ProcessOptions struct {
	// StateDir holds the pid registry (in StateDir/pids); required.
	StateDir string
	// Logger receives the runtime's own logs; nil discards them.
	Logger *slog.Logger
	// RestartBackoff is the wait before the first restart after a crash;
	// it doubles with each crash in a row up to MaxRestartBackoff. Zero
	// means DefaultRestartBackoff.
	RestartBackoff time.Duration
	// MaxRestartBackoff caps the wait; zero means DefaultMaxRestartBackoff.
	MaxRestartBackoff time.Duration
	// BackoffReset is how long a run must last for the next crash to count
	// as the first again; zero means DefaultBackoffReset.
	BackoffReset time.Duration
}

// Process runs instances as child processes of skiff. Close must be
// called when it is no longer needed.
type Process struct {
	opts    ProcessOptions
	log     *slog.Logger
	reg     *registry
	spawner *spawner

	mu      sync.Mutex           // guards running and closed; never held with an instance's mu
	running map[string]*instance // by ID, until the supervisor returns
	closed  bool

	closeOnce sync.Once
}

var _ Runtime = (*Process)(nil)

// NewProcess returns a Process whose pid registry is in opts.StateDir. It
// first kills the processes that a previous skiff, now gone, left behind
// (see registry.reap).
func NewProcess(opts ProcessOptions) (*Process, error) {
	if opts.StateDir == "" {
		return nil, errors.New("new process runtime: no state directory")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.RestartBackoff <= 0 {
		opts.RestartBackoff = DefaultRestartBackoff
	}
	if opts.MaxRestartBackoff <= 0 {
		opts.MaxRestartBackoff = DefaultMaxRestartBackoff
	}
	if opts.BackoffReset <= 0 {
		opts.BackoffReset = DefaultBackoffReset
	}
	reg, err := newRegistry(filepath.Join(opts.StateDir, "pids"))
	if err != nil {
		return nil, fmt.Errorf("new process runtime: %w", err)
	}
	p := &Process{
		opts:    opts,
		log:     opts.Logger,
		reg:     reg,
		running: map[string]*instance{},
	}
	reg.reap(p.log)
	p.spawner = newSpawner()
	return p, nil
}

// Start runs spec's program; see Runtime.
func (p *Process) Start(ctx context.Context, spec InstanceSpec, notify func()) (Instance, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("start %s: %w", spec.ID, err)
	}
	if err := spec.validate(); err != nil {
		return nil, fmt.Errorf("start %s: %w: %w", spec.ID, ErrInvalidSpec, err)
	}
	spec = spec.withDefaults()
	if notify == nil {
		notify = func() {}
	}
	in := &instance{
		p:      p,
		spec:   spec,
		addr:   net.JoinHostPort("127.0.0.1", strconv.Itoa(spec.Port)),
		notify: notify,
		log:    p.log.With(logKeyInstance, spec.ID),
		ready:  spec.Readiness.withDefaults(spec.Port, false),
		stopc:  make(chan struct{}),
		killc:  make(chan struct{}),
		done:   make(chan struct{}),
	}
	if spec.Liveness != nil {
		l := spec.Liveness.withDefaults(spec.Port, true)
		in.live = &l
	}

	p.mu.Lock()
	switch {
	case p.closed:
		p.mu.Unlock()
		return nil, fmt.Errorf("start %s: %w", spec.ID, ErrClosed)
	case p.running[spec.ID] != nil:
		p.mu.Unlock()
		return nil, fmt.Errorf("start %s: %w", spec.ID, ErrDuplicateID)
	}
	p.running[spec.ID] = in
	p.mu.Unlock()

	var err error
	if in.logw, err = openLog(spec.LogFile, spec.LogMaxBytes); err != nil {
		p.forget(in)
		return nil, fmt.Errorf("start %s: %w", spec.ID, err)
	}
	a, serr := in.spawn(false)
	if serr != nil {
		p.forget(in)
		in.logw.Close()
		defer close(in.done) // for a Close that saw the instance
		if !serr.permanent {
			return nil, fmt.Errorf("start %s: %s", spec.ID, serr.message)
		}
		in.log.Info("cannot start instance", logKeyReason, serr.reason, logKeyError, serr.message)
		in.mu.Lock()
		in.status = InstanceStatus{Phase: PhaseFailed, Reason: serr.reason, Message: serr.message}
		in.mu.Unlock()
		return in, nil
	}
	go in.run(a)
	return in, nil
}

// forget drops a finished instance, freeing its ID.
func (p *Process) forget(in *instance) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.running[in.spec.ID] == in {
		delete(p.running, in.spec.ID)
	}
}

// Close stops every instance the Process started, concurrently, as Stop
// does (SIGKILL when ctx ends), and ends the Process's own goroutine. Start
// fails after Close.
func (p *Process) Close(ctx context.Context) error {
	p.mu.Lock()
	p.closed = true
	ins := make([]*instance, 0, len(p.running))
	for _, in := range p.running {
		ins = append(ins, in)
	}
	p.mu.Unlock()

	var (
		wg   sync.WaitGroup
		mu   sync.Mutex // guards errs
		errs []error
	)
	for _, in := range ins {
		wg.Go(func() {
			if err := in.Stop(ctx); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	p.closeOnce.Do(p.spawner.stop)
	return errors.Join(errs...)
}

// restartDelay is the wait before restarting after the crashes-th crash in
// a row (crashes >= 1): base doubled for each earlier crash, capped at max.
func restartDelay(crashes int, base, max time.Duration) time.Duration {
	d := base
	for i := 1; i < crashes && d < max; i++ {
		d *= 2
	}
	return min(d, max)
}
