package runtime

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkStartToReady measures Process.Start until Status().Ready (seen
// through notify, as the activator would see it) for testdata/child, an
// HTTP server on $PORT, against a baseline taken in the same run,
// alternating with it: the same program started with os/exec and timed
// until a TCP connect to its port, retried in a tight loop, first succeeds.
//
// Both totals are dominated by the program's own start, which varies by
// milliseconds on a busy machine (and the baseline's tight loop takes a CPU
// from the program), so the difference of their percentiles is noise. The program also writes the wall-clock time at which its
// listen returned, which gives the part that is the runtime's own: the
// time from listen to Ready (listen-to-ready) against the time from listen
// to the baseline's connect (listen-to-connect), and the time from the
// Start call to a successful exec (exec-start) against os/exec's Start
// (exec-base); overhead-est sums the two differences.
//
//	go test -run '^$' -bench StartToReady -benchtime 300x ./internal/runtime/
func BenchmarkStartToReady(b *testing.B) {
	p := newTestProcess(b, ProcessOptions{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ctx := context.Background()
	stamp := filepath.Join(b.TempDir(), "stamp")
	var base, baseDetect, baseExec, ours, oursDetect, oursExec []time.Duration
	for i := 0; i < b.N; i++ {
		// Baseline.
		port := mustFreePort(b)
		addr := "127.0.0.1:" + strconv.Itoa(port)
		cmd := exec.Command(childBin, "-stamp", stamp)
		cmd.Env = []string{"PORT=" + strconv.Itoa(port)}
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		t0 := time.Now()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		baseExec = append(baseExec, time.Since(t0))
		for {
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err == nil {
				c.Close()
				break
			}
		}
		t1 := time.Now()
		base = append(base, t1.Sub(t0))
		baseDetect = append(baseDetect, t1.Sub(readStamp(b, stamp)))
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()

		// Through the runtime.
		spec := childSpec(b, "-stamp", stamp)
		spec.ID = "bench-" + strconv.Itoa(i)
		spec.LogFile = ""
		notified := make(chan struct{}, 1)
		t0 = time.Now()
		in, err := p.Start(ctx, spec, func() {
			select {
			case notified <- struct{}{}:
			default:
			}
		})
		if err != nil {
			b.Fatal(err)
		}
		for !in.Status().Ready {
			<-notified
		}
		t1 = time.Now()
		ours = append(ours, t1.Sub(t0))
		oursDetect = append(oursDetect, t1.Sub(readStamp(b, stamp)))
		oursExec = append(oursExec, in.(*instance).execedAt().Sub(t0))
		if err := in.Stop(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	report := func(ds []time.Duration, name string) {
		for _, q := range []int{50, 99} {
			b.ReportMetric(float64(percentile(ds, q))/float64(time.Microsecond), name+"-p"+strconv.Itoa(q)+"-us")
		}
	}
	report(base, "base")
	report(ours, "start")
	b.ReportMetric(float64(percentile(ours, 50)-percentile(base, 50))/float64(time.Microsecond), "overhead-p50-us")
	b.ReportMetric(float64(percentile(ours, 99)-percentile(base, 99))/float64(time.Microsecond), "overhead-p99-us")
	report(baseDetect, "listen-to-connect")
	report(oursDetect, "listen-to-ready")
	report(baseExec, "exec-base")
	report(oursExec, "exec-start")
	// The runtime's own share of a start, by parts: the later exec plus
	// the later detection of the listen.
	est := percentile(oursExec, 50) - percentile(baseExec, 50) + percentile(oursDetect, 50) - percentile(baseDetect, 50)
	b.ReportMetric(float64(est)/float64(time.Microsecond), "overhead-est-p50-us")
}

// execedAt returns when the current run's exec had succeeded.
func (in *instance) execedAt() time.Time {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.cur.started
}

// readStamp reads the time the child program wrote to path, and removes
// the file.
func readStamp(b *testing.B, path string) time.Time {
	b.Helper()
	var raw []byte
	checkFor(b, 5*time.Second, func() (err error) {
		raw, err = os.ReadFile(path)
		return err
	})
	os.Remove(path)
	ns, err := strconv.ParseInt(strings.TrimSpace(string(raw)), 10, 64)
	if err != nil {
		b.Fatal(err)
	}
	return time.Unix(0, ns)
}

// percentile returns the p-th percentile (nearest rank) of ds.
func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[min(max(i-1, 0), len(s)-1)]
}
