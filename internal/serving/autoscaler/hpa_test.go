package autoscaler

import (
	"fmt"
	"testing"
	"time"
)

func TestDecideHPA(t *testing.T) {
	hpa := func(kv ...string) map[string]string {
		m := map[string]string{group + "class": "hpa.autoscaling.knative.dev"}
		for i := 0; i+1 < len(kv); i += 2 {
			m[group+kv[i]] = kv[i+1]
		}
		return m
	}
	tenAt100 := make([]float64, 10)
	for i := range tenAt100 {
		tenAt100[i] = 100
	}
	tests := []struct {
		anns  map[string]string
		usage []float64
		ready int
		want  int
	}{
		// cpu, 700 millicores per instance by default.
		{hpa(), nil, 0, 1},
		{hpa(), []float64{0, 0}, 2, 1},
		{hpa(), []float64{0}, 1, 1},
		{hpa(), []float64{700}, 1, 1},
		{hpa(), []float64{900, 900}, 2, 3},
		{hpa(), tenAt100, 10, 5},                          // wants 2; down-rate 2 keeps 5 of 10
		{hpa("target", "250"), []float64{900, 900}, 2, 8}, // 1800 / 250 = 7.2
		{hpa("max-scale", "2"), []float64{5000}, 1, 2},
		{hpa("min-scale", "3"), nil, 0, 3},
		// memory, MiB.
		{hpa("metric", "memory"), []float64{100}, 1, 1},
		{hpa("metric", "memory", "target", "256"), []float64{300, 300}, 2, 3},
		{hpa("metric", "memory", "target", "256"), []float64{10, 10}, 2, 1},
	}
	for _, tc := range tests {
		rc := resolve(t, nil, tc.anns, 0)
		in := fmt.Sprintf("%s %v ready=%d %v", rc.Metric, tc.usage, tc.ready, tc.anns)
		d := DecideHPA(at(0), &State{}, tc.usage, rc, tc.ready)
		if d.Desired != tc.want {
			t.Errorf("DecideHPA(%s) = %d, want %d", in, d.Desired, tc.want)
		}
		if d.Desired < 1 {
			t.Errorf("DecideHPA(%s) = %d, want at least 1", in, d.Desired)
		}
	}
}

func TestDecideHPANeverZero(t *testing.T) {
	// Idle for an hour: the HPA class keeps one instance, whatever
	// enable-scale-to-zero says.
	rc := resolve(t, nil, map[string]string{group + "class": "hpa.autoscaling.knative.dev", group + "metric": "memory"}, 0)
	st, ready := &State{}, 4
	for now := time.Duration(0); now <= time.Hour; now += 2 * time.Second {
		usage := make([]float64, ready)
		d := DecideHPA(t0.Add(now), st, usage, rc, ready)
		if d.Desired < 1 {
			t.Fatalf("DecideHPA(t=%v ready=%d) = %d, want at least 1", now, ready, d.Desired)
		}
		ready = d.Desired
	}
	if ready != 1 {
		t.Errorf("DecideHPA() settled at %d, want 1", ready)
	}
}

func TestDecideHPAScaleDownDelay(t *testing.T) {
	rc := resolve(t, nil, map[string]string{group + "class": "hpa.autoscaling.knative.dev", group + "scale-down-delay": "30s"}, 0)
	st := &State{}
	if d := DecideHPA(at(0), st, []float64{1400, 1400}, rc, 2); d.Desired != 4 {
		t.Fatalf("DecideHPA(t=0) = %d, want 4", d.Desired)
	}
	if d := DecideHPA(at(10), st, []float64{0, 0, 0, 0}, rc, 4); d.Desired != 4 || d.Reason != ReasonScaleDownDelay || !d.RequeueAt.Equal(at(30)) {
		t.Errorf("DecideHPA(t=10s) = %v, want 4 held until 30s", d)
	}
	if d := DecideHPA(at(30), st, []float64{0, 0, 0, 0}, rc, 4); d.Desired != 2 {
		t.Errorf("DecideHPA(t=30s) = %d, want 2", d.Desired)
	}
}
