package autoscaler

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const group = "autoscaling.knative.dev/"

func TestResolveRevisionDefaults(t *testing.T) {
	got, err := ResolveRevision(DefaultConfig(), nil, 0)
	if err != nil {
		t.Fatalf("ResolveRevision() = %v", err)
	}
	want := RevisionConfig{
		Class:                  "kpa.autoscaling.knative.dev",
		Metric:                 "concurrency",
		Aggregation:            "linear",
		Target:                 70,
		Total:                  100,
		TargetUtilization:      0.7,
		StableWindow:           time.Minute,
		PanicWindow:            6 * time.Second,
		PanicThreshold:         2,
		MaxScaleUpRate:         1000,
		MaxScaleDownRate:       2,
		InitialScale:           1,
		ActivationScale:        1,
		ScaleToZeroGracePeriod: 30 * time.Second,
		TargetBurstCapacity:    211,
		EnableScaleToZero:      true,
		Active:                 true,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ResolveRevision() (-want +got):\n%s", diff)
	}
}

func TestResolveRevisionTarget(t *testing.T) {
	tests := []struct {
		anns        map[string]string
		cc          int
		target      float64
		total       float64
		wantMetric  string
		description string
	}{
		{nil, 0, 70, 100, "concurrency", "default target x 70%"},
		{nil, 10, 7, 10, "concurrency", "containerConcurrency replaces the default"},
		{nil, 200, 140, 200, "concurrency", "even when larger"},
		{map[string]string{group + "target": "50"}, 10, 7, 10, "concurrency", "min(target, containerConcurrency)"},
		{map[string]string{group + "target": "5"}, 10, 3.5, 5, "concurrency", "target below containerConcurrency"},
		{map[string]string{group + "target": "50"}, 0, 35, 50, "concurrency", "target alone"},
		{map[string]string{group + "target-utilization-percentage": "50"}, 0, 50, 100, "concurrency", "utilization"},
		{map[string]string{group + "targetUtilizationPercentage": "100", group + "target": "10"}, 0, 10, 10, "concurrency", "camelCase utilization"},
		{map[string]string{group + "target": "0.01", group + "target-utilization-percentage": "50"}, 0, 0.01, 0.01, "concurrency", "floored at 0.01"},
		{map[string]string{group + "metric": "rps"}, 10, 140, 200, "rps", "rps default, containerConcurrency ignored"},
		{map[string]string{group + "metric": "rps", group + "target": "100"}, 10, 70, 100, "rps", "rps target"},
		{map[string]string{group + "class": "hpa.autoscaling.knative.dev"}, 0, 700, 1000, "cpu", "hpa cpu default"},
		{map[string]string{group + "class": "hpa.autoscaling.knative.dev", group + "target": "250"}, 0, 250, 1000, "cpu", "hpa cpu millicores"},
		{map[string]string{group + "class": "hpa.autoscaling.knative.dev", group + "metric": "memory"}, 0, 358.4, 512, "memory", "hpa memory default"},
		{map[string]string{group + "class": "hpa.autoscaling.knative.dev", group + "metric": "memory", group + "target": "1024"}, 0, 1024, 1024, "memory", "hpa memory MiB"},
	}
	for _, tc := range tests {
		rc, err := ResolveRevision(DefaultConfig(), tc.anns, tc.cc)
		if err != nil {
			t.Errorf("%s: ResolveRevision(%v, %d) = %v", tc.description, tc.anns, tc.cc, err)
			continue
		}
		if !near(rc.Target, tc.target) || !near(rc.Total, tc.total) || rc.Metric != tc.wantMetric {
			t.Errorf("%s: ResolveRevision(%v, %d) = target %v total %v metric %s, want %v, %v, %s",
				tc.description, tc.anns, tc.cc, rc.Target, rc.Total, rc.Metric, tc.target, tc.total, tc.wantMetric)
		}
	}
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }

