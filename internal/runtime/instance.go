package runtime

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// outputDrainTimeout bounds the wait for a program's last output after it
// exited and its group was killed: only a descendant that left the group
// can still hold the pipe open.
const outputDrainTimeout = time.Second

// killWait bounds the wait for a SIGKILLed program to be reaped once a
// Stop's ctx has ended; only a process stuck in the kernel takes longer.
const killWait = 5 * time.Second

// instance is one Instance of a Process. Its supervisor goroutine (run)
// starts the program again after each end until Stop.
type instance struct {
	p      *Process
	spec   InstanceSpec
	addr   string
	notify func()
	log    *slog.Logger
	logw   *logWriter // shared by the runs; closed by the supervisor
	ready  Probe      // readiness probe, defaults filled in
	live   *Probe     // liveness probe, defaults filled in; nil: none

	stopc    chan struct{} // closed by the first Stop: terminate, never restart
	stopOnce sync.Once
	killc    chan struct{} // closed when a Stop's ctx ends: SIGKILL now
	killOnce sync.Once
	done     chan struct{} // closed when the supervisor has returned (or never ran)

	mu     sync.Mutex // guards status and cur
	status InstanceStatus
	cur    *attempt // the run whose probers may still change status; nil once it ends
}

// attempt is one run of the program.
type attempt struct {
	cmd     *exec.Cmd
	pid     int
	started time.Time
	waiter  *exitWaiter
	exited  chan struct{} // closed once the program exited; it is reaped only by the supervisor
	out     *os.File      // read end of the output pipe
	outDone chan struct{} // closed when the log reader has returned
	tail    tailBuffer    // written by the log reader, read after outDone
	events  chan probeEvent
	cancel  context.CancelFunc // stops the probers
	probers sync.WaitGroup
}

// probeEvent is a prober's verdict that ends a run.
type probeEvent struct {
	reason  string // ReasonLivenessProbeFailed or ReasonReadinessTimeout
	message string
}

// startError is why a program could not be started.
type startError struct {
	reason    string
	message   string
	permanent bool // retrying cannot help: Failed
}

func (in *instance) Spec() InstanceSpec { return in.spec.clone() }
func (in *instance) Addr() string       { return in.addr }

func (in *instance) Status() InstanceStatus {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.status
}

func (in *instance) Stop(ctx context.Context) error {
	in.stopOnce.Do(func() { close(in.stopc) })
	select {
	case <-in.done:
		return nil
	case <-ctx.Done():
	}
	in.killOnce.Do(func() { close(in.killc) })
	t := time.NewTimer(killWait)
	defer t.Stop()
	select {
	case <-in.done:
		return nil
	case <-t.C:
		return fmt.Errorf("stop %s: %w: still running after SIGKILL", in.spec.ID, ctx.Err())
	}
}

// update changes the status under the lock, then calls notify.
func (in *instance) update(f func(s *InstanceStatus)) {
	in.mu.Lock()
	f(&in.status)
	in.mu.Unlock()
	in.notify()
}

// setReady records a readiness verdict of run a, unless a has ended.
func (in *instance) setReady(a *attempt, ready bool, err error) {
	in.mu.Lock()
	s := &in.status
	if in.cur != a || (s.Phase != PhaseStarting && s.Phase != PhaseReady && s.Phase != PhaseNotReady) {
		in.mu.Unlock()
		return
	}
	if ready {
		s.Phase, s.Ready, s.Reason, s.Message = PhaseReady, true, "", ""
	} else {
		s.Phase, s.Ready, s.Reason, s.Message = PhaseNotReady, false, ReasonReadinessProbeFailed, "readiness probe failed: "+err.Error()
	}
	in.mu.Unlock()
	in.notify()
}

// retire detaches run a from the status, so that its probers can no
// longer change it, and sets the phase to show while a terminates (none:
// keep the status as it is).
func (in *instance) retire(a *attempt, phase Phase, reason, message string) {
	in.mu.Lock()
	if in.cur == a {
		in.cur = nil
	}
	if phase == "" {
		in.mu.Unlock()
		return
	}
	in.status.Phase, in.status.Ready, in.status.Reason, in.status.Message = phase, false, reason, message
	in.mu.Unlock()
	in.notify()
}

// checkExecutable says why path cannot be executed, if it cannot.
func checkExecutable(path string) *startError {
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &startError{ReasonExecutableNotFound, fmt.Sprintf("executable %s not found", path), true}
	case err != nil:
		return &startError{ReasonNotExecutable, fmt.Sprintf("executable %s cannot be read: %v", path, errors.Unwrap(err)), true}
	case info.IsDir():
		return &startError{ReasonNotExecutable, fmt.Sprintf("executable %s is a directory", path), true}
	case info.Mode()&0o111 == 0:
		return &startError{ReasonNotExecutable, fmt.Sprintf("executable %s is not executable", path), true}
	}
	return nil
}

