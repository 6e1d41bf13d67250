package pool

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/skiff-sh/skiff/internal/runtime"
)

var (
	helloOnce sync.Once
	helloBin  string
	helloErr  error
)

// hello builds examples/hello once.
func hello(t *testing.T) string {
	t.Helper()
	helloOnce.Do(func() {
		dir, err := os.MkdirTemp("", "pool-test")
		if err != nil {
			helloErr = err
			return
		}
		helloBin = filepath.Join(dir, "hello")
		out, err := exec.Command("go", "build", "-o", helloBin, "../../../examples/hello").CombinedOutput()
		if err != nil {
			helloErr = fmt.Errorf("build hello: %v\n%s", err, out)
		}
	})
	if helloErr != nil {
		t.Fatal(helloErr)
	}
	return helloBin
}

func newManager(t *testing.T) (*Manager, chan RevisionKey) {
	t.Helper()
	rt, err := runtime.NewProcess(runtime.ProcessOptions{StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	changes := make(chan RevisionKey, 1024)
	m := NewManager(rt, Options{LogDir: t.TempDir(), OnChange: func(k RevisionKey) {
		select {
		case changes <- k:
		default:
		}
	}})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		m.Close(ctx)
		_ = rt.Close(ctx)
	})
	return m, changes
}

func get(t *testing.T, m *Manager, key RevisionKey, timeout time.Duration) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	l, err := m.Acquire(ctx, key)
	if err != nil {
		return "", err
	}
	defer l.Release()
	resp, err := http.Get("http://" + l.Addr + "/")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// TestScaleDownAndUpAgain: a request to a revision that was drained to zero
// and is scaled up again waits for the new instance and succeeds.
func TestScaleDownAndUpAgain(t *testing.T) {
	m, _ := newManager(t)
	key := RevisionKey{Namespace: "default", Name: "hello-00001"}
	spec := Spec{Key: key, Configuration: "hello", Executable: hello(t), Env: []string{"TARGET=pool"}}
	m.Apply(spec, 1)
	if body, err := get(t, m, key, 10*time.Second); err != nil {
		t.Fatalf("first request: %v", err)
	} else if body != "Hello pool! (revision hello-00001)\n" {
		t.Fatalf("first request = %q", body)
	}
	m.Apply(spec, 0)
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, _ := m.Status(key)
		if len(st.Instances) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("instances not drained: %+v", st)
		}
		time.Sleep(10 * time.Millisecond)
	}
	done := make(chan error, 1)
	go func() {
		_, err := get(t, m, key, 10*time.Second)
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	m.Apply(spec, 1)
	if err := <-done; err != nil {
		t.Fatalf("request held across scale from zero: %v", err)
	}
}

// TestSampleIsExactAndColdHookFires: one request held 200 ms in a 400 ms
// sample is an average concurrency of 0.5; a request at zero pokes OnCold
// once.
func TestSampleIsExactAndColdHookFires(t *testing.T) {
	rt, err := runtime.NewProcess(runtime.ProcessOptions{StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(context.Background())
	var colds []RevisionKey
	var mu sync.Mutex
	var m *Manager
	m = NewManager(rt, Options{OnCold: func(k RevisionKey) {
		mu.Lock()
		colds = append(colds, k)
		mu.Unlock()
		m.Scale(k, 1)
	}})
	defer m.Close(context.Background())
	key := RevisionKey{Namespace: "default", Name: "cold"}
	m.Ensure(Spec{Key: key, Configuration: "cold", Executable: hello(t)})
	start := time.Now()
	m.Sample(key, start)
	// Two requests at zero: both wait, one poke starts one instance.
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := get(t, m, key, 10*time.Second); err != nil {
				t.Errorf("request at zero: %v", err)
			}
		}()
	}
	wg.Wait()
	mu.Lock()
	if len(colds) != 1 {
		t.Errorf("OnCold called %d times, want 1", len(colds))
	}
	mu.Unlock()

	m.Sample(key, time.Now())
	t0 := time.Now()
	ctx := context.Background()
	l, err := m.Acquire(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	l.Release()
	time.Sleep(200 * time.Millisecond)
	s, _ := m.Sample(key, time.Now())
	want := 200 * time.Millisecond
	got := time.Duration(s.Concurrency * float64(s.Interval))
	if s.Requests != 1 || got < want || got > want+50*time.Millisecond || s.Interval < time.Since(t0)-10*time.Millisecond {
		t.Errorf("Sample() = %+v (concurrency x interval = %v); want 1 request and about %v of request time", s, got, want)
	}
}
