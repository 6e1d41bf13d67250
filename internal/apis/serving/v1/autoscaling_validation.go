package v1

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/apis"
)

// AutoscalingGroupName prefixes every autoscaling annotation.
const AutoscalingGroupName = "autoscaling.knative.dev"

// Autoscaling annotations of a revision template, as Knative spells them.
// Several have an older camelCase spelling that Knative still reads; use
// LookupAnnotation to find either.
const (
	ClassAnnotationKey                         = AutoscalingGroupName + "/class"
	MetricAnnotationKey                        = AutoscalingGroupName + "/metric"
	TargetAnnotationKey                        = AutoscalingGroupName + "/target"
	TargetUtilizationPercentageAnnotationKey   = AutoscalingGroupName + "/target-utilization-percentage"
	TargetBurstCapacityAnnotationKey           = AutoscalingGroupName + "/target-burst-capacity"
	MinScaleAnnotationKey                      = AutoscalingGroupName + "/min-scale"
	MaxScaleAnnotationKey                      = AutoscalingGroupName + "/max-scale"
	InitialScaleAnnotationKey                  = AutoscalingGroupName + "/initial-scale"
	ActivationScaleAnnotationKey               = AutoscalingGroupName + "/activation-scale"
	WindowAnnotationKey                        = AutoscalingGroupName + "/window"
	PanicWindowPercentageAnnotationKey         = AutoscalingGroupName + "/panic-window-percentage"
	PanicThresholdPercentageAnnotationKey      = AutoscalingGroupName + "/panic-threshold-percentage"
	ScaleDownDelayAnnotationKey                = AutoscalingGroupName + "/scale-down-delay"
	ScaleToZeroPodRetentionPeriodAnnotationKey = AutoscalingGroupName + "/scale-to-zero-pod-retention-period"
	MetricAggregationAlgorithmAnnotationKey    = AutoscalingGroupName + "/metric-aggregation-algorithm"
)

// Autoscaler classes and metrics.
const (
	// KPA is the Knative Pod Autoscaler class, the default.
	KPA = "kpa." + AutoscalingGroupName
	// HPA is the Kubernetes Horizontal Pod Autoscaler class.
	HPA = "hpa." + AutoscalingGroupName

	MetricConcurrency = "concurrency"
	MetricRPS         = "rps"
	MetricCPU         = "cpu"
	MetricMemory      = "memory"

	MetricAggregationAlgorithmLinear                 = "linear"
	MetricAggregationAlgorithmWeightedExponential    = "weightedExponential"
	MetricAggregationAlgorithmWeightedExponentialAlt = "weighted-exponential"
)

// Bounds of the autoscaling annotations.
const (
	WindowMin                   = 6 * time.Second
	WindowMax                   = time.Hour
	PanicWindowPercentageMin    = 1.0
	PanicWindowPercentageMax    = 100.0
	PanicThresholdPercentageMin = 110.0
	PanicThresholdPercentageMax = 1000.0
	TargetMin                   = 0.01
)

// legacyKeys maps an annotation to the older spelling Knative also reads.
var legacyKeys = map[string]string{
	MinScaleAnnotationKey:                      AutoscalingGroupName + "/minScale",
	MaxScaleAnnotationKey:                      AutoscalingGroupName + "/maxScale",
	InitialScaleAnnotationKey:                  AutoscalingGroupName + "/initialScale",
	TargetUtilizationPercentageAnnotationKey:   AutoscalingGroupName + "/targetUtilizationPercentage",
	TargetBurstCapacityAnnotationKey:           AutoscalingGroupName + "/targetBurstCapacity",
	PanicWindowPercentageAnnotationKey:         AutoscalingGroupName + "/panicWindowPercentage",
	PanicThresholdPercentageAnnotationKey:      AutoscalingGroupName + "/panicThresholdPercentage",
	ScaleDownDelayAnnotationKey:                AutoscalingGroupName + "/scaleDownDelay",
	ScaleToZeroPodRetentionPeriodAnnotationKey: AutoscalingGroupName + "/scaleToZeroPodRetentionPeriod",
	MetricAggregationAlgorithmAnnotationKey:    AutoscalingGroupName + "/metricAggregationAlgorithm",
}

