package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func get(addr, path string) (string, error) {
	resp, err := http.Get("http://" + addr + path)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func TestReady(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		args      []string
		readiness Probe
	}{
		{name: "default tcp"},
		{name: "default tcp, slow start", args: []string{"-delay", "300ms"}},
		{name: "http", readiness: Probe{Handler: ProbeHTTP, Path: "/healthz"}},
		{name: "http with period", args: []string{"-delay", "100ms"},
			readiness: Probe{Handler: ProbeHTTP, Path: "healthz", Period: 20 * time.Millisecond, Headers: map[string]string{"Host": "hello.default.localhost"}}},
		{name: "tcp with initial delay", readiness: Probe{InitialDelay: 50 * time.Millisecond, Period: 20 * time.Millisecond}},
		{name: "exec", readiness: Probe{Handler: ProbeExec, Command: []string{childBin, "-probe", "/healthz"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newTestProcess(t, ProcessOptions{})
			spec := childSpec(t, tt.args...)
			spec.Readiness = tt.readiness
			in := start(t, p, spec)
			s := waitPhase(t, in, PhaseReady, 10*time.Second)
			if !s.Ready || s.PID == 0 || s.Restarts != 0 || s.Message != "" {
				t.Errorf("Status() = %+v, want Ready with a PID", s)
			}
			if got, err := get(in.Addr(), "/"); err != nil || got != "ok" {
				t.Errorf("GET / = %q, %v, want ok", got, err)
			}
			if got, want := in.Addr(), "127.0.0.1:"+strconv.Itoa(spec.Port); got != want {
				t.Errorf("Addr() = %s, want %s", got, want)
			}
			seen := in.statuses()
			if len(seen) == 0 || seen[len(seen)-1].Phase != PhaseReady {
				t.Errorf("notified statuses %+v, want the last Ready", seen)
			}
			stop(t, in)
			if s := in.Status(); s.Phase != PhaseStopped || s.Ready || s.PID != 0 {
				t.Errorf("after Stop: Status() = %+v, want Stopped", s)
			}
		})
	}
}

func TestEnvAndWorkingDir(t *testing.T) {
	t.Parallel()
	p := newTestProcess(t, ProcessOptions{})
	spec := childSpec(t)
	spec.WorkingDir = t.TempDir()
	spec.Env = append(spec.Env, "GREETING=hello world")
	in := start(t, p, spec)
	waitPhase(t, in, PhaseReady, 10*time.Second)

	env, err := get(in.Addr(), "/env")
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(env, "\n")
	if strings.Join(got, "\n") != strings.Join(spec.Env, "\n") {
		t.Errorf("environment = %q, want exactly %q", got, spec.Env)
	}
	cwd, err := get(in.Addr(), "/cwd")
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := filepath.EvalSymlinks(spec.WorkingDir); cwd != want && cwd != spec.WorkingDir {
		t.Errorf("working dir = %q, want %q", cwd, spec.WorkingDir)
	}
}

func TestExitCodeAndLogTail(t *testing.T) {
	t.Parallel()
	p := newTestProcess(t, ProcessOptions{RestartBackoff: time.Minute})
	in := start(t, p, childSpec(t, "-lines", "20", "-exit", "2"))
	s := waitPhase(t, in, PhaseBackOff, 10*time.Second)
	if s.LastExit == nil {
		t.Fatalf("Status() = %+v, want a LastExit", s)
	}
	e := s.LastExit
	if e.ExitCode != 2 || e.Signal != 0 || e.Reason != ReasonError {
		t.Errorf("LastExit = %+v, want code 2, reason Error", e)
	}
	var want []string
	for i := 12; i <= 20; i++ {
		want = append(want, fmt.Sprintf("line %d", i))
	}
	want = append(want, "exiting with code 2")
	if got := strings.TrimSuffix(e.LogTail, "\n"); got != strings.Join(want, "\n") {
		t.Errorf("LogTail = %q, want %q", got, strings.Join(want, "\n"))
	}
	wantMsg := "back-off 1m0s restarting failed container: container exited with code 2: line 17\nline 18\nline 19\nline 20\nexiting with code 2"
	if s.Message != wantMsg || s.Reason != ReasonCrashLoopBackOff || s.Ready || s.PID != 0 {
		t.Errorf("Status() = %+v, want Message %q", s, wantMsg)
	}
	// The whole output is in the log file.
	if tail, err := TailLog(in.Spec().LogFile, 21); err != nil || !strings.HasPrefix(tail, "line 1\n") {
		t.Errorf("TailLog = %q, %v, want all the output", tail, err)
	}
	// Stop cuts the backoff short.
	t0 := time.Now()
	stop(t, in)
	if s := in.Status(); s.Phase != PhaseStopped || s.LastExit == nil || s.LastExit.ExitCode != 2 {
		t.Errorf("after Stop: Status() = %+v, want Stopped with the last exit", s)
	}
	if d := time.Since(t0); d > 5*time.Second {
		t.Errorf("Stop took %v in backoff", d)
	}
}

func TestRestartWithBackoff(t *testing.T) {
	t.Parallel()
	p := newTestProcess(t, ProcessOptions{RestartBackoff: 20 * time.Millisecond, MaxRestartBackoff: 80 * time.Millisecond})
	in := start(t, p, childSpec(t, "-exit", "1"))
	checkFor(t, 10*time.Second, func() error {
		if s := in.Status(); s.Restarts < 4 {
			return fmt.Errorf("restarts %d, want >= 4", s.Restarts)
		}
		return nil
	})
	stop(t, in)
	var backoffs []string
	for _, s := range in.statuses() {
		if s.Phase == PhaseBackOff {
			backoffs = append(backoffs, strings.Fields(s.Message)[1])
		}
	}
	want := []string{"20ms", "40ms", "80ms", "80ms"}
	if len(backoffs) < len(want) || strings.Join(backoffs[:len(want)], " ") != strings.Join(want, " ") {
		t.Errorf("backoffs %q, want them to start with %q", backoffs, want)
	}
}

func TestRestartThenReady(t *testing.T) {
	t.Parallel()
	p := newTestProcess(t, ProcessOptions{})
	marker := filepath.Join(t.TempDir(), "crashed")
	in := start(t, p, childSpec(t, "-crash-once", marker))
	s := waitPhase(t, in, PhaseReady, 10*time.Second)
	if s.Restarts != 1 || s.LastExit == nil || s.LastExit.ExitCode != 1 || !strings.Contains(s.LastExit.LogTail, "crashing once") {
		t.Errorf("Status() = %+v, LastExit %+v, want 1 restart after exit code 1", s, s.LastExit)
	}
	var phases []Phase
	for _, s := range in.statuses() {
		if len(phases) == 0 || phases[len(phases)-1] != s.Phase {
			phases = append(phases, s.Phase)
		}
	}
	if got, want := fmt.Sprint(phases), fmt.Sprint([]Phase{PhaseBackOff, PhaseStarting, PhaseReady}); got != want {
		t.Errorf("phases %s, want %s", got, want)
	}
}

func TestLivenessRestart(t *testing.T) {
	t.Parallel()
	p := newTestProcess(t, ProcessOptions{})
	unhealthy := filepath.Join(t.TempDir(), "unhealthy")
	if err := os.WriteFile(unhealthy, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	spec := childSpec(t, "-unhealthy", unhealthy)
	// The initial delay lets the program listen first, so that the probe
	// fails on the 500 and the program has its SIGTERM handler.
	spec.Liveness = &Probe{Handler: ProbeHTTP, Path: "/healthz", InitialDelay: 200 * time.Millisecond, Period: 20 * time.Millisecond, FailureThreshold: 2}
	in := start(t, p, spec)
	checkFor(t, 10*time.Second, func() error {
		for _, s := range in.statuses() {
			if s.Phase == PhaseBackOff && s.LastExit.Reason == ReasonLivenessProbeFailed &&
				strings.Contains(s.Message, "liveness probe failed: HTTP probe failed with statuscode: 500") &&
				strings.Contains(s.LastExit.LogTail, "got SIGTERM") {
				return nil
			}
		}
		return fmt.Errorf("status %+v, want a restart after the liveness probe got a 500, by SIGTERM", in.Status())
	})
	if err := os.Remove(unhealthy); err != nil {
		t.Fatal(err)
	}
	restarts := waitPhase(t, in, PhaseReady, 10*time.Second).Restarts
	time.Sleep(100 * time.Millisecond) // five liveness periods: no restart now
	if s := in.Status(); s.Restarts != restarts || s.Phase != PhaseReady {
		t.Errorf("healthy: Status() = %+v, want Ready with %d restarts", s, restarts)
	}
}

func TestCannotStart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, []byte("not a program"), 0o644); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(dir, "garbage")
	if err := os.WriteFile(garbage, []byte("\x00\x01\x02 not a program"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, executable, workingDir, reason, message string
	}{
		{"missing", "/no/such/program", "", ReasonExecutableNotFound, "executable /no/such/program not found"},
		{"not executable", plain, "", ReasonNotExecutable, "executable " + plain + " is not executable"},
		{"directory", dir, "", ReasonNotExecutable, "executable " + dir + " is a directory"},
		{"exec format", garbage, "", ReasonNotExecutable, "executable " + garbage + " is not executable: exec format error"},
		{"missing working dir", childBin, "/no/such/dir", ReasonStartFailed, "working directory /no/such/dir not found"},
	}
	p := newTestProcess(t, ProcessOptions{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := childSpec(t)
			spec.Executable, spec.WorkingDir = tt.executable, tt.workingDir
			in := start(t, p, spec)
			want := InstanceStatus{Phase: PhaseFailed, Reason: tt.reason, Message: tt.message}
			if got := in.Status(); got != want {
				t.Errorf("Status() = %+v, want %+v", got, want)
			}
			stop(t, in) // a no-op
			// The ID is free again.
			spec.Executable, spec.WorkingDir = childBin, ""
			again := start(t, p, spec)
			stop(t, again)
		})
	}
}

