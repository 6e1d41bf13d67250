package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/websocket"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

var (
	appOnce sync.Once
	appPath string
	appErr  error
)

// testApp builds testdata/app once and returns its path.
func testApp(t testing.TB) string {
	t.Helper()
	appOnce.Do(func() {
		dir, err := os.MkdirTemp("", "skiff-e2e-app")
		if err != nil {
			appErr = err
			return
		}
		appPath = filepath.Join(dir, "app")
		_, file, _, _ := runtime.Caller(0)
		cmd := exec.Command("go", "build", "-o", appPath, "./testdata/app")
		cmd.Dir = filepath.Dir(file)
		if out, err := cmd.CombinedOutput(); err != nil {
			appErr = fmt.Errorf("build test app: %v\n%s", err, out)
		}
	})
	if appErr != nil {
		t.Fatal(appErr)
	}
	return appPath
}

// copyApp copies the test app to a path of its own, so that a test can find
// its processes by executable.
func copyApp(t *testing.T) string {
	t.Helper()
	src, err := os.ReadFile(testApp(t))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "app-"+strconv.Itoa(os.Getpid()))
	if err := os.WriteFile(p, src, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func serviceYAML(name, image, target string, extra string) string {
	return fmt.Sprintf(`apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: %s
%s
spec:
  template:
    spec:
      containers:
        - image: %s
          env:
            - name: TARGET
              value: %s
`, name, extra, image, target)
}

// ingressGet sends a GET to the ingress with the given Host.
func (s *server) ingressGet(host, path string) (int, string, error) {
	req, _ := http.NewRequest("GET", "http://"+s.httpAddr+path, nil)
	req.Host = host
	c := &http.Client{Timeout: 20 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

// ksvcStatus reads a Service's status.
type ksvcStatus struct {
	Metadata struct{ Generation int64 }
	Status   struct {
		ObservedGeneration                                 int64
		URL                                                string
		Address                                            struct{ URL string }
		LatestCreatedRevisionName, LatestReadyRevisionName string
		Traffic                                            []struct {
			RevisionName, Tag, URL string
			Percent                int
			LatestRevision         bool
		}
		Conditions []struct{ Type, Status, Reason, Message string }
	}
}

func (s *server) ksvc(t *testing.T, name string) ksvcStatus {
	t.Helper()
	code, body := s.api(t, "GET", "/apis/serving.knative.dev/v1/namespaces/default/services/"+name, "", "")
	if code != 200 {
		t.Fatalf("get ksvc %s = %d %s", name, code, body)
	}
	var st ksvcStatus
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

func (st ksvcStatus) ready() bool {
	for _, c := range st.Status.Conditions {
		if c.Type == "Ready" {
			return c.Status == "True" && st.Status.ObservedGeneration == st.Metadata.Generation
		}
	}
	return false
}

func (s *server) apply(t *testing.T, manifest string) {
	t.Helper()
	out, err := s.skiff(t, manifest, "apply", "-f", "-")
	if err != nil {
		t.Fatalf("skiff apply: %v\n%s", err, out)
	}
}

func (s *server) waitKsvcReady(t *testing.T, name string) ksvcStatus {
	t.Helper()
	var st ksvcStatus
	checkFor(t, 30*time.Second, func() error {
		st = s.ksvc(t, name)
		if !st.ready() {
			return fmt.Errorf("ksvc %s not ready: %+v", name, st.Status)
		}
		return nil
	})
	return st
}

// TestServing covers the Serving issue end to end with real processes.
func TestServing(t *testing.T) {
	s := startServer(t)
	app := copyApp(t)
	host := "hello.default.localhost"

	s.apply(t, serviceYAML("hello", app, "one", ""))
	st := s.waitKsvcReady(t, "hello")
	if want := "http://" + host + ":" + portOfAddr(s.httpAddr); st.Status.URL != want {
		t.Errorf("status.url = %q, want %q", st.Status.URL, want)
	}
	code, body, err := s.ingressGet(host, "/")
	if err != nil || code != 200 || !strings.HasPrefix(body, "hello-00001 one host="+host) {
		t.Fatalf("GET via ingress = %d %q %v", code, body, err)
	}
	if !strings.Contains(body, "xff=127.0.0.1") {
		t.Errorf("the app saw no X-Forwarded-For: %q", body)
	}
	// status.address.url is dialable without any Host header or DNS.
	resp, err := http.Get(st.Status.Address.URL)
	if err != nil {
		t.Fatalf("GET %s: %v", st.Status.Address.URL, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.HasPrefix(string(b), "hello-00001 one") {
		t.Errorf("GET address.url = %q", b)
	}
	if code, body, _ := s.ingressGet("nobody.default.localhost", "/"); code != 404 || len(body) > 100 {
		t.Errorf("unknown host = %d %q, want a short 404", code, body)
	}

	t.Run("new revision takes over", func(t *testing.T) {
		s.apply(t, serviceYAML("hello", app, "two", ""))
		checkFor(t, 30*time.Second, func() error {
			st := s.ksvc(t, "hello")
			if !st.ready() || st.Status.LatestReadyRevisionName != "hello-00002" {
				return fmt.Errorf("not yet: %+v", st.Status)
			}
			_, body, _ := s.ingressGet(host, "/")
			if !strings.HasPrefix(body, "hello-00002 two") {
				return fmt.Errorf("ingress answers %q", body)
			}
			return nil
		})
		// The old revision no longer takes traffic: drained and stopped.
		checkFor(t, 30*time.Second, func() error {
			code, body := s.api(t, "GET", "/apis/serving.knative.dev/v1/namespaces/default/revisions/hello-00001", "", "")
			if code != 200 || !strings.Contains(string(body), `"actualReplicas":0`) {
				return fmt.Errorf("hello-00001: %s", body)
			}
			return nil
		})
	})

	t.Run("split and tags", func(t *testing.T) {
		s.apply(t, serviceYAML("hello", app, "two", "")+`  traffic:
    - revisionName: hello-00001
      percent: 90
    - latestRevision: true
      percent: 10
      tag: candidate
`)
		checkFor(t, 30*time.Second, func() error {
			st := s.ksvc(t, "hello")
			if !st.ready() || len(st.Status.Traffic) != 2 {
				return fmt.Errorf("traffic not split yet: %+v", st.Status)
			}
			return nil
		})
		const n = 1000
		counts := map[string]int{}
		for range n {
			code, body, err := s.ingressGet(host, "/")
			if err != nil || code != 200 {
				if os.Getenv("SKIFF_E2E_DUMP") != "" {
					_ = s.cmd.Process.Signal(syscall.SIGQUIT)
					time.Sleep(2 * time.Second)
					os.WriteFile("/tmp/skiff-dump.txt", s.logs.Bytes(), 0o644)
				}
				t.Fatalf("GET = %d %v", code, err)
			}
			counts[strings.Fields(body)[0]]++
		}
		// Binomial(1000, 0.9): mean 900, standard deviation 9.5; five
		// deviations either way fail by chance about once in 3.5 million.
		if c := counts["hello-00001"]; c < 853 || c > 947 || counts["hello-00001"]+counts["hello-00002"] != n {
			t.Errorf("90/10 split over %d requests gave %v", n, counts)
		}
		st := s.ksvc(t, "hello")
		var tagURL string
		for _, tr := range st.Status.Traffic {
			if tr.Tag == "candidate" {
				tagURL = tr.URL
			}
		}
		if want := "http://candidate-hello.default.localhost:" + portOfAddr(s.httpAddr); tagURL != want {
			t.Fatalf("tag url = %q, want %q", tagURL, want)
		}
		for range 20 {
			_, body, _ := s.ingressGet("candidate-hello.default.localhost", "/")
			if !strings.HasPrefix(body, "hello-00002") {
				t.Fatalf("tag host answered %q, want hello-00002 always", body)
			}
		}
	})

	t.Run("rollout under load", func(t *testing.T) { testRolloutUnderLoad(t, s, app) })
	t.Run("cluster-local", func(t *testing.T) { testClusterLocal(t, s, app) })
	t.Run("websocket and streaming", func(t *testing.T) { testWebSocket(t, s, st.Status.Address.URL) })
	t.Run("grpc over h2c", func(t *testing.T) { testGRPC(t, s, app) })
	t.Run("killed instance restarts", func(t *testing.T) { testKilledInstance(t, s, app) })
	t.Run("bad executables", func(t *testing.T) { testBadExecutables(t, s) })
	t.Run("limits and timeouts", func(t *testing.T) { testLimits(t, s, app) })
	t.Run("host conflict", func(t *testing.T) { testHostConflict(t, s, app) })
}

func portOfAddr(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

func testRolloutUnderLoad(t *testing.T, s *server, app string) {
	host := "roll.default.localhost"
	ann := "  annotations:\n    serving.knative.dev/rollout-duration: \"3s\""
	s.apply(t, serviceYAML("roll", app, "v1", ann))
	s.waitKsvcReady(t, "roll")

	var ok, failed atomic.Int64
	seen := sync.Map{}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				code, body, err := s.ingressGet(host, "/")
				if err != nil || code != 200 {
					failed.Add(1)
					t.Logf("request failed during rollout: %d %v %q", code, err, body)
					continue
				}
				ok.Add(1)
				seen.Store(strings.Fields(body)[0], true)
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	s.apply(t, serviceYAML("roll", app, "v2", ann))
	rolling := false
	checkFor(t, 60*time.Second, func() error {
		st := s.ksvc(t, "roll")
		if len(st.Status.Traffic) == 2 {
			rolling = true
		}
		if len(st.Status.Traffic) != 1 || st.Status.Traffic[0].RevisionName != "roll-00002" || !st.ready() {
			return fmt.Errorf("rollout not finished: %+v", st.Status.Traffic)
		}
		return nil
	})
	time.Sleep(500 * time.Millisecond)
	cancel()
	wg.Wait()
	if failed.Load() != 0 {
		t.Errorf("%d of %d requests failed during the rollout", failed.Load(), failed.Load()+ok.Load())
	}
	_, v1 := seen.Load("roll-00001")
	_, v2 := seen.Load("roll-00002")
	if !v1 || !v2 || !rolling {
		t.Errorf("saw roll-00001 %v, roll-00002 %v, a split status %v; want all three", v1, v2, rolling)
	}
	t.Logf("rollout: %d requests, none failed", ok.Load())
}

func testClusterLocal(t *testing.T, s *server, app string) {
	s.apply(t, serviceYAML("private", app, "p", "  labels:\n    networking.knative.dev/visibility: cluster-local"))
	st := s.waitKsvcReady(t, "private")
	if code, _, _ := s.ingressGet("private.default.localhost", "/"); code != 404 {
		t.Errorf("cluster-local service on the external host = %d, want 404", code)
	}
	resp, err := http.Get(st.Status.Address.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.HasPrefix(string(b), "private-00001") {
		t.Errorf("cluster-local address answered %q", b)
	}
	if st.Status.URL != st.Status.Address.URL {
		t.Errorf("cluster-local status.url = %q, want the address %q", st.Status.URL, st.Status.Address.URL)
	}
}

func testWebSocket(t *testing.T, s *server, addrURL string) {
	u, _ := url.Parse(addrURL)
	ws, err := websocket.Dial("ws://"+u.Host+"/ws", "", "http://localhost/")
	if err != nil {
		t.Fatalf("websocket dial: %v", err)
	}
	defer ws.Close()
	for _, msg := range []string{"a", "bb", strings.Repeat("c", 70000)} {
		if err := websocket.Message.Send(ws, msg); err != nil {
			t.Fatal(err)
		}
		var got string
		if err := websocket.Message.Receive(ws, &got); err != nil {
			t.Fatal(err)
		}
		if got != "echo: "+msg {
			t.Errorf("echo of %d bytes = %d bytes", len(msg), len(got))
		}
	}
	// A streamed response arrives line by line, not at the end.
	resp, err := http.Get(addrURL + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	start := time.Now()
	buf := make([]byte, 64)
	n, _ := resp.Body.Read(buf)
	if first := time.Since(start); !strings.HasPrefix(string(buf[:n]), "line 0") || first > 300*time.Millisecond {
		t.Errorf("first streamed chunk %q after %v; want line 0 at once (the whole stream takes 500ms)", buf[:n], first)
	}
}

func testGRPC(t *testing.T, s *server, app string) {
	s.apply(t, `apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: grpc
spec:
  template:
    spec:
      containers:
        - image: `+app+`
          ports:
            - name: h2c
              containerPort: 8080
          env:
            - name: MODE
              value: grpc
`)
	st := s.waitKsvcReady(t, "grpc")
	for _, target := range []struct{ name, addr, authority string }{
		{"address", strings.TrimPrefix(st.Status.Address.URL, "http://"), ""},
		{"ingress", s.httpAddr, "grpc.default.localhost"},
	} {
		opts := []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
		if target.authority != "" {
			opts = append(opts, grpc.WithAuthority(target.authority))
		}
		conn, err := grpc.NewClient(target.addr, opts...)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
		cancel()
		conn.Close()
		if err != nil || resp.Status != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("gRPC health check through the %s = %v, %v; want SERVING", target.name, resp, err)
		}
	}
}

// pidsOf lists the processes running executable.
func pidsOf(executable string) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if exe, err := os.Readlink("/proc/" + e.Name() + "/exe"); err == nil && exe == executable {
			pids = append(pids, pid)
		}
	}
	return pids
}

func testKilledInstance(t *testing.T, s *server, _ string) {
	app := copyApp(t) // a path of its own, to find the process
	s.apply(t, serviceYAML("victim", app, "v", ""))
	s.waitKsvcReady(t, "victim")
	pids := pidsOf(app)
	if len(pids) != 1 {
		t.Fatalf("processes of the victim's executable: %v, want one", pids)
	}
	if err := syscall.Kill(pids[0], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	checkFor(t, 30*time.Second, func() error {
		code, body := s.api(t, "GET", "/apis/serving.knative.dev/v1/namespaces/default/revisions/victim-00001", "", "")
		if code != 200 || !strings.Contains(string(body), `"skiff.dev/restarts":"1"`) {
			return fmt.Errorf("revision does not show the restart: %s", body)
		}
		now := pidsOf(app)
		if len(now) != 1 || now[0] == pids[0] {
			return fmt.Errorf("processes now %v (killed %d)", now, pids[0])
		}
		if code, body, _ := s.ingressGet("victim.default.localhost", "/"); code != 200 {
			return fmt.Errorf("GET after restart = %d %q", code, body)
		}
		return nil
	})
}

func testBadExecutables(t *testing.T, s *server) {
	notExec := filepath.Join(t.TempDir(), "plain.txt")
	_ = os.WriteFile(notExec, []byte("x"), 0o644)
	tests := []struct {
		name, image, reason, message string
	}{
		{"missing", "/nonexistent/bin/app", "ContainerMissing", "executable /nonexistent/bin/app not found"},
		{"notexec", notExec, "ContainerMissing", "is not executable"},
		{"oci", "docker.io/library/nginx:latest", "NoContainerRuntime", "OCI reference"},
		{"exits", "/bin/false", "ExitCode1", "exit"},
	}
	for _, tt := range tests {
		s.apply(t, serviceYAML(tt.name, tt.image, "x", ""))
	}
	for _, tt := range tests {
		checkFor(t, 30*time.Second, func() error {
			code, body := s.api(t, "GET", "/apis/serving.knative.dev/v1/namespaces/default/revisions/"+tt.name+"-00001", "", "")
			if code != 200 {
				return fmt.Errorf("%s: %d", tt.name, code)
			}
			var rev ksvcStatus
			_ = json.Unmarshal(body, &rev)
			for _, c := range rev.Status.Conditions {
				if c.Type == "ContainerHealthy" && c.Status == "False" && c.Reason == tt.reason && strings.Contains(c.Message, tt.message) {
					return nil
				}
			}
			return fmt.Errorf("%s: conditions %+v; want ContainerHealthy False %s", tt.name, rev.Status.Conditions, tt.reason)
		})
	}
	// Everything else still serves.
	if code, _, _ := s.ingressGet("hello.default.localhost", "/"); code != 200 {
		t.Errorf("hello after the bad services = %d", code)
	}
}

func testLimits(t *testing.T, s *server, app string) {
	s.apply(t, `apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: limited
spec:
  template:
    spec:
      containerConcurrency: 1
      timeoutSeconds: 2
      containers:
        - image: `+app+`
`)
	s.waitKsvcReady(t, "limited")
	host := "limited.default.localhost"
	// Five at once against a limit of one: all succeed, one at a time.
	var wg sync.WaitGroup
	errs := make(chan string, 5)
	start := time.Now()
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if code, body, err := s.ingressGet(host, "/sleep?d=200ms"); err != nil || code != 200 {
				errs <- fmt.Sprintf("%d %v %q", code, err, body)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("request under containerConcurrency 1 failed: %s", e)
	}
	if el := time.Since(start); el < time.Second {
		t.Errorf("five 200ms requests took %v under containerConcurrency 1; want >= 1s (serialized)", el)
	}
	if _, body, _ := s.ingressGet(host, "/peak"); strings.TrimSpace(body) != "1" {
		t.Errorf("the instance saw %q requests at once, want 1", body)
	}
	// timeoutSeconds: 2 against a 4 s response.
	if code, _, _ := s.ingressGet(host, "/sleep?d=4s"); code != http.StatusGatewayTimeout {
		t.Errorf("a request past timeoutSeconds = %d, want 504", code)
	}
	// Huge headers get 431; skiff keeps serving.
	req, _ := http.NewRequest("GET", "http://"+s.httpAddr+"/", nil)
	req.Host = host
	req.Header.Set("X-Big", strings.Repeat("a", 100<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("100 KiB header = %d, want 431", resp.StatusCode)
	}
	// A client that hangs up mid-request does not disturb the next one.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	hreq, _ := http.NewRequestWithContext(ctx, "GET", "http://"+s.httpAddr+"/sleep?d=1s", nil)
	hreq.Host = host
	_, _ = http.DefaultClient.Do(hreq)
	cancel()
	if code, _, err := s.ingressGet(host, "/"); code != 200 {
		t.Errorf("after a client hung up: %d %v", code, err)
	}
}

// testHostConflict: a service whose host is already a tag host of another
// route cannot take it; its route says why and the first keeps serving.
func testHostConflict(t *testing.T, s *server, app string) {
	// hello has the tag "candidate": candidate-hello.default.localhost.
	s.apply(t, serviceYAML("candidate-hello", app, "thief", ""))
	checkFor(t, 30*time.Second, func() error {
		code, body := s.api(t, "GET", "/apis/serving.knative.dev/v1/namespaces/default/routes/candidate-hello", "", "")
		if code != 200 || !strings.Contains(string(body), "already claimed") {
			return fmt.Errorf("route: %d %s", code, body)
		}
		return nil
	})
	if _, body, _ := s.ingressGet("candidate-hello.default.localhost", "/"); !strings.HasPrefix(body, "hello-00002") {
		t.Errorf("the tag host now answers %q; want hello-00002 still", body)
	}
}
