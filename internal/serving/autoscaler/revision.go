package autoscaler

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	servingv1 "github.com/skiff-sh/skiff/internal/apis/serving/v1"
)

// Nominal per-instance resources of the HPA class. Knative's HPA target for
// cpu is a utilization percentage of the container's CPU request; skiff's
// processes have no requests, so the HPA class measures absolute usage per
// instance against an absolute target: millicores for cpu, MiB for memory.
// Without a target annotation the target is the nominal request below times
// the target utilization (70% by default: 700m, 358.4 MiB); a target
// annotation is taken as the absolute value itself (e.g. "250" for cpu is
// 250 millicores per instance) and utilization does not apply to it, as
// Knative treats a memory target.
const (
	// NominalCPUMillis is the notional CPU request of one instance: one core.
	NominalCPUMillis = 1000
	// NominalMemoryMiB is the notional memory request of one instance.
	NominalMemoryMiB = 512
)

// RevisionConfig is what Decide needs to know about one revision: Knative's
// DeciderSpec with the revision's scale bounds, resolved by ResolveRevision
// from its annotations over Config.
type RevisionConfig struct {
	// Class is kpa.autoscaling.knative.dev or hpa.autoscaling.knative.dev.
	Class string
	// Metric is concurrency or rps (KPA), cpu or memory (HPA).
	Metric string
	// Aggregation is the window averaging of the KPA:
	// servingv1.MetricAggregationAlgorithmLinear (the default) or
	// servingv1.MetricAggregationAlgorithmWeightedExponential.
	Aggregation string
	// Target is the per-instance value of Metric the autoscaler aims at,
	// after utilization, at least 0.01.
	Target float64
	// Total is the per-instance value before utilization (Knative's
	// TotalValue); the burst capacity is computed from it.
	Total float64
	// TargetUtilization is the fraction of Total that Target is (1 when an
	// HPA target is absolute).
	TargetUtilization float64
	// ContainerConcurrency is the revision's hard limit (0: none).
	ContainerConcurrency int
	// StableWindow is the averaging window of stable mode.
	StableWindow time.Duration
	// PanicWindow is the averaging window of panic mode, a percentage of
	// StableWindow rounded to whole seconds, at least one second.
	PanicWindow time.Duration
	// PanicThreshold is the ratio of panic desired to ready instances at
	// which panic mode starts (2 for 200%).
	PanicThreshold float64
	// MaxScaleUpRate bounds a decision to ceil(ready x rate).
	MaxScaleUpRate float64
	// MaxScaleDownRate bounds a decision to floor(ready / rate) while the
	// revision is Active.
	MaxScaleDownRate float64
	// MinScale is the lower bound while Active.
	MinScale int
	// MaxScale is the upper bound (0: none).
	MaxScale int
	// InitialScale is the lower bound until the revision has first had
	// that many instances ready (applied only when above 1, as Knative).
	InitialScale int
	// ActivationScale is the least non-zero decision.
	ActivationScale int
	// ScaleDownDelay holds every decision for this long as a floor.
	ScaleDownDelay time.Duration
	// ScaleToZeroGracePeriod is how long the last instance stays after the
	// revision has gone idle.
	ScaleToZeroGracePeriod time.Duration
	// ScaleToZeroPodRetentionPeriod is the least time the last instance
	// stays after the revision has gone idle.
	ScaleToZeroPodRetentionPeriod time.Duration
	// TargetBurstCapacity is the headroom, in units of Metric, below which
	// requests are buffered (-1: always; 0: only at zero).
	TargetBurstCapacity float64
	// EnableScaleToZero is config-autoscaler's enable-scale-to-zero.
	EnableScaleToZero bool
	// Active reports that the revision is routable (Knative's Reachable):
	// min-scale and max-scale-down-rate apply only then. ResolveRevision
	// sets it; the caller clears it for a revision no route points at.
	Active bool
}

