// Command proxybench measures skiff's ingress forwarding core
// (internal/serving/proxy) against nginx and httputil.ReverseProxy, all
// proxying to the same tiny Go backend on loopback, and prints a markdown
// table: closed-loop throughput, CPU time per request of each proxy process,
// and latency at a fixed open-loop rate with the direct backend as the
// baseline. See bench/README.md.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "proxybench:", err)
		os.Exit(1)
	}
}

type config struct {
	conns        int
	duration     time.Duration
	warmup       time.Duration
	rate         int
	latDuration  time.Duration
	rounds       int
	nginxWorkers string
	host         string
	targets      string
	skiffTimeout bool
	skiffH2C     bool
	load         string
	loadProcs    int
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("proxybench", flag.ContinueOnError)
	role := fs.String("role", "", "internal: run as a child server (backend, skiff, revproxy, relay)")
	backendAddr := fs.String("backend", "", "internal: backend address for a proxy role")
	var c config
	fs.IntVar(&c.conns, "c", 64, "closed-loop connections")
	fs.DurationVar(&c.duration, "d", 10*time.Second, "closed-loop duration per target and round")
	fs.DurationVar(&c.warmup, "warmup", 2*time.Second, "closed-loop warm-up before each measurement")
	fs.IntVar(&c.rate, "rate", 1000, "open-loop request rate for the latency run")
	fs.DurationVar(&c.latDuration, "latd", 10*time.Second, "open-loop duration per target and round")
	fs.IntVar(&c.rounds, "rounds", 1, "rounds; each target's median round is reported")
	fs.StringVar(&c.nginxWorkers, "nginx-workers", "1", "nginx worker_processes (1, 2 or auto)")
	fs.StringVar(&c.host, "host", "hello.default.localhost", "Host header sent")
	fs.StringVar(&c.targets, "targets", "direct,relay,nginx,skiff,revproxy", "targets to measure, in order")
	fs.BoolVar(&c.skiffTimeout, "skiff-timeouts", true, "skiff forwards with Knative's default timeouts (300 s)")
	fs.BoolVar(&c.skiffH2C, "skiff-h2c", true, "skiff's server wraps its handler in h2c.NewHandler, as the ingress does")
	fs.StringVar(&c.load, "load", "auto", "closed-loop load generator: go (built in), wrk (Debian's wrk, one thread), or auto: wrk when installed")
	fs.IntVar(&c.loadProcs, "load-procs", 1, "GOMAXPROCS of the built-in load generator")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *role != "" {
		return serveRole(*role, *backendAddr, c.skiffTimeout, c.skiffH2C)
	}
	if c.load == "auto" {
		c.load = "go"
		if _, err := exec.LookPath("wrk"); err == nil {
			c.load = "wrk"
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return bench(ctx, c, stdout)
}

// child is a server process under test.
type child struct {
	name string
	addr string
	cmd  *exec.Cmd
	pid  int
}

func (ch *child) stop() {
	if ch == nil || ch.cmd == nil || ch.cmd.Process == nil {
		return
	}
	_ = ch.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = ch.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		_ = ch.cmd.Process.Kill()
		<-done
	}
}

// startRole re-executes this binary as a child server and reads the address
// it listens on.
func startRole(role, backend string, c config) (*child, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	args := []string{"-role", role, "-backend", backend,
		fmt.Sprintf("-skiff-timeouts=%t", c.skiffTimeout), fmt.Sprintf("-skiff-h2c=%t", c.skiffH2C)}
	cmd := exec.Command(self, args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	ch := &child{name: role, cmd: cmd, pid: cmd.Process.Pid}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		ch.stop()
		return nil, fmt.Errorf("start %s: %w", role, err)
	}
	ch.addr = strings.TrimSpace(line)
	return ch, waitListening(ch.addr)
}

func waitListening(addr string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			return c.Close()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s never listened: %w", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

const nginxConf = `# proxybench: nginx as a keep-alive reverse proxy, tuned as a fair baseline.
worker_processes %s;
daemon off;
pid %s/nginx.pid;
error_log %s/error.log warn;
events { worker_connections 4096; multi_accept on; }
http {
    access_log off;
    client_body_temp_path %s/body;
    proxy_temp_path %s/proxy;
    fastcgi_temp_path %s/fastcgi;
    uwsgi_temp_path %s/uwsgi;
    scgi_temp_path %s/scgi;
    keepalive_requests 1000000;
    upstream backend {
        server %s;
        keepalive 256;
        keepalive_requests 1000000;
    }
    server {
        listen %s reuseport;
        location / {
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }
    }
}
`

func startNginx(dir, backend string, workers string) (*child, error) {
	bin, err := exec.LookPath("nginx")
	if err != nil {
		for _, p := range []string{"/usr/sbin/nginx", "/usr/local/sbin/nginx"} {
			if _, err2 := os.Stat(p); err2 == nil {
				bin, err = p, nil
				break
			}
		}
	}
	if err != nil {
		return nil, errors.New("nginx not found: apt-get install -y nginx-light")
	}
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	conf := fmt.Sprintf(nginxConf, workers, dir, dir, dir, dir, dir, dir, dir, backend, addr)
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "-p", dir, "-c", path, "-e", filepath.Join(dir, "error.log"))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	ch := &child{name: "nginx", addr: addr, cmd: cmd, pid: cmd.Process.Pid}
	if err := waitListening(addr); err != nil {
		ch.stop()
		return nil, err
	}
	return ch, nil
}

// result is one target's figures in one round.
type result struct {
	rps        float64
	cpuPerReq  time.Duration // the proxy process (and its children)
	backendCPU time.Duration // the backend, per request
	loadCPU    time.Duration // the load generator, per request
	failed     int64
	others     float64 // cores busy with other work meanwhile
	p50, p99   time.Duration
	p999       time.Duration
}

func bench(ctx context.Context, c config, stdout io.Writer) error {
	dir, err := os.MkdirTemp("", "proxybench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	backend, err := startRole("backend", "", c)
	if err != nil {
		return err
	}
	defer backend.stop()

	targets := strings.Split(c.targets, ",")
	procs := map[string]*child{"direct": backend}
	for _, t := range targets {
		var ch *child
		switch t {
		case "direct":
			continue
		case "nginx":
			ch, err = startNginx(dir, backend.addr, c.nginxWorkers)
		case "skiff", "revproxy", "relay":
			ch, err = startRole(t, backend.addr, c)
		default:
			err = fmt.Errorf("unknown target %q", t)
		}
		if err != nil {
			return err
		}
		defer ch.stop()
		procs[t] = ch
	}

	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Fprintf(os.Stderr, "proxybench: %d cores, loadavg %s", numCPU(), load)
	req := buildRequest(c.host)
	all := map[string][]result{}
	for round := range c.rounds {
		for _, t := range targets {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			ch := procs[t]
			res, err := measure(ctx, c, ch, backend, t, req)
			if err != nil {
				return fmt.Errorf("%s: %w", t, err)
			}
			fmt.Fprintf(os.Stderr, "round %d %-8s %8.0f req/s  cpu %6.1f us/req  load gen %6.1f us/req  p50 %v p99 %v  failed %d  other load %.2f cores\n",
				round+1, t, res.rps, us(res.cpuPerReq), us(res.loadCPU), res.p50, res.p99, res.failed, res.others)
			all[t] = append(all[t], res)
		}
	}
	report(stdout, c, targets, all)
	return nil
}

func measure(ctx context.Context, c config, ch, backend *child, name string, req []byte) (result, error) {
	var r result
	prev := runtime.GOMAXPROCS(c.loadProcs)
	_, _, err := closedLoop(ctx, ch.addr, req, c.conns, c.warmup)
	runtime.GOMAXPROCS(prev)
	if err != nil {
		return r, fmt.Errorf("warm-up: %w", err)
	}
	var ok, failed int64
	var p0, b0, l0, p1, b1, l1 time.Duration
	var el time.Duration
	s0 := systemBusy()
	if c.load == "wrk" {
		var w wrkResult
		w, err = runWrk(ctx, ch.addr, c, func() { p0, b0 = procCPU(ch.pid), procCPU(backend.pid) },
			func() { p1, b1 = procCPU(ch.pid), procCPU(backend.pid) })
		ok, failed, el = w.ok, w.failed, w.elapsed
		l0, l1 = 0, w.cpu
	} else {
		prev := runtime.GOMAXPROCS(c.loadProcs)
		p0, b0, l0 = procCPU(ch.pid), procCPU(backend.pid), procCPU(os.Getpid())
		t0 := time.Now()
		ok, failed, err = closedLoop(ctx, ch.addr, req, c.conns, c.duration)
		el = time.Since(t0)
		p1, b1, l1 = procCPU(ch.pid), procCPU(backend.pid), procCPU(os.Getpid())
		runtime.GOMAXPROCS(prev)
	}
	s1 := systemBusy()
	if ok == 0 {
		return r, fmt.Errorf("no request succeeded: %v", err)
	}
	ours := (p1 - p0) + (l1 - l0)
	if name != "direct" {
		ours += b1 - b0
	}
	r.others = max(0, float64(s1-s0-ours)/float64(el))
	r.failed = failed
	r.rps = float64(ok) / el.Seconds()
	if name != "direct" {
		r.cpuPerReq = (p1 - p0) / time.Duration(ok)
	}
	r.backendCPU = (b1 - b0) / time.Duration(ok)
	r.loadCPU = (l1 - l0) / time.Duration(ok)

	lat, lfailed, err := openLoop(ctx, ch.addr, req, c.rate, c.latDuration)
	if err != nil {
		return r, fmt.Errorf("latency: %w", err)
	}
	r.failed += lfailed
	r.p50, r.p99, r.p999 = lat.pct(50), lat.pct(99), lat.pct(99.9)
	return r, nil
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// median returns the round with the median throughput and the medians of
// each latency percentile across rounds.
func median(rs []result) result {
	by := func(f func(result) time.Duration) time.Duration {
		v := make([]time.Duration, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	s := slices.Clone(rs)
	slices.SortFunc(s, func(a, b result) int {
		switch {
		case a.rps < b.rps:
			return -1
		case a.rps > b.rps:
			return 1
		}
		return 0
	})
	m := s[len(s)/2]
	m.cpuPerReq = by(func(r result) time.Duration { return r.cpuPerReq })
	m.p50 = by(func(r result) time.Duration { return r.p50 })
	m.p99 = by(func(r result) time.Duration { return r.p99 })
	m.p999 = by(func(r result) time.Duration { return r.p999 })
	var f int64
	for _, r := range rs {
		f += r.failed
	}
	m.failed = f
	return m
}

func report(w io.Writer, c config, targets []string, all map[string][]result) {
	med := map[string]result{}
	for _, t := range targets {
		med[t] = median(all[t])
	}
	fmt.Fprintf(w, "Closed loop (%s): %d keep-alive connections for %v; open loop: %d req/s for %v; %d round(s), median shown; nginx worker_processes %s; %d cores shared by load generator, proxy and backend.\n\n",
		c.load, c.conns, c.duration, c.rate, c.latDuration, c.rounds, c.nginxWorkers, numCPU())
	fmt.Fprintln(w, "| target | req/s | vs nginx | proxy CPU µs/req | backend CPU µs/req | load gen CPU µs/req | p50 | p99 | p99.9 | added p50 | added p99 | failed | other load (cores) |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	direct, hasDirect := med["direct"]
	ng, hasNginx := med["nginx"]
	for _, t := range targets {
		r := med[t]
		vs, added50, added99 := "", "", ""
		if hasNginx {
			vs = fmt.Sprintf("%.2f", r.rps/ng.rps)
		}
		if hasDirect && t != "direct" {
			added50 = fmt.Sprintf("%.0f µs", us(r.p50-direct.p50))
			added99 = fmt.Sprintf("%.0f µs", us(r.p99-direct.p99))
		}
		cpu := ""
		if t != "direct" {
			cpu = fmt.Sprintf("%.1f", us(r.cpuPerReq))
		}
		fmt.Fprintf(w, "| %s | %.0f | %s | %s | %.1f | %.1f | %.0f µs | %.0f µs | %.0f µs | %s | %s | %d | %.2f |\n",
			t, r.rps, vs, cpu, us(r.backendCPU), us(r.loadCPU), us(r.p50), us(r.p99), us(r.p999), added50, added99, r.failed, r.others)
	}
	if _, ok := med["skiff"]; !ok {
		return
	}
	// The budgets are judged on ratios within each round (the targets of a
	// round ran back to back, under the same outside load), and the median
	// of those is reported with every round's value.
	paired := func(f func(i int) (float64, bool)) (float64, string) {
		var v []float64
		var each []string
		for i := range c.rounds {
			x, ok := f(i)
			if !ok {
				continue
			}
			v = append(v, x)
			each = append(each, fmt.Sprintf("%.2f", x))
		}
		if len(v) == 0 {
			return 0, ""
		}
		m := slices.Clone(v)
		slices.Sort(m)
		return m[len(m)/2], strings.Join(each, ", ")
	}
	at := func(t string, i int) (result, bool) {
		rs, ok := all[t]
		if !ok || i >= len(rs) {
			return result{}, false
		}
		return rs[i], true
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Budgets, judged on the median of per-round ratios (each round's value in brackets):")
	fmt.Fprintln(w)
	check := func(name string, pass bool, got, rounds string) {
		mark := "PASS"
		if !pass {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "- %s %s: %s [%s]\n", mark, name, got, rounds)
	}
	ratio := func(a, b string, f func(r result) float64) func(i int) (float64, bool) {
		return func(i int) (float64, bool) {
			x, ok1 := at(a, i)
			y, ok2 := at(b, i)
			if !ok1 || !ok2 || f(y) == 0 {
				return 0, false
			}
			return f(x) / f(y), true
		}
	}
	rps := func(r result) float64 { return r.rps }
	cpu := func(r result) float64 { return float64(r.cpuPerReq) }
	if hasNginx {
		m, each := paired(ratio("skiff", "nginx", rps))
		check("throughput >= 0.80 x nginx", m >= 0.8, fmt.Sprintf("%.2f x", m), each)
		m, each = paired(ratio("skiff", "nginx", cpu))
		check("CPU per request <= 2 x nginx", m <= 2, fmt.Sprintf("%.2f x", m), each)
	}
	if _, ok := med["revproxy"]; ok {
		m, each := paired(ratio("skiff", "revproxy", rps))
		check("throughput >= 2.5 x httputil.ReverseProxy", m >= 2.5, fmt.Sprintf("%.2f x", m), each)
	}
	if hasDirect {
		added := func(t string, p func(r result) time.Duration) func(i int) (float64, bool) {
			return func(i int) (float64, bool) {
				x, ok1 := at(t, i)
				d, ok2 := at("direct", i)
				return us(p(x) - p(d)), ok1 && ok2
			}
		}
		p50 := func(r result) time.Duration { return r.p50 }
		p99 := func(r result) time.Duration { return r.p99 }
		m, each := paired(added("skiff", p50))
		check("added p50 <= 100 µs", m <= 100, fmt.Sprintf("%.0f µs", m), each)
		m, each = paired(added("skiff", p99))
		check("added p99 <= 500 µs", m <= 500, fmt.Sprintf("%.0f µs", m), each)
		if hasNginx {
			m50, each50 := paired(added("nginx", p50))
			m99, each99 := paired(added("nginx", p99))
			fmt.Fprintf(w, "- for reference, nginx adds p50 %.0f µs [%s], p99 %.0f µs [%s]\n", m50, each50, m99, each99)
		}
		if _, ok := med["relay"]; ok {
			m50, each50 := paired(added("relay", p50))
			m99, each99 := paired(added("relay", p99))
			fmt.Fprintf(w, "- the floor, a TCP relay that parses nothing, adds p50 %.0f µs [%s], p99 %.0f µs [%s]\n", m50, each50, m99, each99)
		}
	}
}
