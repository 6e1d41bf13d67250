package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// autoscalerConfig shortens Knative's windows so that the test runs in
// seconds: a 6 s stable window (Knative's minimum) and a 1 s grace period.
const autoscalerConfig = `config-autoscaler:
  stable-window: 6s
  scale-to-zero-grace-period: 1s
`

type paStatus struct {
	Status struct {
		DesiredScale, ActualScale *int32
		Annotations               map[string]string
	}
}

func (s *server) podAutoscaler(t *testing.T, name string) paStatus {
	t.Helper()
	code, body := s.api(t, "GET", "/apis/autoscaling.internal.knative.dev/v1alpha1/namespaces/default/podautoscalers/"+name, "", "")
	if code != 200 {
		t.Fatalf("get kpa %s = %d %s", name, code, body)
	}
	var pa paStatus
	_ = json.Unmarshal(body, &pa)
	return pa
}

func (s *server) revisionReplicas(t *testing.T, name string) (actual, desired int) {
	t.Helper()
	code, body := s.api(t, "GET", "/apis/serving.knative.dev/v1/namespaces/default/revisions/"+name, "", "")
	if code != 200 {
		t.Fatalf("get revision %s = %d %s", name, code, body)
	}
	var rev struct {
		Status struct{ ActualReplicas, DesiredReplicas int }
	}
	_ = json.Unmarshal(body, &rev)
	return rev.Status.ActualReplicas, rev.Status.DesiredReplicas
}

