package runtime

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Probe requests identify themselves as Knative's queue-proxy forwards
// kubelet probes, so that programs written for Knative recognise them.
const (
	probeUserAgent   = "kube-probe/skiff"
	probeHeaderName  = "K-Kubelet-Probe"
	probeHeaderValue = "queue"
)

// probeOutputBytes bounds the output of an exec probe kept for messages.
const probeOutputBytes = 1 << 10

// prober makes one probe's checks.
type prober struct {
	p       Probe // defaults filled in
	addr    string
	url     string
	client  *http.Client
	env     []string
	dir     string
	spawner *spawner
}

func newProber(p Probe, spec *InstanceSpec, sp *spawner) *prober {
	pr := &prober{p: p, addr: net.JoinHostPort(p.Host, strconv.Itoa(p.Port)), env: spec.Env, dir: spec.WorkingDir, spawner: sp}
	if p.Handler == ProbeHTTP {
		pr.url = strings.ToLower(p.Scheme) + "://" + pr.addr + p.Path
		pr.client = &http.Client{
			Transport: &http.Transport{
				Proxy:             nil, // never through $HTTP_PROXY
				DisableKeepAlives: true,
				TLSClientConfig:   &tls.Config{InsecureSkipVerify: true}, // as the kubelet
			},
			// A redirect is an answer: 3xx counts as success.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return pr
}

// check makes one check within the probe's timeout; nil is a success.
func (pr *prober) check(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, pr.p.Timeout)
	defer cancel()
	switch pr.p.Handler {
	case ProbeTCP:
		if ip := net.ParseIP(pr.p.Host); ip != nil && ip.IsLoopback() {
			return connectLoopback(ip, pr.p.Port, pr.p.Timeout)
		}
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", pr.addr)
		if err != nil {
			return err
		}
		c.Close()
		return nil
	case ProbeHTTP:
		return pr.checkHTTP(ctx)
	case ProbeExec:
		return pr.checkExec(ctx)
	}
	return ErrProbeNotSupported
}

// connectLoopback makes a TCP connection to a loopback address and closes
// it. It uses a blocking socket rather than Go's poller: a loopback connect
// completes (or is refused) within the call, so a try costs three system
// calls, about a third of net.Dial's, which matters to the aggressive
// start probing. The timeout (SO_SNDTIMEO) only counts when the listener's
// backlog is full; ctx cannot cut the call short, so the timeout bounds it.
func connectLoopback(ip net.IP, port int, timeout time.Duration) error {
	var (
		sa     syscall.Sockaddr
		family int
	)
	if ip4 := ip.To4(); ip4 != nil {
		sa4 := &syscall.SockaddrInet4{Port: port}
		copy(sa4.Addr[:], ip4)
		sa, family = sa4, syscall.AF_INET
	} else {
		sa6 := &syscall.SockaddrInet6{Port: port}
		copy(sa6.Addr[:], ip.To16())
		sa, family = sa6, syscall.AF_INET6
	}
	fd, err := syscall.Socket(family, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("dial tcp %s: socket: %w", net.JoinHostPort(ip.String(), strconv.Itoa(port)), err)
	}
	defer syscall.Close(fd)
	tv := syscall.NsecToTimeval(timeout.Nanoseconds())
	if err := syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_SNDTIMEO, &tv); err != nil {
		return fmt.Errorf("dial tcp: set timeout: %w", err)
	}
	if err := syscall.Connect(fd, sa); err != nil {
		if errors.Is(err, syscall.EINPROGRESS) || errors.Is(err, syscall.EAGAIN) {
			err = fmt.Errorf("i/o timeout after %s", timeout)
		}
		return fmt.Errorf("dial tcp %s: connect: %w", net.JoinHostPort(ip.String(), strconv.Itoa(port)), err)
	}
	return nil
}