// spawn forks and execs the program, starts its waiter, log reader and
// probers, and makes it the current run; restart counts it as a restart.
func (in *instance) spawn(restart bool) (*attempt, *startError) {
	spec := &in.spec
	if serr := checkExecutable(spec.Executable); serr != nil {
		return nil, serr
	}
	if spec.WorkingDir != "" {
		// The exec error would not tell a missing directory from a missing
		// executable.
		if info, err := os.Stat(spec.WorkingDir); err != nil || !info.IsDir() {
			return nil, &startError{ReasonStartFailed, fmt.Sprintf("working directory %s not found", spec.WorkingDir), true}
		}
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, &startError{ReasonStartFailed, "create output pipe: " + err.Error(), false}
	}
	cmd := &exec.Cmd{
		Path:   spec.Executable,
		Args:   append([]string{spec.Executable}, spec.Args...),
		Env:    spec.Env,
		Dir:    spec.WorkingDir,
		Stdout: w,
		Stderr: w,
		SysProcAttr: &syscall.SysProcAttr{
			Setpgid:   true, // its own group, so that signals reach its children too
			Pdeathsig: syscall.SIGKILL,
		},
	}
	err = in.p.spawner.start(cmd)
	w.Close()
	if err != nil {
		r.Close()
		return nil, classifyStartError(spec.Executable, err)
	}
	a := &attempt{
		cmd:     cmd,
		pid:     cmd.Process.Pid,
		started: time.Now(),
		waiter:  newExitWaiter(cmd.Process.Pid),
		exited:  make(chan struct{}),
		out:     r,
		outDone: make(chan struct{}),
		events:  make(chan probeEvent, 2), // one per prober, so that sends never block
	}
	go func() {
		defer close(a.exited)
		a.waiter.wait()
	}()
	go in.copyOutput(a)

	in.mu.Lock()
	in.cur = a
	s := &in.status
	s.Phase, s.Ready, s.PID, s.Reason, s.Message = PhaseStarting, false, a.pid, "", ""
	if restart {
		s.Restarts++
	}
	in.mu.Unlock()

	ctx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	a.probers.Add(1)
	go func() {
		defer a.probers.Done()
		in.readiness(ctx, a)
	}()
	if in.live != nil {
		a.probers.Add(1)
		go func() {
			defer a.probers.Done()
			in.liveness(ctx, a)
		}()
	}
	return a, nil
}

func classifyStartError(path string, err error) *startError {
	switch {
	case errors.Is(err, syscall.ENOENT):
		// Gone since checkExecutable, or a script whose interpreter is missing.
		return &startError{ReasonExecutableNotFound, fmt.Sprintf("executable %s not found (or its interpreter): %v", path, err), true}
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.ENOEXEC), errors.Is(err, syscall.EISDIR):
		return &startError{ReasonNotExecutable, fmt.Sprintf("executable %s is not executable: %v", path, errors.Unwrap(err)), true}
	}
	return &startError{ReasonStartFailed, fmt.Sprintf("start %s: %v", path, err), false}
}

// copyOutput copies the program's output to the log file and the tail
// buffer until the pipe's end (or until the supervisor closes it).
func (in *instance) copyOutput(a *attempt) {
	defer close(a.outDone)
	buf := make([]byte, 32<<10)
	for {
		n, err := a.out.Read(buf)
		if n > 0 {
			a.tail.Write(buf[:n])
			if _, werr := in.logw.Write(buf[:n]); werr != nil {
				in.log.Warn("dropping output", logKeyError, werr)
			}
		}
		if err != nil {
			return
		}
	}
}

// runEnd is how a run ended.
type runEnd struct {
	stopped bool // by Stop
	exit    *ExitInfo
	message string // Status.Message for the end
	ran     time.Duration
}

// run is the supervisor: it watches run a, restarts the program with
// backoff after each end, and returns after Stop or a permanent failure.
func (in *instance) run(a *attempt) {
	defer close(in.done)
	defer in.p.forget(in)
	defer in.logw.Close()
	crashes := 0
	for {
		end := in.watch(a)
		if end.stopped {
			in.log.Info("instance stopped")
			in.update(func(s *InstanceStatus) {
				*s = InstanceStatus{Phase: PhaseStopped, Restarts: s.Restarts, LastExit: end.exit}
			})
			return
		}
		if end.exit.Reason == ReasonReadinessTimeout {
			in.log.Info("instance did not become ready", logKeyError, end.message)
			in.update(func(s *InstanceStatus) {
				*s = InstanceStatus{Phase: PhaseFailed, Restarts: s.Restarts, LastExit: end.exit,
					Reason: ReasonReadinessTimeout, Message: end.message}
			})
			return
		}
		if end.ran >= in.p.opts.BackoffReset {
			crashes = 0
		}
		msg := end.message
		for {
			crashes++
			delay := restartDelay(crashes, in.p.opts.RestartBackoff, in.p.opts.MaxRestartBackoff)
			in.log.Info("instance ended, restarting", logKeyBackoff, delay, logKeyError, msg)
			in.update(func(s *InstanceStatus) {
				*s = InstanceStatus{Phase: PhaseBackOff, Restarts: s.Restarts, LastExit: end.exit,
					Reason:  ReasonCrashLoopBackOff,
					Message: fmt.Sprintf("back-off %s restarting failed container: %s", delay, msg)}
			})
			if !in.backOff(delay) {
				in.update(func(s *InstanceStatus) {
					*s = InstanceStatus{Phase: PhaseStopped, Restarts: s.Restarts, LastExit: end.exit}
				})
				return
			}
			var serr *startError
			if a, serr = in.spawn(true); serr == nil {
				in.notify()
				break
			}
			if serr.permanent {
				in.log.Info("cannot restart instance", logKeyReason, serr.reason, logKeyError, serr.message)
				in.update(func(s *InstanceStatus) {
					*s = InstanceStatus{Phase: PhaseFailed, Restarts: s.Restarts, LastExit: end.exit,
						Reason: serr.reason, Message: serr.message}
				})
				return
			}
			msg = serr.message
		}
	}
}

