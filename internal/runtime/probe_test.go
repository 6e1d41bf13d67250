package runtime

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestHTTPProbe(t *testing.T) {
	t.Parallel()
	var (
		mu                                           sync.Mutex // guards the got* request fields
		gotHost, gotUA, gotProbe, gotCustom, gotPath string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		gotHost, gotUA, gotProbe, gotCustom, gotPath = r.Host, r.UserAgent(), r.Header.Get("K-Kubelet-Probe"), r.Header.Get("X-Custom"), r.URL.Path
		mu.Unlock()
		switch r.URL.Path {
		case "/ok":
		case "/redirect":
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		case "/slow":
			select {
			case <-time.After(5 * time.Second):
			case <-r.Context().Done():
			}
		default:
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	host, portStr, _ := net.SplitHostPort(srv.Listener.Addr().String())
	port, _ := strconv.Atoi(portStr)

	tests := []struct {
		path    string
		headers map[string]string
		wantErr string
	}{
		{path: "/ok"},
		{path: "/redirect"},
		{path: "/fail", wantErr: "HTTP probe failed with statuscode: 503"},
		{path: "/slow", wantErr: "context deadline exceeded"},
		{path: "/ok", headers: map[string]string{"Host": "hello.default.localhost", "X-Custom": "yes"}},
	}
	for _, tt := range tests {
		p := Probe{Handler: ProbeHTTP, Host: host, Path: tt.path, Headers: tt.headers, Timeout: 200 * time.Millisecond}.withDefaults(port, false)
		pr := newProber(p, &InstanceSpec{}, nil)
		err := pr.check(context.Background())
		if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("check(%s) = %v, want error %q", tt.path, err, tt.wantErr)
		}
		mu.Lock()
		if gotPath != tt.path || gotUA != probeUserAgent || gotProbe != "queue" {
			t.Errorf("check(%s): request path %q, User-Agent %q, K-Kubelet-Probe %q", tt.path, gotPath, gotUA, gotProbe)
		}
		if h := tt.headers["Host"]; h != "" && (gotHost != h || gotCustom != "yes") {
			t.Errorf("check(%s): Host %q, X-Custom %q, want %q and yes", tt.path, gotHost, gotCustom, h)
		}
		mu.Unlock()
	}
}

func TestTCPProbe(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	open := ln.Addr().(*net.TCPAddr).Port
	closed := mustFreePort(t)
	defer ln.Close()
	for _, tt := range []struct {
		port    int
		wantErr bool
	}{{open, false}, {closed, true}} {
		pr := newProber(Probe{}.withDefaults(tt.port, false), &InstanceSpec{}, nil)
		if err := pr.check(context.Background()); (err != nil) != tt.wantErr {
			t.Errorf("check(port %d) = %v, want error %v", tt.port, err, tt.wantErr)
		}
	}
}

func TestExecProbe(t *testing.T) {
	t.Parallel()
	sp := newSpawner()
	defer sp.stop()
	dir := t.TempDir()
	spec := &InstanceSpec{Env: []string{"GREETING=hello", "PATH=/usr/bin:/bin"}, WorkingDir: dir}
	tests := []struct {
		command []string
		wantErr string
	}{
		{command: []string{"true"}},
		{command: []string{"sh", "-c", `test "$GREETING" = hello && test "$(pwd)" = "$0"`, dir}},
		{command: []string{"sh", "-c", "echo broken; exit 3"}, wantErr: `command ["sh" "-c" "echo broken; exit 3"] exited with code 3: broken`},
		{command: []string{"sh", "-c", "sleep 5"}, wantErr: "timed out after 200ms"},
		{command: []string{"no-such-command"}, wantErr: `command "no-such-command" not found in PATH`},
	}
	for _, tt := range tests {
		p := Probe{Handler: ProbeExec, Command: tt.command, Timeout: 200 * time.Millisecond}.withDefaults(0, false)
		pr := newProber(p, spec, sp)
		t0 := time.Now()
		err := pr.check(context.Background())
		if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("check(%q) = %v, want error %q", tt.command, err, tt.wantErr)
		}
		if d := time.Since(t0); d > 3*time.Second {
			t.Errorf("check(%q) took %v", tt.command, d)
		}
	}
}

func TestProbeDefaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		in       Probe
		liveness bool
		want     Probe
	}{
		{"readiness zero", Probe{}, false, Probe{Host: "127.0.0.1", Port: 8080, Path: "/", Scheme: "HTTP",
			Timeout: AggressiveProbeTimeout, SuccessThreshold: 1, FailureThreshold: 3}},
		{"readiness with period", Probe{Period: time.Second, Path: "healthz", Scheme: "https"}, false, Probe{Host: "127.0.0.1", Port: 8080, Path: "/healthz", Scheme: "HTTPS",
			Period: time.Second, Timeout: time.Second, SuccessThreshold: 1, FailureThreshold: 3}},
		{"liveness zero", Probe{Port: 9000}, true, Probe{Host: "127.0.0.1", Port: 9000, Path: "/", Scheme: "HTTP",
			Period: DefaultLivenessPeriod, Timeout: time.Second, SuccessThreshold: 1, FailureThreshold: 3}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, tt.in.withDefaults(8080, tt.liveness)); diff != "" {
			t.Errorf("%s: withDefaults() mismatch (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestStartProbeWait(t *testing.T) {
	t.Parallel()
	tests := []struct {
		elapsed time.Duration
		handler ProbeHandler
		want    time.Duration
	}{
		{0, ProbeTCP, 100 * time.Microsecond},
		{time.Millisecond, ProbeTCP, 100 * time.Microsecond},
		{8 * time.Millisecond, ProbeTCP, 250 * time.Microsecond},
		{320 * time.Millisecond, ProbeHTTP, 10 * time.Millisecond},
		{time.Second, ProbeTCP, 31250 * time.Microsecond},
		{2 * time.Second, ProbeTCP, 50 * time.Millisecond},
		{time.Minute, ProbeTCP, 50 * time.Millisecond},
		{0, ProbeExec, 10 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := startProbeWait(tt.elapsed, tt.handler); got != tt.want {
			t.Errorf("startProbeWait(%v, %v) = %v, want %v", tt.elapsed, tt.handler, got, tt.want)
		}
	}
}

func TestRestartDelay(t *testing.T) {
	t.Parallel()
	tests := []struct {
		crashes   int
		base, max time.Duration
		want      time.Duration
	}{
		{1, 10 * time.Second, 5 * time.Minute, 10 * time.Second},
		{2, 10 * time.Second, 5 * time.Minute, 20 * time.Second},
		{5, 10 * time.Second, 5 * time.Minute, 160 * time.Second},
		{6, 10 * time.Second, 5 * time.Minute, 5 * time.Minute},
		{1000, 10 * time.Second, 5 * time.Minute, 5 * time.Minute},
		{3, 100 * time.Millisecond, time.Second, 400 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := restartDelay(tt.crashes, tt.base, tt.max); got != tt.want {
			t.Errorf("restartDelay(%d, %v, %v) = %v, want %v", tt.crashes, tt.base, tt.max, got, tt.want)
		}
	}
}
