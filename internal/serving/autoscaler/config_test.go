package autoscaler

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseConfig(t *testing.T) {
	withDefaults := func(f func(*Config)) *Config {
		c := DefaultConfig()
		f(c)
		return c
	}
	tests := []struct {
		name string
		data map[string]string
		want *Config
	}{{
		name: "defaults",
		data: nil,
		want: DefaultConfig(),
	}, {
		name: "percentage as percent",
		data: map[string]string{"container-concurrency-target-percentage": "55"},
		want: withDefaults(func(c *Config) { c.ContainerConcurrencyTargetFraction = 0.55 }),
	}, {
		name: "percentage as fraction",
		data: map[string]string{"container-concurrency-target-percentage": "0.5"},
		want: withDefaults(func(c *Config) { c.ContainerConcurrencyTargetFraction = 0.5 }),
	}, {
		name: "toggles in odd casing",
		data: map[string]string{"enable-scale-to-zero": "FALSE", "allow-zero-initial-scale": "True", "initial-scale": "0"},
		want: withDefaults(func(c *Config) {
			c.EnableScaleToZero, c.AllowZeroInitialScale, c.InitialScale = false, true, 0
		}),
	}, {
		name: "everything",
		data: map[string]string{
			"target-burst-capacity":                "-1",
			"stable-window":                        "5m",
			"panic-window-percentage":              "5",
			"panic-threshold-percentage":           "150",
			"max-scale-up-rate":                    "1.5",
			"max-scale-down-rate":                  "3",
			"scale-to-zero-grace-period":           "45s",
			"scale-to-zero-pod-retention-period":   "2m",
			"scale-down-delay":                     "15s",
			"requests-per-second-target-default":   "10.5",
			"container-concurrency-target-default": "25",
			"activator-capacity":                   "200",
			"min-scale":                            "1",
			"max-scale":                            "8",
			"max-scale-limit":                      "10",
			"activation-scale":                     "2",
			"pod-autoscaler-class":                 "hpa.autoscaling.knative.dev",
		},
		want: withDefaults(func(c *Config) {
			c.TargetBurstCapacity = -1
			c.StableWindow = 5 * time.Minute
			c.PanicWindowPercentage = 5
			c.PanicThresholdPercentage = 150
			c.MaxScaleUpRate, c.MaxScaleDownRate = 1.5, 3
			c.ScaleToZeroGracePeriod = 45 * time.Second
			c.ScaleToZeroPodRetentionPeriod = 2 * time.Minute
			c.ScaleDownDelay = 15 * time.Second
			c.RPSTargetDefault = 10.5
			c.ContainerConcurrencyTargetDefault = 25
			c.ActivatorCapacity = 200
			c.MinScale, c.MaxScale, c.MaxScaleLimit = 1, 8, 10
			c.ActivationScale = 2
			c.PodAutoscalerClass = "hpa.autoscaling.knative.dev"
		}),
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseConfig(tc.data)
			if err != nil {
				t.Fatalf("ParseConfig(%v) = %v", tc.data, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseConfig(%v) (-want +got):\n%s", tc.data, diff)
			}
		})
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		data map[string]string
		want string
	}{
		{map[string]string{"max-scale-up-rate": "x"}, `failed to parse data: failed to parse "max-scale-up-rate": strconv.ParseFloat: parsing "x": invalid syntax`},
		{map[string]string{"stable-window": "soon"}, `failed to parse data: failed to parse "stable-window": time: invalid duration "soon"`},
		{map[string]string{"enable-scale-to-zero": "maybe"}, `failed to parse data: failed to parse "enable-scale-to-zero": strconv.ParseBool: parsing "maybe": invalid syntax`},
		{map[string]string{"scale-to-zero-grace-period": "0s"}, "scale-to-zero-grace-period must be positive, was: 0s"},
		{map[string]string{"scale-down-delay": "-1s"}, "scale-down-delay cannot be negative, was: -1s"},
		{map[string]string{"scale-down-delay": "1500ms"}, "scale-down-delay = 1.5s, must be specified with at most second precision"},
		{map[string]string{"scale-to-zero-pod-retention-period": "-1s"}, "scale-to-zero-pod-retention-period cannot be negative, was: -1s"},
		{map[string]string{"target-burst-capacity": "-11"}, "target-burst-capacity must be either non-negative or -1 (for unlimited), was: -11.000000"},
		{map[string]string{"container-concurrency-target-percentage": "142.4"}, "container-concurrency-target-percentage = 1.424000 is outside of valid range of (0, 100]"},
		{map[string]string{"container-concurrency-target-percentage": "-42"}, "container-concurrency-target-percentage = -42.000000 is outside of valid range of (0, 100]"},
		{map[string]string{"container-concurrency-target-percentage": "50", "container-concurrency-target-default": "0.01"},
			"container-concurrency-target-percentage and container-concurrency-target-default yield target concurrency of 0.005, can't be less than 0.01"},
		{map[string]string{"requests-per-second-target-default": "0.001"}, "requests-per-second-target-default must be at least 0.01, was: 0.001"},
		{map[string]string{"activator-capacity": "0.5"}, "activator-capacity = 0.5, must be at least 1"},
		{map[string]string{"max-scale-up-rate": "1"}, "max-scale-up-rate = 1, must be greater than 1.0"},
		{map[string]string{"max-scale-down-rate": "-55"}, "max-scale-down-rate = -55, must be greater than 1.0"},
		{map[string]string{"stable-window": "5s"}, "stable-window = 5s, must be in [6s; 1h0m0s] range"},
		{map[string]string{"stable-window": "2h"}, "stable-window = 2h0m0s, must be in [6s; 1h0m0s] range"},
		{map[string]string{"stable-window": "61984ms"}, "stable-window = 1m1.984s, must be specified with at most second precision"},
		{map[string]string{"panic-window-percentage": "0.5"}, "panic-window-percentage = 0.5, must be in [1, 100] interval"},
		{map[string]string{"panic-window-percentage": "110"}, "panic-window-percentage = 110, must be in [1, 100] interval"},
		{map[string]string{"initial-scale": "0"}, "initial-scale = 0, must be at least 0 (or at least 1 when allow-zero-initial-scale is false)"},
		{map[string]string{"initial-scale": "-1", "allow-zero-initial-scale": "true"}, "initial-scale = -1, must be at least 0 (or at least 1 when allow-zero-initial-scale is false)"},
		{map[string]string{"max-scale-limit": "10"}, "max-scale = 0, must be in [1, max-scale-limit(10)] range"},
		{map[string]string{"max-scale-limit": "10", "max-scale": "11"}, "max-scale = 11, must be in [1, max-scale-limit(10)] range"},
		{map[string]string{"max-scale": "-1"}, "max-scale = -1, must be in [0, max-scale-limit(0)] range"},
		{map[string]string{"max-scale-limit": "-1"}, "max-scale-limit = -1, must be at least 0"},
		{map[string]string{"min-scale": "3", "max-scale": "2"}, "min-scale = 3, must be in [0, max-scale(2)] range"},
		{map[string]string{"activation-scale": "0"}, "activation-scale = 0, must be at least 1"},
		{map[string]string{"panic-threshold-percentage": "100"}, "panic-threshold-percentage = 100, must be in [110, 1000] interval"},
		{map[string]string{"pod-autoscaler-class": "custom.example.com"},
			`pod-autoscaler-class = "custom.example.com", must be "kpa.autoscaling.knative.dev" or "hpa.autoscaling.knative.dev"`},
	}
	for _, tc := range tests {
		_, err := ParseConfig(tc.data)
		if err == nil {
			t.Errorf("ParseConfig(%v) = nil, want %q", tc.data, tc.want)
			continue
		}
		if err.Error() != tc.want {
			t.Errorf("ParseConfig(%v) = %q, want %q", tc.data, err, tc.want)
		}
		if !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("ParseConfig(%v) = %v, want an ErrInvalidConfig", tc.data, err)
		}
	}
}
