package v1

import (
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/apis"
)

func TestValidateAutoscalingAnnotations(t *testing.T) {
	p := field.NewPath("metadata", "annotations")
	tests := []struct {
		name string
		cfg  func(*apis.Config)
		anns map[string]string
		want []string
	}{
		{name: "none"},
		{name: "kpa", anns: map[string]string{ClassAnnotationKey: KPA, MetricAnnotationKey: "rps"}},
		{name: "hpa cpu", anns: map[string]string{ClassAnnotationKey: HPA, MetricAnnotationKey: "cpu", TargetAnnotationKey: "80"}},
		{name: "hpa memory", anns: map[string]string{ClassAnnotationKey: HPA, MetricAnnotationKey: "memory"}},
		{name: "custom class", anns: map[string]string{ClassAnnotationKey: "example.com/autoscaler", MetricAnnotationKey: "anything"}},
		{name: "unknown knative class", anns: map[string]string{ClassAnnotationKey: "xpa.autoscaling.knative.dev"},
			want: []string{`metadata.annotations[autoscaling.knative.dev/class]: Unsupported value: "xpa.autoscaling.knative.dev"`}},
		{name: "kpa with cpu", anns: map[string]string{MetricAnnotationKey: "cpu"},
			want: []string{`metadata.annotations[autoscaling.knative.dev/metric]: Unsupported value: "cpu": supported values: "concurrency", "rps"`}},
		{name: "hpa without metric", anns: map[string]string{ClassAnnotationKey: HPA, MetricAnnotationKey: ""},
			want: []string{`autoscaling.knative.dev/metric]: Unsupported value: ""`}},

		{name: "min <= max", anns: map[string]string{MinScaleAnnotationKey: "2", MaxScaleAnnotationKey: "2"}},
		{name: "max 0 is unlimited", anns: map[string]string{MinScaleAnnotationKey: "5", MaxScaleAnnotationKey: "0"}},
		{name: "min > max", anns: map[string]string{MinScaleAnnotationKey: "3", MaxScaleAnnotationKey: "2"},
			want: []string{`[autoscaling.knative.dev/max-scale]: Invalid value: "2": max-scale=2 is less than min-scale=3`}},
		{name: "legacy keys", anns: map[string]string{"autoscaling.knative.dev/minScale": "3", "autoscaling.knative.dev/maxScale": "2"},
			want: []string{`[autoscaling.knative.dev/maxScale]: Invalid value: "2": max-scale=2 is less than min-scale=3`}},
		{name: "negative min", anns: map[string]string{MinScaleAnnotationKey: "-1"},
			want: []string{`[autoscaling.knative.dev/min-scale]: Invalid value: "-1": expected 0 <= -1 <= 2147483647`}},
		{name: "non-integer max", anns: map[string]string{MaxScaleAnnotationKey: "1.5"},
			want: []string{`[autoscaling.knative.dev/max-scale]: Invalid value: "1.5"`}},
		{name: "huge max", anns: map[string]string{MaxScaleAnnotationKey: "99999999999"},
			want: []string{`expected 0 <= 99999999999 <= 2147483647`}},
		{name: "max within limit", cfg: func(c *apis.Config) { c.MaxScaleLimit = 10 }, anns: map[string]string{MaxScaleAnnotationKey: "10"}},
		{name: "max above limit", cfg: func(c *apis.Config) { c.MaxScaleLimit = 10 }, anns: map[string]string{MaxScaleAnnotationKey: "11"},
			want: []string{"[autoscaling.knative.dev/max-scale]: Invalid value: 11: expected 1 <= 11 <= 10"}},
		{name: "unlimited max with a limit", cfg: func(c *apis.Config) { c.MaxScaleLimit = 10 }, anns: map[string]string{MaxScaleAnnotationKey: "0"},
			want: []string{"max-scale=0 (unlimited), must be less than 10"}},

		{name: "initial scale", anns: map[string]string{InitialScaleAnnotationKey: "3"}},
		{name: "initial scale zero", anns: map[string]string{InitialScaleAnnotationKey: "0"},
			want: []string{"initial-scale=0 not allowed by cluster"}},
		{name: "initial scale zero allowed", cfg: func(c *apis.Config) { c.AllowZeroInitialScale = true }, anns: map[string]string{InitialScaleAnnotationKey: "0"}},
		{name: "negative initial scale", anns: map[string]string{InitialScaleAnnotationKey: "-1"},
			want: []string{"initial-scale must be greater than 0"}},

		{name: "activation scale", anns: map[string]string{ActivationScaleAnnotationKey: "2"}},
		{name: "activation scale zero", anns: map[string]string{ActivationScaleAnnotationKey: "0"},
			want: []string{`[autoscaling.knative.dev/activation-scale]: Invalid value: "0": expected 1 <= 0 <= 2147483647`}},

		{name: "target", anns: map[string]string{TargetAnnotationKey: "0.01"}},
		{name: "target too small", anns: map[string]string{TargetAnnotationKey: "0.001"},
			want: []string{"target 0.001 should be at least 0.01"}},
		{name: "target not a number", anns: map[string]string{TargetAnnotationKey: "lots"},
			want: []string{`[autoscaling.knative.dev/target]: Invalid value: "lots"`}},
		{name: "utilization", anns: map[string]string{TargetUtilizationPercentageAnnotationKey: "100"}},
		{name: "utilization above 100", anns: map[string]string{TargetUtilizationPercentageAnnotationKey: "101"},
			want: []string{"expected 1 <= 101 <= 100"}},
		{name: "utilization below 1", anns: map[string]string{"autoscaling.knative.dev/targetUtilizationPercentage": "0.5"},
			want: []string{"[autoscaling.knative.dev/targetUtilizationPercentage]: Invalid value: \"0.5\": expected 1 <= 0.5 <= 100"}},
		{name: "burst capacity -1", anns: map[string]string{TargetBurstCapacityAnnotationKey: "-1"}},
		{name: "burst capacity -2", anns: map[string]string{TargetBurstCapacityAnnotationKey: "-2"},
			want: []string{"must be -1 or at least 0"}},

		{name: "window", anns: map[string]string{WindowAnnotationKey: "6s"}},
		{name: "window too short", anns: map[string]string{WindowAnnotationKey: "5s"},
			want: []string{`[autoscaling.knative.dev/window]: Invalid value: "5s": expected 6s <= 5s <= 1h0m0s`}},
		{name: "window too long", anns: map[string]string{WindowAnnotationKey: "61m"},
			want: []string{"expected 6s <= 61m <= 1h0m0s"}},
		{name: "window sub-second", anns: map[string]string{WindowAnnotationKey: "10.5s"},
			want: []string{"must be specified with at most second precision"}},
		{name: "window not a duration", anns: map[string]string{WindowAnnotationKey: "60"},
			want: []string{`[autoscaling.knative.dev/window]: Invalid value: "60": not a valid duration`}},
		{name: "panic window", anns: map[string]string{PanicWindowPercentageAnnotationKey: "100"}},
		{name: "panic window 0", anns: map[string]string{PanicWindowPercentageAnnotationKey: "0"},
			want: []string{"expected 1 <= 0 <= 100"}},
		{name: "panic threshold", anns: map[string]string{PanicThresholdPercentageAnnotationKey: "110"}},
		{name: "panic threshold 100", anns: map[string]string{PanicThresholdPercentageAnnotationKey: "100"},
			want: []string{"expected 110 <= 100 <= 1000"}},
		{name: "panic threshold 1001", anns: map[string]string{PanicThresholdPercentageAnnotationKey: "1001"},
			want: []string{"expected 110 <= 1001 <= 1000"}},
		{name: "scale down delay", anns: map[string]string{ScaleDownDelayAnnotationKey: "0s"}},
		{name: "scale down delay too long", anns: map[string]string{ScaleDownDelayAnnotationKey: "2h"},
			want: []string{"expected 0s <= 2h <= 1h0m0s"}},
		{name: "scale down delay negative", anns: map[string]string{ScaleDownDelayAnnotationKey: "-1s"},
			want: []string{"expected 0s <= -1s <= 1h0m0s"}},
		{name: "scale down delay sub-second", anns: map[string]string{ScaleDownDelayAnnotationKey: "1500ms"},
			want: []string{"must be specified with at most second precision"}},
		{name: "pod retention", anns: map[string]string{ScaleToZeroPodRetentionPeriodAnnotationKey: "1h"}},
		{name: "pod retention too long", anns: map[string]string{ScaleToZeroPodRetentionPeriodAnnotationKey: "1h1s"},
			want: []string{"expected 0s <= 1h1s <= 1h0m0s"}},
		{name: "aggregation algorithm", anns: map[string]string{ClassAnnotationKey: KPA, MetricAggregationAlgorithmAnnotationKey: "weightedExponential"}},
		{name: "bad aggregation algorithm", anns: map[string]string{ClassAnnotationKey: KPA, MetricAggregationAlgorithmAnnotationKey: "median"},
			want: []string{`Unsupported value: "median"`}},
		{name: "other annotations are ignored", anns: map[string]string{"example.com/x": "y"}},
	}
	for _, tc := range tests {
		cfg := apis.DefaultConfig()
		if tc.cfg != nil {
			tc.cfg(cfg)
		}
		checkErrs(t, tc.name, ValidateAutoscalingAnnotations(cfg, tc.anns, p), tc.want)
	}
}

func TestLookupAnnotation(t *testing.T) {
	anns := map[string]string{"autoscaling.knative.dev/minScale": "1", MaxScaleAnnotationKey: "2", "autoscaling.knative.dev/maxScale": "9"}
	if k, v, ok := LookupAnnotation(anns, MinScaleAnnotationKey); !ok || v != "1" || k != "autoscaling.knative.dev/minScale" {
		t.Errorf("LookupAnnotation(min-scale) = %q, %q, %v; want the legacy key", k, v, ok)
	}
	if k, v, ok := LookupAnnotation(anns, MaxScaleAnnotationKey); !ok || v != "2" || k != MaxScaleAnnotationKey {
		t.Errorf("LookupAnnotation(max-scale) = %q, %q, %v; want the current key first", k, v, ok)
	}
	if _, _, ok := LookupAnnotation(anns, WindowAnnotationKey); ok {
		t.Error("LookupAnnotation(window) found a missing key")
	}
}