// LookupAnnotation returns the value of the annotation key, or of its older
// spelling when only that is set, and the key that was found.
func LookupAnnotation(annotations map[string]string, key string) (foundKey, value string, ok bool) {
	if legacy, has := legacyKeys[key]; has {
		return lookup(annotations, key, legacy)
	}
	return lookup(annotations, key)
}

// ValidateAutoscalingAnnotations applies Knative's rules to the
// autoscaling.knative.dev annotations of a revision template or Revision.
// p is the path of the annotations map.
func ValidateAutoscalingAnnotations(cfg *apis.Config, anns map[string]string, p *field.Path) field.ErrorList {
	if len(anns) == 0 {
		return nil
	}
	a := annotationValidator{anns: anns, p: p}
	a.class()
	a.minMaxScale(cfg)
	a.floats()
	a.durations()
	a.metric()
	a.algorithm()
	a.initialScale(cfg)
	a.activationScale()
	return a.errs
}

type annotationValidator struct {
	anns map[string]string
	p    *field.Path
	errs field.ErrorList
}

func (a *annotationValidator) get(key string) (*field.Path, string, bool) {
	k, v, ok := LookupAnnotation(a.anns, key)
	return a.p.Key(k), v, ok
}

func (a *annotationValidator) add(e *field.Error) { a.errs = append(a.errs, e) }

func (a *annotationValidator) class() {
	// Classes outside Knative's domain belong to custom autoscalers.
	if p, v, ok := a.get(ClassAnnotationKey); ok && strings.HasSuffix(v, "."+AutoscalingGroupName) && v != KPA && v != HPA {
		a.add(field.NotSupported(p, v, []string{KPA, HPA}))
	}
}

// intGE0 parses a non-negative int32 annotation; 0 when absent or invalid.
func (a *annotationValidator) intGE0(key string) int32 {
	p, v, ok := a.get(key)
	if !ok {
		return 0
	}
	i, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			a.add(outOfBounds(p, v, 0, math.MaxInt32))
		} else {
			a.add(field.Invalid(p, v, "must be an integer"))
		}
		return 0
	}
	if i < 0 {
		a.add(outOfBounds(p, v, 0, math.MaxInt32))
		return 0
	}
	return int32(i)
}

func (a *annotationValidator) minMaxScale(cfg *apis.Config) {
	lo := a.intGE0(MinScaleAnnotationKey)
	hi := a.intGE0(MaxScaleAnnotationKey)
	p, _, hasMax := a.get(MaxScaleAnnotationKey)
	if hi != 0 && hi < lo {
		a.add(field.Invalid(p, strconv.Itoa(int(hi)), fmt.Sprintf("max-scale=%d is less than min-scale=%d", hi, lo)))
	}
	if hasMax && cfg.MaxScaleLimit != 0 {
		if hi > cfg.MaxScaleLimit {
			a.add(outOfBounds(p, hi, 1, cfg.MaxScaleLimit))
		}
		if hi == 0 {
			a.add(field.Invalid(p, "0", fmt.Sprint("max-scale=0 (unlimited), must be less than ", cfg.MaxScaleLimit)))
		}
	}
}

func (a *annotationValidator) float(key string) (p *field.Path, v string, f float64, ok bool) {
	p, v, ok = a.get(key)
	if !ok {
		return p, v, 0, false
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		a.add(field.Invalid(p, v, "must be a number"))
		return p, v, 0, false
	}
	return p, v, f, true
}

func (a *annotationValidator) floats() {
	if p, v, f, ok := a.float(PanicWindowPercentageAnnotationKey); ok && (f < PanicWindowPercentageMin || f > PanicWindowPercentageMax) {
		a.add(outOfBounds(p, v, PanicWindowPercentageMin, PanicWindowPercentageMax))
	}
	if p, v, f, ok := a.float(PanicThresholdPercentageAnnotationKey); ok && (f < PanicThresholdPercentageMin || f > PanicThresholdPercentageMax) {
		a.add(outOfBounds(p, v, PanicThresholdPercentageMin, PanicThresholdPercentageMax))
	}
	if p, v, f, ok := a.float(TargetAnnotationKey); ok && f < TargetMin {
		a.add(field.Invalid(p, v, fmt.Sprintf("target %s should be at least %g", v, TargetMin)))
	}
	if p, v, f, ok := a.float(TargetUtilizationPercentageAnnotationKey); ok && (f < 1 || f > 100) {
		a.add(outOfBounds(p, v, 1, 100))
	}
	if p, v, f, ok := a.float(TargetBurstCapacityAnnotationKey); ok && f < 0 && f != -1 {
		a.add(field.Invalid(p, v, "must be -1 or at least 0"))
	}
}