// backOff waits d, and says false if Stop came first.
func (in *instance) backOff(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-in.stopc:
		return false
	}
}

// watch records run a in the registry and waits for its end: an exit, a
// prober's verdict or Stop. It then terminates what is left of the run,
// reaps it and collects its exit.
func (in *instance) watch(a *attempt) runEnd {
	var start uint64
	if st, err := readProcStat(a.pid); err == nil {
		start = st.Start
	}
	if err := in.p.reg.add(in.spec.ID, in.spec.Executable, a.pid, start); err != nil {
		in.log.Warn("record instance", logKeyError, err)
	}

	var ev *probeEvent
	stopped := false
	select {
	case <-a.exited:
		in.retire(a, "", "", "")
	case e := <-a.events:
		ev = &e
		if e.reason == ReasonLivenessProbeFailed {
			in.retire(a, PhaseNotReady, ReasonLivenessProbeFailed, e.message)
		} else {
			in.retire(a, PhaseStarting, ReasonReadinessTimeout, e.message)
		}
		in.terminate(a)
	case <-in.stopc:
		in.retire(a, PhaseStopping, "", "")
		in.terminate(a)
	}
	select {
	case <-in.stopc:
		stopped = true
	default:
	}

	// Kill what is left of the group while the unreaped leader still holds
	// the group id, then reap.
	syscall.Kill(-a.pid, syscall.SIGKILL)
	a.cancel()
	a.probers.Wait()
	a.cmd.Wait() // the exit status is in ProcessState; an error here is only a non-zero status
	a.waiter.close()
	in.drainOutput(a)
	if err := in.p.reg.remove(in.spec.ID); err != nil {
		in.log.Warn("forget instance", logKeyError, err)
	}

	exit := exitInfo(a.cmd.ProcessState)
	exit.LogTail = a.tail.lines(logTailLines)
	end := runEnd{stopped: stopped, exit: exit, ran: time.Since(a.started)}
	if ev != nil {
		exit.Reason = ev.reason
		end.message = ev.message
	} else {
		end.message = exit.describe()
	}
	in.log.Info("instance exited", logKeyPID, a.pid, logKeyExitCode, exit.ExitCode,
		logKeySignal, int(exit.Signal), logKeyReason, exit.Reason)
	return end
}

// terminate sends SIGTERM to run a's group, then SIGKILL after the grace
// period or when a Stop's ctx ends, and returns once the program exited.
func (in *instance) terminate(a *attempt) {
	syscall.Kill(-a.pid, syscall.SIGTERM)
	t := time.NewTimer(max(in.spec.GracePeriod, 0))
	defer t.Stop()
	select {
	case <-a.exited:
		return
	case <-t.C:
	case <-in.killc:
	}
	syscall.Kill(-a.pid, syscall.SIGKILL)
	<-a.exited
}

// drainOutput waits for the log reader to copy the run's last output,
// then closes the pipe.
func (in *instance) drainOutput(a *attempt) {
	t := time.NewTimer(outputDrainTimeout)
	defer t.Stop()
	select {
	case <-a.outDone:
	case <-t.C:
		in.log.Warn("output pipe still open after exit: a process left the instance's group")
	}
	a.out.Close()
	<-a.outDone
}

// exitInfo turns a reaped program's state into an ExitInfo.
func exitInfo(state *os.ProcessState) *ExitInfo {
	e := &ExitInfo{At: time.Now(), ExitCode: -1, Reason: ReasonError}
	if state == nil {
		return e
	}
	ws, ok := state.Sys().(syscall.WaitStatus)
	switch {
	case !ok:
		e.ExitCode = state.ExitCode()
	case ws.Signaled():
		e.Signal = ws.Signal()
		e.ExitCode = 128 + int(e.Signal)
	default:
		e.ExitCode = ws.ExitStatus()
	}
	if e.ExitCode == 0 {
		e.Reason = ReasonCompleted
	}
	return e
}