// ResolveRevision resolves a revision's autoscaling.knative.dev annotations
// (either spelling, the kebab-case one winning) over cfg. containerConcurrency
// is the revision's spec.containerConcurrency; 0 or less is unbounded.
// Invalid annotations are reported together, in Knative's wording, and match
// ErrInvalidAnnotation.
func ResolveRevision(cfg *Config, annotations map[string]string, containerConcurrency int) (RevisionConfig, error) {
	if containerConcurrency < 0 {
		containerConcurrency = 0
	}
	r := resolver{anns: annotations}
	rc := RevisionConfig{
		Class:                         cfg.PodAutoscalerClass,
		Aggregation:                   servingv1.MetricAggregationAlgorithmLinear,
		ContainerConcurrency:          containerConcurrency,
		StableWindow:                  cfg.StableWindow,
		MaxScaleUpRate:                cfg.MaxScaleUpRate,
		MaxScaleDownRate:              cfg.MaxScaleDownRate,
		MinScale:                      cfg.MinScale,
		MaxScale:                      cfg.MaxScale,
		InitialScale:                  cfg.InitialScale,
		ActivationScale:               cfg.ActivationScale,
		ScaleDownDelay:                cfg.ScaleDownDelay,
		ScaleToZeroGracePeriod:        cfg.ScaleToZeroGracePeriod,
		ScaleToZeroPodRetentionPeriod: cfg.ScaleToZeroPodRetentionPeriod,
		TargetBurstCapacity:           cfg.TargetBurstCapacity,
		EnableScaleToZero:             cfg.EnableScaleToZero,
		Active:                        true,
	}

	if k, v, ok := r.get(servingv1.ClassAnnotationKey); ok {
		if v != servingv1.KPA && v != servingv1.HPA {
			r.invalid(k, v)
		} else {
			rc.Class = v
		}
	}
	rc.Metric = servingv1.MetricConcurrency
	if rc.Class == servingv1.HPA {
		rc.Metric = servingv1.MetricCPU
	}
	if k, v, ok := r.get(servingv1.MetricAnnotationKey); ok {
		switch {
		case rc.Class == servingv1.KPA && (v == servingv1.MetricConcurrency || v == servingv1.MetricRPS),
			rc.Class == servingv1.HPA && (v == servingv1.MetricCPU || v == servingv1.MetricMemory):
			rc.Metric = v
		default:
			r.invalid(k, v)
		}
	}
	if k, v, ok := r.get(servingv1.MetricAggregationAlgorithmAnnotationKey); ok && rc.Class == servingv1.KPA {
		switch v {
		case servingv1.MetricAggregationAlgorithmLinear:
		case servingv1.MetricAggregationAlgorithmWeightedExponential, servingv1.MetricAggregationAlgorithmWeightedExponentialAlt:
			rc.Aggregation = servingv1.MetricAggregationAlgorithmWeightedExponential
		default:
			r.invalid(k, v)
		}
	}

	// Targets, as Knative's ResolveMetricTarget.
	annTarget, hasTarget := 0.0, false
	if k, v, ok := r.get(servingv1.TargetAnnotationKey); ok {
		if f, err := strconv.ParseFloat(v, 64); err != nil || f < servingv1.TargetMin {
			r.add(fmt.Sprintf("target %s should be at least %g", v, servingv1.TargetMin), k)
		} else {
			annTarget, hasTarget = f, true
		}
	}
	tu := cfg.TargetUtilization
	if rc.Metric == servingv1.MetricConcurrency {
		tu = cfg.ContainerConcurrencyTargetFraction
	}
	if k, v, f, ok := r.float(servingv1.TargetUtilizationPercentageAnnotationKey); ok {
		if f < 1 || f > 100 {
			r.outOfBounds(k, v, 1, 100)
		} else {
			tu = f / 100
		}
	}
	switch rc.Metric {
	case servingv1.MetricRPS:
		rc.Total = cfg.RPSTargetDefault
		if hasTarget {
			rc.Total = annTarget
		}
	case servingv1.MetricCPU, servingv1.MetricMemory:
		rc.Total = NominalCPUMillis
		if rc.Metric == servingv1.MetricMemory {
			rc.Total = NominalMemoryMiB
		}
		if hasTarget {
			// An absolute target: utilization does not apply.
			rc.Total = math.Max(rc.Total, annTarget)
			tu = annTarget / rc.Total
		}
	default:
		rc.Total = float64(containerConcurrency)
		if rc.Total == 0 {
			rc.Total = cfg.ContainerConcurrencyTargetDefault
		}
		if hasTarget {
			rc.Total = annTarget
			if containerConcurrency > 0 {
				// Never aim above what one instance may take.
				rc.Total = math.Min(annTarget, float64(containerConcurrency))
			}
		}
	}
	rc.TargetUtilization = tu
	rc.Target = math.Max(servingv1.TargetMin, rc.Total*tu)

	// Windows and panic.
	if k, v, ok := r.get(servingv1.WindowAnnotationKey); ok {
		switch d, err := time.ParseDuration(v); {
		case err != nil:
			r.invalid(k, v)
		case d < servingv1.WindowMin || d > servingv1.WindowMax:
			r.outOfBounds(k, v, servingv1.WindowMin, servingv1.WindowMax)
		case d.Truncate(time.Second) != d:
			r.add("must be specified with at most second precision", k)
		default:
			rc.StableWindow = d
		}
	}
	pwp := cfg.PanicWindowPercentage
	if k, v, f, ok := r.float(servingv1.PanicWindowPercentageAnnotationKey); ok {
		if f < servingv1.PanicWindowPercentageMin || f > servingv1.PanicWindowPercentageMax {
			r.outOfBounds(k, v, servingv1.PanicWindowPercentageMin, servingv1.PanicWindowPercentageMax)
		} else {
			pwp = f
		}
	}
	rc.PanicWindow = max(BucketSize, time.Duration(float64(rc.StableWindow)*pwp/100).Round(BucketSize))
	ptp := cfg.PanicThresholdPercentage
	if k, v, f, ok := r.float(servingv1.PanicThresholdPercentageAnnotationKey); ok {
		if f < servingv1.PanicThresholdPercentageMin || f > servingv1.PanicThresholdPercentageMax {
			r.outOfBounds(k, v, servingv1.PanicThresholdPercentageMin, servingv1.PanicThresholdPercentageMax)
		} else {
			ptp = f
		}
	}
	rc.PanicThreshold = ptp / 100

	// Scale bounds.
	if k, v, ok := r.get(servingv1.MinScaleAnnotationKey); ok {
		if i, ok := r.intGE0(k, v); ok {
			rc.MinScale = i
		}
	}
	if k, v, ok := r.get(servingv1.MaxScaleAnnotationKey); ok {
		if i, ok := r.intGE0(k, v); ok {
			rc.MaxScale = i
			if lim := cfg.MaxScaleLimit; lim > 0 {
				if i > lim {
					r.outOfBounds(k, i, 1, lim)
				}
				if i == 0 {
					r.add(fmt.Sprint("max-scale=0 (unlimited), must be less than ", lim), k)
				}
			}
		}
	}
	if rc.MaxScale != 0 && rc.MaxScale < rc.MinScale {
		r.add(fmt.Sprintf("max-scale=%d is less than min-scale=%d", rc.MaxScale, rc.MinScale),
			servingv1.MaxScaleAnnotationKey+", "+servingv1.MinScaleAnnotationKey)
	}
	if k, v, ok := r.get(servingv1.InitialScaleAnnotationKey); ok {
		i, err := strconv.Atoi(v)
		if err != nil || i < 0 || (i == 0 && !cfg.AllowZeroInitialScale) {
			r.invalid(k, v)
		} else {
			rc.InitialScale = i
		}
	}
	if k, v, ok := r.get(servingv1.ActivationScaleAnnotationKey); ok {
		i, err := strconv.ParseInt(v, 10, 32)
		switch {
		case err != nil && !errors.Is(err, strconv.ErrRange):
			r.invalid(k, v)
		case err != nil || i < 1:
			r.outOfBounds(k, v, 1, math.MaxInt32)
		default:
			rc.ActivationScale = int(i)
		}
	}

	// Delays.
	if k, v, ok := r.get(servingv1.ScaleDownDelayAnnotationKey); ok {
		switch d, err := time.ParseDuration(v); {
		case err != nil:
			r.invalid(k, v)
		case d < 0 || d > servingv1.WindowMax:
			r.outOfBounds(k, v, time.Duration(0), servingv1.WindowMax)
		case d.Round(time.Second) != d:
			r.add("must be specified with at most second precision", k)
		default:
			rc.ScaleDownDelay = d
		}
	}
	if k, v, ok := r.get(servingv1.ScaleToZeroPodRetentionPeriodAnnotationKey); ok {
		switch d, err := time.ParseDuration(v); {
		case err != nil:
			r.invalid(k, v)
		case d < 0 || d > servingv1.WindowMax:
			r.outOfBounds(k, v, time.Duration(0), servingv1.WindowMax)
		default:
			rc.ScaleToZeroPodRetentionPeriod = d
		}
	}
	if k, v, ok := r.get(servingv1.TargetBurstCapacityAnnotationKey); ok {
		if f, err := strconv.ParseFloat(v, 64); err != nil || (f < 0 && f != -1) {
			r.invalid(k, v)
		} else {
			rc.TargetBurstCapacity = f
		}
	}

	if r.errs != nil {
		return RevisionConfig{}, errors.Join(r.errs...)
	}
	return rc, nil
}

