package runtime

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// childBin is the testdata/child program, built once by TestMain.
var childBin string

// The test binary re-executed as a skiff that gets SIGKILLed (see
// TestNoOrphansAfterParentKill) finds its state dir and the child program
// in these variables.
const (
	envFakeParent = "SKIFF_RUNTIME_TEST_FAKE_PARENT"
	envChildBin   = "SKIFF_RUNTIME_TEST_CHILD"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(envFakeParent); dir != "" {
		fakeParent(dir, os.Getenv(envChildBin))
		return
	}
	tmp, err := os.MkdirTemp("", "skiff-runtime-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	childBin = filepath.Join(tmp, "child")
	build := exec.Command(goTool(), "build", "-o", childBin, "./testdata/child")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build testdata/child:", err)
		os.RemoveAll(tmp)
		os.Exit(1)
	}
	code := m.Run()
	if left := runningChildren(); len(left) > 0 && code == 0 {
		fmt.Fprintf(os.Stderr, "test programs still running after the tests: %v\n", left)
		code = 1
	}
	os.RemoveAll(tmp)
	os.Exit(code)
}

// runningChildren returns the pids of live processes running childBin.
func runningChildren() []int {
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if exe, err := os.Readlink("/proc/" + e.Name() + "/exe"); err == nil && exe == childBin && alive(pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(os.Getenv("GOROOT"), "bin", "go")
}

// fakeParent plays a skiff: it starts an instance whose program starts a
// grandchild, writes both pids to dir, and waits to be SIGKILLed.
func fakeParent(dir, child string) {
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "fake parent:", err)
		os.Exit(1)
	}
	p, err := NewProcess(ProcessOptions{StateDir: dir})
	if err != nil {
		fail(err)
	}
	port, err := freePort()
	if err != nil {
		fail(err)
	}
	in, err := p.Start(context.Background(), InstanceSpec{
		ID: "orphan", Executable: child, Port: port,
		Args: []string{"-grandchild", filepath.Join(dir, "grandchild.pid")},
		Env:  []string{"PORT=" + strconv.Itoa(port)},
	}, nil)
	if err != nil {
		fail(err)
	}
	for !in.Status().Ready {
		time.Sleep(5 * time.Millisecond)
	}
	writeFileAtomic(filepath.Join(dir, "child.pid"), strconv.Itoa(in.Status().PID))
	for {
		time.Sleep(time.Hour)
	}
}

func writeFileAtomic(path, s string) {
	os.WriteFile(path+".tmp", []byte(s), 0o644)
	os.Rename(path+".tmp", path)
}

// checkFor calls f until it returns nil, failing t with f's last error when
// that has not happened within timeout.
func checkFor(t testing.TB, timeout time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %v", timeout, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// freePort returns a loopback port free at the time of the call.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func mustFreePort(t testing.TB) int {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// newTestProcess returns a Process with a fast restart backoff, closed
// when the test ends.
func newTestProcess(t testing.TB, opts ProcessOptions) *Process {
	t.Helper()
	if opts.StateDir == "" {
		opts.StateDir = t.TempDir()
	}
	if opts.RestartBackoff == 0 {
		opts.RestartBackoff = 20 * time.Millisecond
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	p, err := NewProcess(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := p.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return p
}

// childSpec runs testdata/child with args on a free port.
func childSpec(t testing.TB, args ...string) InstanceSpec {
	t.Helper()
	port := mustFreePort(t)
	return InstanceSpec{
		ID:           strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()),
		Executable:   childBin,
		Args:         args,
		Env:          []string{"PORT=" + strconv.Itoa(port), "K_SERVICE=hello", "K_CONFIGURATION=hello", "K_REVISION=hello-00001"},
		Port:         port,
		StartTimeout: 20 * time.Second,
		GracePeriod:  5 * time.Second,
		LogFile:      filepath.Join(t.TempDir(), "instance.log"),
	}
}

// watched is an instance with a record of the statuses its notify calls
// saw. notify calls Status, which proves it runs without the lock held.
type watched struct {
	Instance
	mu   sync.Mutex // guards seen
	seen []InstanceStatus
}

func start(t testing.TB, p *Process, spec InstanceSpec) *watched {
	t.Helper()
	w := &watched{}
	var in atomic.Pointer[Instance]
	got, err := p.Start(context.Background(), spec, func() {
		if i := in.Load(); i != nil {
			s := (*i).Status()
			w.mu.Lock()
			w.seen = append(w.seen, s)
			w.mu.Unlock()
		}
	})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	in.Store(&got)
	w.Instance = got
	return w
}

func (w *watched) statuses() []InstanceStatus {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]InstanceStatus(nil), w.seen...)
}

// waitPhase waits until the instance is in phase.
func waitPhase(t testing.TB, in Instance, phase Phase, timeout time.Duration) InstanceStatus {
	t.Helper()
	var s InstanceStatus
	checkFor(t, timeout, func() error {
		if s = in.Status(); s.Phase != phase {
			return fmt.Errorf("phase %s, want %s (status %+v)", s.Phase, phase, s)
		}
		return nil
	})
	return s
}

func stop(t testing.TB, in Instance) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := in.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
}

// alive says whether pid runs (a zombie does not).
func alive(pid int) bool { return processAlive(pid, 0) }

func readPID(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}