// TestAutoscaling covers scale to zero and back with requests held, a burst
// at zero, min-scale, and scaling under a changing load with no failures.
func TestAutoscaling(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfg, []byte(autoscalerConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, "--config", cfg)
	app := copyApp(t)

	t.Run("idle to zero and back", func(t *testing.T) {
		s.apply(t, serviceYAML("idle", app, "z", ""))
		s.waitKsvcReady(t, "idle")
		checkFor(t, 30*time.Second, func() error {
			if a, d := s.revisionReplicas(t, "idle-00001"); a != 0 || d != 0 {
				return fmt.Errorf("replicas actual %d desired %d; want 0 after idling", a, d)
			}
			return nil
		})
		if len(pidsOf(app)) != 0 {
			t.Errorf("processes still running at zero: %v", pidsOf(app))
		}
		st := s.ksvc(t, "idle")
		if !st.ready() {
			t.Errorf("a service at zero must stay Ready: %+v", st.Status.Conditions)
		}
		code, body, err := s.ingressGet("idle.default.localhost", "/")
		if err != nil || code != 200 || !strings.HasPrefix(body, "idle-00001") {
			t.Fatalf("request to a revision at zero = %d %q %v; want it held and served", code, body, err)
		}
	})

	t.Run("burst at zero", func(t *testing.T) {
		s.apply(t, strings.Replace(serviceYAML("burst", app, "b", ""), "    spec:\n      containers:", "    spec:\n      containerConcurrency: 10\n      containers:", 1))
		s.waitKsvcReady(t, "burst")
		checkFor(t, 30*time.Second, func() error {
			if a, _ := s.revisionReplicas(t, "burst-00001"); a != 0 {
				return fmt.Errorf("actual %d, want 0 before the burst", a)
			}
			return nil
		})
		var wg sync.WaitGroup
		var failed atomic.Int64
		for range 100 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if code, body, err := s.ingressGet("burst.default.localhost", "/sleep?d=1s"); err != nil || code != 200 {
					failed.Add(1)
					t.Logf("burst request: %d %v %q", code, err, body)
				}
			}()
		}
		wg.Wait()
		if failed.Load() > 0 {
			t.Errorf("%d of 100 requests at zero failed", failed.Load())
		}
		// 100 in flight over a target of 10 x 70% = 7 per instance: the
		// autoscaler asks for ceil(100/7) = 15 (capped by what it saw).
		pa := s.podAutoscaler(t, "burst-00001")
		if pa.Status.DesiredScale == nil || *pa.Status.DesiredScale < 5 {
			t.Errorf("desired scale after a burst of 100 = %v, want the revision to grow (about 15)", pa.Status.DesiredScale)
		}
		t.Logf("after the burst: desired %v, actual %v, mode %s", *pa.Status.DesiredScale, *pa.Status.ActualScale, pa.Status.Annotations["autoscaling.skiff.dev/mode"])
	})

	t.Run("min-scale keeps instances", func(t *testing.T) {
		s.apply(t, strings.Replace(serviceYAML("kept", app, "k", ""), "  template:\n", "  template:\n    metadata:\n      annotations:\n        autoscaling.knative.dev/min-scale: \"2\"\n", 1))
		s.waitKsvcReady(t, "kept")
		checkFor(t, 20*time.Second, func() error {
			if a, _ := s.revisionReplicas(t, "kept-00001"); a != 2 {
				return fmt.Errorf("actual %d, want 2", a)
			}
			return nil
		})
		time.Sleep(10 * time.Second) // idle longer than window + grace
		if a, d := s.revisionReplicas(t, "kept-00001"); a != 2 || d != 2 {
			t.Errorf("after idling: actual %d desired %d, want 2 and 2 (min-scale)", a, d)
		}
	})

	t.Run("step load up and down without failures", func(t *testing.T) {
		s.apply(t, strings.Replace(serviceYAML("step", app, "s", ""), "    spec:\n      containers:", "    spec:\n      containerConcurrency: 4\n      containers:", 1))
		s.waitKsvcReady(t, "step")
		var ok, failed atomic.Int64
		load := func(clients int, d time.Duration) {
			var wg sync.WaitGroup
			deadline := time.Now().Add(d)
			for range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for time.Now().Before(deadline) {
						code, _, err := s.ingressGet("step.default.localhost", "/sleep?d=50ms")
						if err != nil || code != 200 {
							failed.Add(1)
							continue
						}
						ok.Add(1)
					}
				}()
			}
			wg.Wait()
		}
		load(1, 2*time.Second)
		load(40, 5*time.Second) // step up
		up, _ := s.revisionReplicas(t, "step-00001")
		load(2, 14*time.Second) // step down, still under load
		down, _ := s.revisionReplicas(t, "step-00001")
		if failed.Load() != 0 {
			t.Errorf("%d of %d requests failed across the steps", failed.Load(), failed.Load()+ok.Load())
		}
		if up < 3 || down >= up {
			t.Errorf("instances: %d at 40 clients, %d after stepping down to 2; want growth then a drained scale-down", up, down)
		}
		t.Logf("step: %d requests, %d instances at 40 clients, %d after the step down", ok.Load(), up, down)
	})

	t.Run("hpa class never scales to zero", func(t *testing.T) {
		s.apply(t, strings.Replace(serviceYAML("hpa", app, "h", ""), "  template:\n", "  template:\n    metadata:\n      annotations:\n        autoscaling.knative.dev/class: hpa.autoscaling.knative.dev\n        autoscaling.knative.dev/metric: cpu\n", 1))
		s.waitKsvcReady(t, "hpa")
		time.Sleep(10 * time.Second) // longer than window + grace
		pa := s.podAutoscaler(t, "hpa-00001")
		if pa.Status.Annotations["autoscaling.skiff.dev/mode"] != "hpa" || pa.Status.DesiredScale == nil || *pa.Status.DesiredScale < 1 {
			t.Errorf("hpa revision after idling: mode %q desired %v; want hpa and at least 1", pa.Status.Annotations["autoscaling.skiff.dev/mode"], pa.Status.DesiredScale)
		}
		if a, _ := s.revisionReplicas(t, "hpa-00001"); a < 1 {
			t.Errorf("hpa revision has %d instances after idling, want at least 1", a)
		}
	})

	t.Run("kubectl get kpa", func(t *testing.T) {
		k := kubectlRunner{t: t, s: s}
		if _, err := os.Stat("/usr/bin/kubectl"); err != nil {
			t.Skip("kubectl is not installed")
		}
		containsAll(t, "kubectl get kpa", k.must("get", "kpa"), "DESIREDSCALE", "ACTUALSCALE", "MODE", "READY", "kept-00001")
		k.mustFail("read-only", "delete", "kpa", "kept-00001")
	})
}
