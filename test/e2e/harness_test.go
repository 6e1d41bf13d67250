package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binPath is the skiff binary built once for every test of the package.
var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func skiffBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "skiff-e2e-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "skiff")
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/skiff")
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// freePort returns a loopback address with a port free at the time of the call.
func freePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// server is one running `skiff server`.
type server struct {
	t        testing.TB
	bin      string
	dataDir  string
	apiAddr  string
	httpAddr string
	cmd      *exec.Cmd
	logs     *bytes.Buffer
	extra    []string
}

// startServer starts skiff on free ports with a fresh data dir.
func startServer(t *testing.T, extra ...string) *server {
	t.Helper()
	s := &server{t: t, bin: skiffBinary(t), dataDir: t.TempDir(), apiAddr: freePort(t), httpAddr: freePort(t), extra: extra}
	s.start()
	t.Cleanup(func() {
		if t.Failed() && s.logs != nil {
			lines := strings.Split(s.logs.String(), "\n")
			t.Logf("last lines of skiff's log:\n%s", strings.Join(lines[max(0, len(lines)-60):], "\n"))
		}
		s.stop()
	})
	return s
}

func (s *server) start() {
	s.t.Helper()
	args := append([]string{"server", "--data-dir", s.dataDir, "--api-addr", s.apiAddr, "--http-addr", s.httpAddr}, s.extra...)
	s.cmd = exec.Command(s.bin, args...)
	s.logs = &bytes.Buffer{}
	s.cmd.Stdout = s.logs
	s.cmd.Stderr = s.logs
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.waitReady()
}

func (s *server) waitReady() {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	insecure := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	for time.Now().Before(deadline) {
		// Only readiness is probed here; the CA is checked by every other call.
		resp, err := insecure.Get("https://" + s.apiAddr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if s.cmd.ProcessState != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Fatalf("skiff did not become ready; logs:\n%s", s.logs.String())
}

// stop sends SIGTERM and waits for a clean exit.
func (s *server) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			s.t.Errorf("skiff exited with %v after SIGTERM; logs:\n%s", err, s.logs.String())
		}
	case <-time.After(20 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-done
		s.t.Errorf("skiff did not stop within 20s of SIGTERM")
	}
	s.cmd = nil
}

// restart stops the server and starts it again on the same data dir.
func (s *server) restart() {
	s.t.Helper()
	s.stop()
	s.start()
}

func (s *server) kubeconfig() string { return filepath.Join(s.dataDir, "kubeconfig") }

// run runs a command with KUBECONFIG pointing at the server and a private
// HOME (so kubectl's discovery cache is the test's own).
func (s *server) run(ctx context.Context, stdin string, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+s.kubeconfig(), "HOME="+filepath.Join(s.dataDir, "home"))
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// runEnv runs a command like run, with extra environment variables.
func (s *server) runEnv(env []string, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(append(os.Environ(), "KUBECONFIG="+s.kubeconfig(), "HOME="+filepath.Join(s.dataDir, "home")), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// skiff runs the skiff CLI against the server.
func (s *server) skiff(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return s.run(ctx, stdin, s.bin, append([]string{"--data-dir", s.dataDir}, args...)...)
}

// checkFor polls f until it returns nil or timeout passes.
func checkFor(t *testing.T, timeout time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var err error
	for time.Now().Before(deadline) {
		if err = f(); err == nil {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("condition not met within %s: %v", timeout, err)
}

// api calls the API as an authenticated client, trusting the data dir's CA.
func (s *server) api(t testing.TB, method, path, contentType, body string) (int, []byte) {
	t.Helper()
	ca, err := os.ReadFile(filepath.Join(s.dataDir, "pki", "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	token, err := os.ReadFile(filepath.Join(s.dataDir, "token"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	req, err := http.NewRequest(method, "https://"+s.apiAddr+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}
