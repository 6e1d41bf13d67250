package ingress

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/skiff-sh/skiff/internal/runtime"
	"github.com/skiff-sh/skiff/internal/serving/pool"
	"github.com/skiff-sh/skiff/internal/serving/proxy"
)

func pct(d []time.Duration, p float64) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

// execToListen starts bin on a free port and returns the time from exec
// until a TCP connect to its port first succeeds: the baseline of a cold
// start, the program's own start time.
func execToListen(b *testing.B, bin string) time.Duration {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(bin)
	cmd.Env = []string{"PORT=" + strconv.Itoa(port)}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	for {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
		if err == nil {
			c.Close()
			return time.Since(start)
		}
		if time.Since(start) > 10*time.Second {
			b.Fatal("program never listened")
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// BenchmarkScaleFromZero measures, over cold starts of examples/hello, the
// time to first byte of a request to a revision at zero through the
// ingress (the request pokes the pool, which starts an instance at once,
// waits for it and forwards), minus the same executable's own exec-to-
// listen time measured in the same run. Budget: p50 <= 5 ms, p99 <= 20 ms.
func BenchmarkScaleFromZero(b *testing.B) {
	dir := b.TempDir()
	bin := filepath.Join(dir, "hello")
	if out, err := exec.Command("go", "build", "-o", bin, "../../../examples/hello").CombinedOutput(); err != nil {
		b.Fatalf("build hello: %v\n%s", err, out)
	}
	rt, err := runtime.NewProcess(runtime.ProcessOptions{StateDir: filepath.Join(dir, "rt")})
	if err != nil {
		b.Fatal(err)
	}
	defer rt.Close(context.Background())
	var m *pool.Manager
	m = pool.NewManager(rt, pool.Options{OnCold: func(k pool.RevisionKey) { m.Scale(k, 1) }})
	defer m.Close(context.Background())
	px := proxy.New(nil)
	defer px.Close()
	ing := New(m, px, nil)
	defer ing.Close()
	key := pool.RevisionKey{Namespace: "default", Name: "hello-00001"}
	m.Ensure(pool.Spec{Key: key, Configuration: "hello", Executable: bin, GracePeriod: -1})
	if _, err := ing.SetRoute(Route{Key: "default/hello", Hosts: []string{"hello.default.localhost"},
		Targets: []Target{{Revision: key, Percent: 100, Timeout: 30 * time.Second}}}); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(ing.Handler())
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: false}}

	var cold, base, over []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		// Wait until the revision is at zero again.
		m.Scale(key, 0)
		for {
			st, _ := m.Status(key)
			if len(st.Instances) == 0 {
				break
			}
			time.Sleep(time.Millisecond)
		}
		bl := execToListen(b, bin)
		b.StartTimer()
		req, _ := http.NewRequest("GET", srv.URL+"/", nil)
		req.Host = "hello.default.localhost"
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		ttfb := time.Since(start)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("cold request = %d", resp.StatusCode)
		}
		cold, base, over = append(cold, ttfb), append(base, bl), append(over, ttfb-bl)
	}
	b.StopTimer()
	b.ReportMetric(float64(pct(cold, 0.5).Microseconds()), "ttfb-p50-us")
	b.ReportMetric(float64(pct(base, 0.5).Microseconds()), "exec-listen-p50-us")
	b.ReportMetric(float64(pct(over, 0.5).Microseconds()), "overhead-p50-us")
	b.ReportMetric(float64(pct(over, 0.99).Microseconds()), "overhead-p99-us")
	if os.Getenv("SKIFF_BENCH_VERBOSE") != "" {
		fmt.Println("cold", cold, "base", base)
	}
}