func TestResolveRevisionAnnotations(t *testing.T) {
	tests := []struct {
		name string
		anns map[string]string
		want func(*RevisionConfig)
	}{{
		name: "kebab-case",
		anns: map[string]string{
			group + "min-scale":                          "2",
			group + "max-scale":                          "5",
			group + "initial-scale":                      "3",
			group + "activation-scale":                   "2",
			group + "target-burst-capacity":              "-1",
			group + "window":                             "2m",
			group + "panic-window-percentage":            "20",
			group + "panic-threshold-percentage":         "150",
			group + "scale-down-delay":                   "10s",
			group + "scale-to-zero-pod-retention-period": "1m",
			group + "metric-aggregation-algorithm":       "weighted-exponential",
		},
		want: func(rc *RevisionConfig) {
			rc.MinScale, rc.MaxScale, rc.InitialScale, rc.ActivationScale = 2, 5, 3, 2
			rc.TargetBurstCapacity = -1
			rc.StableWindow, rc.PanicWindow = 2*time.Minute, 24*time.Second
			rc.PanicThreshold = 1.5
			rc.ScaleDownDelay, rc.ScaleToZeroPodRetentionPeriod = 10*time.Second, time.Minute
			rc.Aggregation = "weightedExponential"
		},
	}, {
		name: "camelCase",
		anns: map[string]string{
			group + "minScale":                      "2",
			group + "maxScale":                      "5",
			group + "initialScale":                  "3",
			group + "targetBurstCapacity":           "0",
			group + "panicWindowPercentage":         "20",
			group + "panicThresholdPercentage":      "150",
			group + "scaleDownDelay":                "10s",
			group + "scaleToZeroPodRetentionPeriod": "1m",
			group + "metricAggregationAlgorithm":    "weightedExponential",
		},
		want: func(rc *RevisionConfig) {
			rc.MinScale, rc.MaxScale, rc.InitialScale = 2, 5, 3
			rc.TargetBurstCapacity = 0
			rc.PanicWindow = 12 * time.Second
			rc.PanicThreshold = 1.5
			rc.ScaleDownDelay, rc.ScaleToZeroPodRetentionPeriod = 10*time.Second, time.Minute
			rc.Aggregation = "weightedExponential"
		},
	}, {
		name: "kebab-case wins",
		anns: map[string]string{group + "min-scale": "4", group + "minScale": "2"},
		want: func(rc *RevisionConfig) { rc.MinScale = 4 },
	}, {
		name: "panic window rounds to seconds",
		anns: map[string]string{group + "window": "7s"},
		want: func(rc *RevisionConfig) { rc.StableWindow, rc.PanicWindow = 7*time.Second, time.Second },
	}, {
		name: "panic window at least a second",
		anns: map[string]string{group + "window": "6s", group + "panic-window-percentage": "1"},
		want: func(rc *RevisionConfig) { rc.StableWindow, rc.PanicWindow = 6*time.Second, time.Second },
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want, err := ResolveRevision(DefaultConfig(), nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			tc.want(&want)
			got, err := ResolveRevision(DefaultConfig(), tc.anns, 0)
			if err != nil {
				t.Fatalf("ResolveRevision(%v) = %v", tc.anns, err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ResolveRevision(%v) (-want +got):\n%s", tc.anns, diff)
			}
		})
	}
}

func TestResolveRevisionErrors(t *testing.T) {
	limited := DefaultConfig()
	limited.MaxScaleLimit, limited.MaxScale = 10, 5
	tests := []struct {
		cfg  *Config
		anns map[string]string
		want string
	}{
		{nil, map[string]string{group + "class": "foo.autoscaling.knative.dev"}, "invalid value: foo.autoscaling.knative.dev: autoscaling.knative.dev/class"},
		{nil, map[string]string{group + "metric": "cpu"}, "invalid value: cpu: autoscaling.knative.dev/metric"},
		{nil, map[string]string{group + "class": "hpa.autoscaling.knative.dev", group + "metric": "rps"}, "invalid value: rps: autoscaling.knative.dev/metric"},
		{nil, map[string]string{group + "metric-aggregation-algorithm": "median"}, "invalid value: median: autoscaling.knative.dev/metric-aggregation-algorithm"},
		{nil, map[string]string{group + "target": "0"}, "target 0 should be at least 0.01: autoscaling.knative.dev/target"},
		{nil, map[string]string{group + "target-utilization-percentage": "101"}, "expected 1 <= 101 <= 100: autoscaling.knative.dev/target-utilization-percentage"},
		{nil, map[string]string{group + "targetUtilizationPercentage": "x"}, "invalid value: x: autoscaling.knative.dev/targetUtilizationPercentage"},
		{nil, map[string]string{group + "window": "5s"}, "expected 6s <= 5s <= 1h0m0s: autoscaling.knative.dev/window"},
		{nil, map[string]string{group + "window": "6500ms"}, "must be specified with at most second precision: autoscaling.knative.dev/window"},
		{nil, map[string]string{group + "window": "later"}, "invalid value: later: autoscaling.knative.dev/window"},
		{nil, map[string]string{group + "panic-window-percentage": "0.5"}, "expected 1 <= 0.5 <= 100: autoscaling.knative.dev/panic-window-percentage"},
		{nil, map[string]string{group + "panicThresholdPercentage": "1001"}, "expected 110 <= 1001 <= 1000: autoscaling.knative.dev/panicThresholdPercentage"},
		{nil, map[string]string{group + "minScale": "-1"}, "expected 0 <= -1 <= 2147483647: autoscaling.knative.dev/minScale"},
		{nil, map[string]string{group + "max-scale": "many"}, "invalid value: many: autoscaling.knative.dev/max-scale"},
		{nil, map[string]string{group + "min-scale": "2", group + "max-scale": "1"},
			"max-scale=1 is less than min-scale=2: autoscaling.knative.dev/max-scale, autoscaling.knative.dev/min-scale"},
		{limited, map[string]string{group + "max-scale": "20"}, "expected 1 <= 20 <= 10: autoscaling.knative.dev/max-scale"},
		{limited, map[string]string{group + "max-scale": "0"}, "max-scale=0 (unlimited), must be less than 10: autoscaling.knative.dev/max-scale"},
		{nil, map[string]string{group + "initial-scale": "0"}, "invalid value: 0: autoscaling.knative.dev/initial-scale"},
		{nil, map[string]string{group + "activation-scale": "0"}, "expected 1 <= 0 <= 2147483647: autoscaling.knative.dev/activation-scale"},
		{nil, map[string]string{group + "scale-down-delay": "2h"}, "expected 0s <= 2h <= 1h0m0s: autoscaling.knative.dev/scale-down-delay"},
		{nil, map[string]string{group + "scaleDownDelay": "1.5s"}, "must be specified with at most second precision: autoscaling.knative.dev/scaleDownDelay"},
		{nil, map[string]string{group + "scale-to-zero-pod-retention-period": "-1s"}, "expected 0s <= -1s <= 1h0m0s: autoscaling.knative.dev/scale-to-zero-pod-retention-period"},
		{nil, map[string]string{group + "target-burst-capacity": "-2"}, "invalid value: -2: autoscaling.knative.dev/target-burst-capacity"},
		{nil, map[string]string{group + "window": "5s", group + "target": "0"},
			"target 0 should be at least 0.01: autoscaling.knative.dev/target\nexpected 6s <= 5s <= 1h0m0s: autoscaling.knative.dev/window"},
	}
	for _, tc := range tests {
		cfg := tc.cfg
		if cfg == nil {
			cfg = DefaultConfig()
		}
		_, err := ResolveRevision(cfg, tc.anns, 0)
		if err == nil {
			t.Errorf("ResolveRevision(%v) = nil, want %q", tc.anns, tc.want)
			continue
		}
		if err.Error() != tc.want {
			t.Errorf("ResolveRevision(%v) = %q, want %q", tc.anns, err, tc.want)
		}
		if !errors.Is(err, ErrInvalidAnnotation) {
			t.Errorf("ResolveRevision(%v) = %v, want an ErrInvalidAnnotation", tc.anns, err)
		}
	}
	// Initial scale 0 is fine when the cluster allows it.
	allow := DefaultConfig()
	allow.AllowZeroInitialScale = true
	if rc, err := ResolveRevision(allow, map[string]string{group + "initial-scale": "0"}, 0); err != nil || rc.InitialScale != 0 {
		t.Errorf("ResolveRevision(initial-scale 0, allowed) = %d, %v, want 0, nil", rc.InitialScale, err)
	}
}