func (pr *prober) checkHTTP(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, pr.url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", probeUserAgent)
	req.Header.Set(probeHeaderName, probeHeaderValue)
	for k, v := range pr.p.Headers {
		if strings.EqualFold(k, "Host") {
			req.Host = v
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := pr.client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 10<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode >= 400 {
		return fmt.Errorf("HTTP probe failed with statuscode: %d", resp.StatusCode)
	}
	return nil
}

func (pr *prober) checkExec(ctx context.Context) error {
	path, err := lookPath(pr.p.Command[0], pr.env)
	if err != nil {
		return err
	}
	var out limitedBuffer
	cmd := exec.CommandContext(ctx, path, pr.p.Command[1:]...)
	cmd.Args[0] = pr.p.Command[0]
	cmd.Env = pr.env
	cmd.Dir = pr.dir
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 100 * time.Millisecond // a descendant holding the output open
	if err := pr.spawner.start(cmd); err != nil {
		return fmt.Errorf("exec probe: %w", err)
	}
	err = cmd.Wait()
	if ctx.Err() != nil {
		return fmt.Errorf("command %q timed out after %s", pr.p.Command, pr.p.Timeout)
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		msg := fmt.Sprintf("command %q exited with code %d", pr.p.Command, ee.ExitCode())
		if o := strings.TrimSpace(out.String()); o != "" {
			msg += ": " + o
		}
		return errors.New(msg)
	}
	return err
}

// lookPath finds a command as a shell of the instance would, on the PATH
// of the instance's environment.
func lookPath(name string, env []string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	path := "/usr/local/bin:/usr/bin:/bin"
	for _, kv := range slices.Backward(env) {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
			break
		}
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		if info, err := os.Stat(p); err == nil && !info.IsDir() && info.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("exec probe: command %q not found in PATH", name)
}

// limitedBuffer keeps the first probeOutputBytes written to it.
type limitedBuffer struct{ b []byte }

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := probeOutputBytes - len(l.b); room > 0 {
		l.b = append(l.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (l *limitedBuffer) String() string { return string(l.b) }

// readiness runs run a's readiness probe until ctx ends: aggressively (see
// startProbeWait) or every Period until the first success, which makes
// the instance Ready, then every Period (DefaultReadyPeriod without one),
// moving it between Ready and NotReady by the thresholds. Without a
// success within StartTimeout it reports ReasonReadinessTimeout and stops.
func (in *instance) readiness(ctx context.Context, a *attempt) {
	p := in.ready
	pr := newProber(p, &in.spec, in.p.spawner)
	deadline := a.started.Add(in.spec.StartTimeout)
	if !sleep(ctx, p.InitialDelay) {
		return
	}
	everReady, ready := false, false
	successes, failures := 0, 0
	var lastErr error
	for {
		err := pr.check(ctx)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			successes, failures = successes+1, 0
		} else {
			successes, failures, lastErr = 0, failures+1, err
		}
		switch {
		case !ready && successes >= p.SuccessThreshold:
			everReady, ready = true, true
			in.setReady(a, true, nil)
		case ready && failures >= p.FailureThreshold:
			ready = false
			in.setReady(a, false, err)
		}

		now := time.Now()
		var wait time.Duration
		switch {
		case !everReady && !now.Before(deadline):
			a.events <- probeEvent{ReasonReadinessTimeout, in.readinessTimeoutMessage(a, p, lastErr)}
			return
		case !everReady && p.Period == 0:
			wait = startProbeWait(now.Sub(a.started), p.Handler)
		case p.Period == 0:
			wait = DefaultReadyPeriod
		default:
			wait = p.Period
		}
		if !everReady {
			wait = min(wait, deadline.Sub(now)) // one last check at the deadline
		}
		if !sleep(ctx, wait) {
			return
		}
	}
}

// readinessTimeoutMessage says why run a did not become ready, looking at
// the ports its processes listen on when the probe connects to one.
func (in *instance) readinessTimeoutMessage(a *attempt, p Probe, lastErr error) string {
	var b strings.Builder
	if p.Handler == ProbeTCP {
		fmt.Fprintf(&b, "did not accept connections on port %d within %s", p.Port, in.spec.StartTimeout)
	} else {
		fmt.Fprintf(&b, "readiness probe did not succeed within %s", in.spec.StartTimeout)
		if lastErr != nil {
			fmt.Fprintf(&b, " (last failure: %v)", lastErr)
		}
	}
	if p.Handler == ProbeExec {
		return b.String()
	}
	var start uint64
	if st, err := readProcStat(a.pid); err == nil {
		start = st.Start
	}
	ports := listeningPorts(groupMembers(a.pid, start))
	switch {
	case slices.Contains(ports, p.Port):
	case len(ports) == 0:
		fmt.Fprintf(&b, "; it is not listening on port %d, nor on any other TCP port", p.Port)
	default:
		ps := make([]string, len(ports))
		for i, port := range ports {
			ps[i] = strconv.Itoa(port)
		}
		fmt.Fprintf(&b, "; it is not listening on port %d but on %s (does it use $PORT?)", p.Port, strings.Join(ps, ", "))
	}
	return b.String()
}

// liveness runs run a's liveness probe until ctx ends, and reports
// ReasonLivenessProbeFailed after FailureThreshold failures in a row.
func (in *instance) liveness(ctx context.Context, a *attempt) {
	p := *in.live
	pr := newProber(p, &in.spec, in.p.spawner)
	if !sleep(ctx, p.InitialDelay) {
		return
	}
	failures := 0
	for {
		err := pr.check(ctx)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			failures = 0
		} else if failures++; failures >= p.FailureThreshold {
			a.events <- probeEvent{ReasonLivenessProbeFailed, "liveness probe failed: " + err.Error()}
			return
		}
		if !sleep(ctx, p.Period) {
			return
		}
	}
}

// sleep waits d or until ctx ends, and says whether ctx is still live.
// Waits under 2 ms use nanosleep: Go timers fire about 1 ms late, which
// would be most of a fast program's start time.
func sleep(ctx context.Context, d time.Duration) bool {
	switch {
	case d <= 0:
	case d < 2*time.Millisecond:
		ts := syscall.NsecToTimespec(d.Nanoseconds())
		syscall.Nanosleep(&ts, nil)
	default:
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
		}
	}
	return ctx.Err() == nil
}