func (a *annotationValidator) durations() {
	if p, v, ok := a.get(WindowAnnotationKey); ok {
		switch d, err := time.ParseDuration(v); {
		case err != nil:
			a.add(field.Invalid(p, v, "not a valid duration: "+err.Error()))
		case d < WindowMin || d > WindowMax:
			a.add(outOfBounds(p, v, WindowMin, WindowMax))
		case d.Truncate(time.Second) != d:
			a.add(field.Invalid(p, v, "must be specified with at most second precision"))
		}
	}
	if p, v, ok := a.get(ScaleDownDelayAnnotationKey); ok {
		switch d, err := time.ParseDuration(v); {
		case err != nil:
			a.add(field.Invalid(p, v, "not a valid duration: "+err.Error()))
		case d < 0 || d > WindowMax:
			a.add(outOfBounds(p, v, time.Duration(0), WindowMax))
		case d.Round(time.Second) != d:
			a.add(field.Invalid(p, v, "must be specified with at most second precision"))
		}
	}
	if p, v, ok := a.get(ScaleToZeroPodRetentionPeriodAnnotationKey); ok {
		switch d, err := time.ParseDuration(v); {
		case err != nil:
			a.add(field.Invalid(p, v, "not a valid duration: "+err.Error()))
		case d < 0 || d > WindowMax:
			a.add(outOfBounds(p, v, time.Duration(0), WindowMax))
		}
	}
}

func (a *annotationValidator) metric() {
	p, metric, ok := a.get(MetricAnnotationKey)
	if !ok {
		return
	}
	class := KPA
	if _, c, ok := a.get(ClassAnnotationKey); ok {
		class = c
	}
	switch class {
	case KPA:
		if metric != MetricConcurrency && metric != MetricRPS {
			a.add(field.NotSupported(p, metric, []string{MetricConcurrency, MetricRPS}))
		}
	case HPA:
		// The HPA scales on cpu, memory or a custom metric.
		if metric == "" {
			a.add(field.NotSupported(p, metric, []string{MetricCPU, MetricMemory}))
		}
	}
}

func (a *annotationValidator) algorithm() {
	// Other classes may have algorithms of their own.
	if _, c, _ := a.get(ClassAnnotationKey); c != KPA {
		return
	}
	if p, v, _ := a.get(MetricAggregationAlgorithmAnnotationKey); v != "" {
		switch v {
		case MetricAggregationAlgorithmLinear, MetricAggregationAlgorithmWeightedExponential, MetricAggregationAlgorithmWeightedExponentialAlt:
		default:
			a.add(field.NotSupported(p, v, []string{MetricAggregationAlgorithmLinear,
				MetricAggregationAlgorithmWeightedExponential, MetricAggregationAlgorithmWeightedExponentialAlt}))
		}
	}
}

func (a *annotationValidator) initialScale(cfg *apis.Config) {
	p, v, ok := a.get(InitialScaleAnnotationKey)
	if !ok {
		return
	}
	i, err := strconv.Atoi(v)
	switch {
	case err != nil:
		a.add(field.Invalid(p, v, "must be an integer"))
	case i < 0:
		a.add(field.Invalid(p, v, "initial-scale must be greater than 0"))
	case i == 0 && !cfg.AllowZeroInitialScale:
		a.add(field.Invalid(p, v, "initial-scale=0 not allowed by cluster"))
	}
}

func (a *annotationValidator) activationScale() {
	p, v, ok := a.get(ActivationScaleAnnotationKey)
	if !ok {
		return
	}
	i, err := strconv.ParseInt(v, 10, 32)
	switch {
	case err != nil && !errors.Is(err, strconv.ErrRange):
		a.add(field.Invalid(p, v, "must be an integer"))
	case err != nil || i < 1:
		a.add(outOfBounds(p, v, 1, math.MaxInt32))
	}
}
