package e2e

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// BenchmarkServerStart measures `skiff server` from exec to the first 200 of
// /readyz, on a fresh data dir each time (budget: <= 300 ms), and the
// resident memory of the idle server with no resources (budget: <= 40 MB).
func BenchmarkServerStart(b *testing.B) {
	bin := skiffBinary(b)
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	var lat []time.Duration
	var rssKB int64
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		api := freePort(b)
		cmd := exec.Command(bin, "server", "--data-dir", dir, "--api-addr", api, "--http-addr", freePort(b), "--log-level", "warn")
		start := time.Now()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		for {
			resp, err := client.Get("https://" + api + "/readyz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					break
				}
			}
			if time.Since(start) > 30*time.Second {
				b.Fatal("not ready after 30s")
			}
			time.Sleep(time.Millisecond)
		}
		lat = append(lat, time.Since(start))
		if i == 0 {
			time.Sleep(3 * time.Second) // idle
			rssKB = vmRSS(cmd.Process.Pid)
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}
	b.ReportMetric(float64(percentile(lat, 0.5).Milliseconds()), "p50-ms")
	b.ReportMetric(float64(percentile(lat, 0.99).Milliseconds()), "max-ms")
	b.ReportMetric(float64(rssKB)/1024, "idle-rss-MB")
}

func vmRSS(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			n, _ := strconv.ParseInt(f[1], 10, 64)
			return n
		}
	}
	return -1
}

func percentile(d []time.Duration, p float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

// BenchmarkApplyToReady measures `kubectl apply -f` of a Service running an
// already built examples/hello until the API reports it Ready (budget:
// <= 1 s), on one server, a new Service per iteration.
func BenchmarkApplyToReady(b *testing.B) {
	if _, err := exec.LookPath("kubectl"); err != nil {
		b.Skip("kubectl is not installed")
	}
	s := &server{t: b, bin: skiffBinary(b), dataDir: b.TempDir(), apiAddr: freePort(b), httpAddr: freePort(b)}
	s.start()
	defer s.stop()
	hello := filepath.Join(b.TempDir(), "hello")
	out, err := exec.Command("go", "build", "-o", hello, "../../examples/hello").CombinedOutput()
	if err != nil {
		b.Fatalf("build hello: %v\n%s", err, out)
	}
	dir := b.TempDir()
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		name := fmt.Sprintf("bench-%d", i)
		p := filepath.Join(dir, name+".yaml")
		_ = os.WriteFile(p, []byte(fmt.Sprintf(helloYAML, "x")), 0o600)
		manifest, _ := os.ReadFile(p)
		_ = os.WriteFile(p, []byte(strings.Replace(strings.Replace(string(manifest), "name: hello", "name: "+name, 1), "/usr/bin/true", hello, 1)), 0o600)
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if out, err := s.run(ctx, "", "kubectl", "apply", "-f", p); err != nil {
			b.Fatalf("kubectl apply: %v\n%s", err, out)
		}
		cancel()
		for {
			code, body := s.api(b, "GET", "/apis/serving.knative.dev/v1/namespaces/default/services/"+name, "", "")
			var st ksvcStatus
			_ = json.Unmarshal(body, &st)
			if code == 200 && st.ready() {
				break
			}
			if time.Since(start) > 30*time.Second {
				b.Fatalf("%s not ready after 30s: %s", name, body)
			}
			time.Sleep(2 * time.Millisecond)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	b.ReportMetric(float64(percentile(lat, 0.5).Milliseconds()), "p50-ms")
	b.ReportMetric(float64(percentile(lat, 0.99).Milliseconds()), "max-ms")
}

// BenchmarkStepLoad steps a revision (containerConcurrency 10) from 1 to
// 100 concurrent clients and measures the time from the step until the
// autoscaler's desired count is ready (actual == desired at its peak).
// Budget: 2 s plus instance start time.
func BenchmarkStepLoad(b *testing.B) {
	cfg := filepath.Join(b.TempDir(), "config.yaml")
	if err := os.WriteFile(cfg, []byte(autoscalerConfig), 0o600); err != nil {
		b.Fatal(err)
	}
	s := &server{t: b, bin: skiffBinary(b), dataDir: b.TempDir(), apiAddr: freePort(b), httpAddr: freePort(b), extra: []string{"--config", cfg}}
	s.start()
	defer s.stop()
	app := testApp(b)
	var lat []time.Duration
	for i := 0; i < b.N; i++ {
		name := fmt.Sprintf("step-%d", i)
		manifest := strings.Replace(serviceYAML(name, app, "s", ""), "    spec:\n      containers:", "    spec:\n      containerConcurrency: 10\n      containers:", 1)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		if out, err := s.run(ctx, manifest, s.bin, "--data-dir", s.dataDir, "apply", "-f", "-"); err != nil {
			b.Fatalf("apply: %v\n%s", err, out)
		}
		cancel()
		host := name + ".default.localhost"
		stop := make(chan struct{})
		var wg sync.WaitGroup
		clients := func(n int) {
			for range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						select {
						case <-stop:
							return
						default:
						}
						_, _, _ = s.ingressGet(host, "/sleep?d=100ms")
					}
				}()
			}
		}
		clients(1)
		time.Sleep(3 * time.Second)
		step := time.Now()
		clients(99)
		var readyAt time.Duration
		peak := int32(0)
		for time.Since(step) < 20*time.Second {
			code, body := s.api(b, "GET", "/apis/autoscaling.internal.knative.dev/v1alpha1/namespaces/default/podautoscalers/"+name+"-00001", "", "")
			var pa paStatus
			_ = json.Unmarshal(body, &pa)
			if code == 200 && pa.Status.DesiredScale != nil && pa.Status.ActualScale != nil {
				d, a := *pa.Status.DesiredScale, *pa.Status.ActualScale
				if d > peak {
					peak, readyAt = d, 0
				}
				if d == peak && a >= d && d >= 10 && readyAt == 0 {
					readyAt = time.Since(step)
				}
			}
			if readyAt > 0 && time.Since(step) > readyAt+2*time.Second {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		close(stop)
		wg.Wait()
		if readyAt == 0 {
			b.Fatalf("desired count (peak %d) never ready within 20s", peak)
		}
		b.Logf("step %d: peak desired %d ready after %v", i, peak, readyAt)
		lat = append(lat, readyAt)
	}
	b.ReportMetric(float64(percentile(lat, 0.5).Milliseconds()), "ready-after-step-ms")
}