// resolver reads annotations and collects errors in the words of Knative's
// apis.FieldError ("<message>: <key>").
type resolver struct {
	anns map[string]string
	errs []error
}

func (r *resolver) get(key string) (foundKey, value string, ok bool) {
	return servingv1.LookupAnnotation(r.anns, key)
}

func (r *resolver) add(msg, key string) {
	r.errs = append(r.errs, &kerror{msg: msg + ": " + key, kind: ErrInvalidAnnotation})
}

func (r *resolver) invalid(key, value string) { r.add("invalid value: "+value, key) }

func (r *resolver) outOfBounds(key string, value, lower, upper any) {
	r.add(fmt.Sprintf("expected %v <= %v <= %v", lower, value, upper), key)
}

// float parses an annotation as a float, reporting a malformed value.
func (r *resolver) float(key string) (foundKey, value string, f float64, ok bool) {
	k, v, ok := r.get(key)
	if !ok {
		return "", "", 0, false
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		r.invalid(k, v)
		return "", "", 0, false
	}
	return k, v, f, true
}

// intGE0 parses a non-negative int32, as Knative's getIntGE0.
func (r *resolver) intGE0(key, value string) (int, bool) {
	i, err := strconv.ParseInt(value, 10, 32)
	switch {
	case err != nil && !errors.Is(err, strconv.ErrRange):
		r.invalid(key, value)
		return 0, false
	case err != nil || i < 0:
		r.outOfBounds(key, value, 0, math.MaxInt32)
		return 0, false
	}
	return int(i), true
}