func TestInvalidSpec(t *testing.T) {
	t.Parallel()
	p := newTestProcess(t, ProcessOptions{})
	tests := []struct {
		name string
		edit func(*InstanceSpec)
		want error
	}{
		{"no id", func(s *InstanceSpec) { s.ID = "" }, ErrInvalidSpec},
		{"slash in id", func(s *InstanceSpec) { s.ID = "a/b" }, ErrInvalidSpec},
		{"relative executable", func(s *InstanceSpec) { s.Executable = "child" }, ErrInvalidSpec},
		{"no port", func(s *InstanceSpec) { s.Port = 0 }, ErrInvalidSpec},
		{"grpc readiness", func(s *InstanceSpec) { s.Readiness.Handler = ProbeGRPC }, ErrProbeNotSupported},
		{"grpc liveness", func(s *InstanceSpec) { s.Liveness = &Probe{Handler: ProbeGRPC} }, ErrProbeNotSupported},
		{"exec without command", func(s *InstanceSpec) { s.Readiness.Handler = ProbeExec }, ErrInvalidSpec},
		{"bad scheme", func(s *InstanceSpec) { s.Readiness = Probe{Handler: ProbeHTTP, Scheme: "ftp"} }, ErrInvalidSpec},
	}
	for _, tt := range tests {
		spec := childSpec(t)
		tt.edit(&spec)
		if _, err := p.Start(context.Background(), spec, nil); !errors.Is(err, tt.want) {
			t.Errorf("%s: Start() error = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestDuplicateIDAndClose(t *testing.T) {
	t.Parallel()
	p, err := NewProcess(ProcessOptions{StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	spec := childSpec(t)
	a := start(t, p, spec)
	if _, err := p.Start(context.Background(), spec, nil); !errors.Is(err, ErrDuplicateID) {
		t.Errorf("second Start() error = %v, want %v", err, ErrDuplicateID)
	}
	spec2 := childSpec(t)
	spec2.ID += "-2"
	b := start(t, p, spec2)
	waitPhase(t, a, PhaseReady, 10*time.Second)
	pids := []int{a.Status().PID}
	if err := p.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for _, in := range []Instance{a, b} {
		if s := in.Status(); s.Phase != PhaseStopped {
			t.Errorf("after Close: Status() = %+v, want Stopped", s)
		}
	}
	for _, pid := range pids {
		if alive(pid) {
			t.Errorf("pid %d alive after Close", pid)
		}
	}
	if _, err := p.Start(context.Background(), childSpec(t), nil); !errors.Is(err, ErrClosed) {
		t.Errorf("Start() after Close error = %v, want %v", err, ErrClosed)
	}
	if ents, _ := os.ReadDir(p.reg.dir); len(ents) != 0 {
		t.Errorf("pid registry holds %d files after Close, want none", len(ents))
	}
}

func TestNeverReady(t *testing.T) {
	t.Parallel()
	other := mustFreePort(t)
	tests := []struct {
		name      string
		args      []string
		readiness Probe
		want      string
	}{
		{
			name: "never listens", args: []string{"-listen=false"},
			want: "did not accept connections on port %[1]d within 300ms; it is not listening on port %[1]d, nor on any other TCP port",
		},
		{
			name: "listens elsewhere", args: []string{"-port", strconv.Itoa(other)},
			want: "did not accept connections on port %[1]d within 300ms; it is not listening on port %[1]d but on %[2]d (does it use $PORT?)",
		},
		{
			name: "http probe fails", args: []string{"-unhealthy", "/"}, readiness: Probe{Handler: ProbeHTTP, Path: "/healthz"},
			want: "readiness probe did not succeed within 300ms (last failure: HTTP probe failed with statuscode: 500)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newTestProcess(t, ProcessOptions{})
			spec := childSpec(t, tt.args...)
			spec.StartTimeout = 300 * time.Millisecond
			spec.Readiness = tt.readiness
			in := start(t, p, spec)
			pid := waitPhase(t, in, PhaseStarting, time.Second).PID
			s := waitPhase(t, in, PhaseFailed, 10*time.Second)
			want := tt.want
			if strings.Contains(want, "%[") {
				want = fmt.Sprintf(tt.want, spec.Port, other)
			}
			if s.Message != want || s.Reason != ReasonReadinessTimeout || s.LastExit == nil || s.LastExit.Reason != ReasonReadinessTimeout {
				t.Errorf("Status() = %+v, want Message %q", s, want)
			}
			if alive(pid) {
				t.Errorf("pid %d alive after the start timeout", pid)
			}
		})
	}
}

func TestStopSIGTERM(t *testing.T) {
	t.Parallel()
	p := newTestProcess(t, ProcessOptions{})
	in := start(t, p, childSpec(t))
	pid := waitPhase(t, in, PhaseReady, 10*time.Second).PID
	t0 := time.Now()
	stop(t, in)
	if d := time.Since(t0); d > 2*time.Second {
		t.Errorf("Stop took %v for a program that exits on SIGTERM", d)
	}
	s := in.Status()
	if s.Phase != PhaseStopped || s.LastExit == nil || s.LastExit.ExitCode != 0 || s.LastExit.LogTail != "got SIGTERM\n" {
		t.Errorf("Status() = %+v, LastExit %+v, want Stopped after SIGTERM", s, s.LastExit)
	}
	if alive(pid) {
		t.Errorf("pid %d alive after Stop", pid)
	}
	var phases []Phase
	for _, s := range in.statuses() {
		phases = append(phases, s.Phase)
	}
	if got := fmt.Sprint(phases); !strings.HasSuffix(got, "Ready Stopping Stopped]") {
		t.Errorf("phases %s, want Ready, Stopping, Stopped", got)
	}
	stop(t, in) // again: a no-op
}

func TestStopSIGKILLAfterGrace(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		grace    time.Duration
		ctx      time.Duration
		min, max time.Duration
	}{
		{"after grace", 300 * time.Millisecond, 10 * time.Second, 300 * time.Millisecond, 5 * time.Second},
		{"when ctx ends", 30 * time.Second, 300 * time.Millisecond, 300 * time.Millisecond, 5 * time.Second},
		{"no grace", -1, 10 * time.Second, 0, 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newTestProcess(t, ProcessOptions{})
			spec := childSpec(t, "-ignore-term")
			spec.GracePeriod = tt.grace
			in := start(t, p, spec)
			pid := waitPhase(t, in, PhaseReady, 10*time.Second).PID
			ctx, cancel := context.WithTimeout(context.Background(), tt.ctx)
			defer cancel()
			t0 := time.Now()
			if err := in.Stop(ctx); err != nil {
				t.Fatalf("Stop: %v", err)
			}
			if d := time.Since(t0); d < tt.min || d > tt.max {
				t.Errorf("Stop took %v, want %v..%v", d, tt.min, tt.max)
			}
			if e := in.Status().LastExit; e == nil || e.Signal != syscall.SIGKILL || e.ExitCode != 137 {
				t.Errorf("LastExit = %+v, want SIGKILL", e)
			}
			if alive(pid) {
				t.Errorf("pid %d alive after Stop", pid)
			}
		})
	}
}

func TestStopKillsGrandchild(t *testing.T) {
	t.Parallel()
	p := newTestProcess(t, ProcessOptions{})
	pidFile := filepath.Join(t.TempDir(), "grandchild.pid")
	in := start(t, p, childSpec(t, "-grandchild", pidFile))
	waitPhase(t, in, PhaseReady, 10*time.Second)
	grandchild, err := readPID(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	if !alive(grandchild) {
		t.Fatalf("grandchild %d not running", grandchild)
	}
	stop(t, in)
	checkFor(t, 5*time.Second, func() error {
		if alive(grandchild) {
			return fmt.Errorf("grandchild %d still alive", grandchild)
		}
		return nil
	})
}

// TestNoOrphansAfterParentKill SIGKILLs a skiff (the test binary run as
// fakeParent) and checks that its instance dies with it (Pdeathsig) and
// that the next NewProcess kills the instance's own child, which
// Pdeathsig does not reach.
func TestNoOrphansAfterParentKill(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	parent := exec.Command(os.Args[0], "-test.run=^$")
	parent.Env = append(os.Environ(), envFakeParent+"="+dir, envChildBin+"="+childBin)
	parent.Stdout, parent.Stderr = os.Stderr, os.Stderr
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	var child, grandchild int
	checkFor(t, 20*time.Second, func() (err error) {
		if child, err = readPID(filepath.Join(dir, "child.pid")); err != nil {
			return err
		}
		grandchild, err = readPID(filepath.Join(dir, "grandchild.pid"))
		return err
	})
	if !alive(child) || !alive(grandchild) {
		t.Fatalf("child %d or grandchild %d not running", child, grandchild)
	}
	parent.Process.Signal(syscall.SIGKILL)
	parent.Wait()

	checkFor(t, 5*time.Second, func() error {
		if alive(child) {
			return fmt.Errorf("child %d alive after its parent was killed", child)
		}
		return nil
	})
	if !alive(grandchild) {
		t.Logf("grandchild %d died without the registry's help", grandchild)
	}
	p := newTestProcess(t, ProcessOptions{StateDir: dir})
	checkFor(t, 5*time.Second, func() error {
		if alive(grandchild) {
			return fmt.Errorf("grandchild %d alive after NewProcess", grandchild)
		}
		return nil
	})
	if ents, _ := os.ReadDir(p.reg.dir); len(ents) != 0 {
		t.Errorf("pid registry holds %d files after the reap, want none", len(ents))
	}
}

func TestLogFileRotation(t *testing.T) {
	t.Parallel()
	p := newTestProcess(t, ProcessOptions{RestartBackoff: time.Minute})
	spec := childSpec(t, "-lines", "2000", "-exit", "0")
	spec.LogMaxBytes = 4 << 10
	in := start(t, p, spec)
	s := waitPhase(t, in, PhaseBackOff, 10*time.Second)
	if s.LastExit.Reason != ReasonCompleted {
		t.Errorf("LastExit = %+v, want Completed", s.LastExit)
	}
	info, err := os.Stat(spec.LogFile)
	if err != nil {
		t.Fatal(err)
	}
	old, err := os.Stat(spec.LogFile + ".1")
	if err != nil {
		b, _ := os.ReadFile(spec.LogFile)
		t.Fatalf("no rotated log: %v; log has %d bytes: %.200q", err, len(b), b)
	}
	if limit := spec.LogMaxBytes; info.Size() > limit || old.Size() > limit {
		t.Errorf("log sizes %d and %d, want at most %d", info.Size(), old.Size(), limit)
	}
	tail, err := TailLog(spec.LogFile, 3)
	if err != nil {
		t.Fatal(err)
	}
	if want := "line 1999\nline 2000\nexiting with code 0\n"; tail != want {
		t.Errorf("TailLog = %q, want %q", tail, want)
	}
}
