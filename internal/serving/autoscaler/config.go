package autoscaler

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	servingv1 "github.com/skiff-sh/skiff/internal/apis/serving/v1"
)

// Sentinel errors. The messages of the errors that wrap them keep Knative's
// wording; match on these with errors.Is.
var (
	// ErrInvalidConfig: a config-autoscaler value cannot be parsed or is out
	// of range.
	ErrInvalidConfig = errors.New("invalid config-autoscaler")
	// ErrInvalidAnnotation: an autoscaling.knative.dev annotation cannot be
	// parsed, is out of range, or names a class or metric skiff cannot run.
	ErrInvalidAnnotation = errors.New("invalid autoscaling annotation")
)

// Config keys of config-autoscaler.
const (
	KeyEnableScaleToZero                    = "enable-scale-to-zero"
	KeyContainerConcurrencyTargetDefault    = "container-concurrency-target-default"
	KeyContainerConcurrencyTargetPercentage = "container-concurrency-target-percentage"
	KeyRequestsPerSecondTargetDefault       = "requests-per-second-target-default"
	KeyTargetBurstCapacity                  = "target-burst-capacity"
	KeyActivatorCapacity                    = "activator-capacity"
	KeyStableWindow                         = "stable-window"
	KeyPanicWindowPercentage                = "panic-window-percentage"
	KeyPanicThresholdPercentage             = "panic-threshold-percentage"
	KeyMaxScaleUpRate                       = "max-scale-up-rate"
	KeyMaxScaleDownRate                     = "max-scale-down-rate"
	KeyScaleToZeroGracePeriod               = "scale-to-zero-grace-period"
	KeyScaleToZeroPodRetentionPeriod        = "scale-to-zero-pod-retention-period"
	KeyInitialScale                         = "initial-scale"
	KeyAllowZeroInitialScale                = "allow-zero-initial-scale"
	KeyMinScale                             = "min-scale"
	KeyMaxScale                             = "max-scale"
	KeyMaxScaleLimit                        = "max-scale-limit"
	KeyScaleDownDelay                       = "scale-down-delay"
	KeyActivationScale                      = "activation-scale"
	KeyPodAutoscalerClass                   = "pod-autoscaler-class"
)

// BucketSize is the width of one Window bucket, as Knative's.
const BucketSize = time.Second

// defaultTargetUtilization is Knative's fixed utilization for the metrics
// other than concurrency (rps, and here cpu and memory).
const defaultTargetUtilization = 0.7

// Config is config-autoscaler: the cluster-wide autoscaling settings that
// a revision's annotations override. Percentages are kept as Knative keeps
// them internally: container-concurrency-target-percentage as a fraction,
// the panic keys as percentages.
type Config struct {
	// EnableScaleToZero is enable-scale-to-zero: false keeps every KPA
	// revision at one instance or more.
	EnableScaleToZero bool
	// ContainerConcurrencyTargetFraction is
	// container-concurrency-target-percentage / 100 (a value in (0, 1] is
	// read as a fraction, as Knative does for legacy reasons).
	ContainerConcurrencyTargetFraction float64
	// ContainerConcurrencyTargetDefault is the per-instance concurrency a
	// revision with containerConcurrency 0 and no target annotation aims at,
	// before utilization.
	ContainerConcurrencyTargetDefault float64
	// TargetUtilization is the utilization of the rps, cpu and memory
	// targets. Knative does not expose it in config-autoscaler (0.7); the
	// target-utilization-percentage annotation overrides it.
	TargetUtilization float64
	// RPSTargetDefault is requests-per-second-target-default.
	RPSTargetDefault float64
	// TargetBurstCapacity is target-burst-capacity: -1 buffers always, 0
	// buffers only at zero.
	TargetBurstCapacity float64
	// ActivatorCapacity is activator-capacity. skiff has one in-process
	// activator; the value is parsed and validated for compatibility.
	ActivatorCapacity float64
	// StableWindow is stable-window, in [6s, 1h], whole seconds.
	StableWindow time.Duration
	// PanicWindowPercentage is panic-window-percentage, in [1, 100].
	PanicWindowPercentage float64
	// PanicThresholdPercentage is panic-threshold-percentage, in
	// [110, 1000] (the annotation's bounds; Knative leaves the key
	// unchecked).
	PanicThresholdPercentage float64
	// MaxScaleUpRate is max-scale-up-rate, above 1.
	MaxScaleUpRate float64
	// MaxScaleDownRate is max-scale-down-rate, above 1.
	MaxScaleDownRate float64
	// ScaleToZeroGracePeriod is scale-to-zero-grace-period, positive.
	ScaleToZeroGracePeriod time.Duration
	// ScaleToZeroPodRetentionPeriod is scale-to-zero-pod-retention-period.
	ScaleToZeroPodRetentionPeriod time.Duration
	// ScaleDownDelay is scale-down-delay, whole seconds.
	ScaleDownDelay time.Duration
	// InitialScale is initial-scale (0 only with AllowZeroInitialScale).
	InitialScale int
	// AllowZeroInitialScale is allow-zero-initial-scale.
	AllowZeroInitialScale bool
	// MinScale is min-scale, the default of the min-scale annotation.
	MinScale int
	// MaxScale is max-scale, the default of the max-scale annotation (0:
	// none).
	MaxScale int
	// MaxScaleLimit is max-scale-limit (0: none).
	MaxScaleLimit int
	// ActivationScale is activation-scale, the default of the annotation.
	// Knative has only the annotation; the key is skiff's.
	ActivationScale int
	// PodAutoscalerClass is pod-autoscaler-class: the KPA or the HPA class
	// (skiff runs no other autoscalers).
	PodAutoscalerClass string
}

// DefaultConfig returns Knative's config-autoscaler defaults.
func DefaultConfig() *Config {
	return &Config{
		EnableScaleToZero:                  true,
		ContainerConcurrencyTargetFraction: defaultTargetUtilization,
		ContainerConcurrencyTargetDefault:  100,
		TargetUtilization:                  defaultTargetUtilization,
		RPSTargetDefault:                   200,
		TargetBurstCapacity:                211,
		ActivatorCapacity:                  100,
		StableWindow:                       60 * time.Second,
		PanicWindowPercentage:              10,
		PanicThresholdPercentage:           200,
		MaxScaleUpRate:                     1000,
		MaxScaleDownRate:                   2,
		ScaleToZeroGracePeriod:             30 * time.Second,
		ScaleToZeroPodRetentionPeriod:      0,
		ScaleDownDelay:                     0,
		InitialScale:                       1,
		AllowZeroInitialScale:              false,
		MinScale:                           0,
		MaxScale:                           0,
		MaxScaleLimit:                      0,
		ActivationScale:                    1,
		PodAutoscalerClass:                 servingv1.KPA,
	}
}

// ParseConfig reads the data of config-autoscaler over DefaultConfig and
// validates it as Knative does, with Knative's messages. The errors match
// ErrInvalidConfig.
func ParseConfig(data map[string]string) (*Config, error) {
	c := DefaultConfig()
	p := parser{data: data}
	p.str(KeyPodAutoscalerClass, &c.PodAutoscalerClass)
	p.bool(KeyEnableScaleToZero, &c.EnableScaleToZero)
	p.bool(KeyAllowZeroInitialScale, &c.AllowZeroInitialScale)
	p.float(KeyMaxScaleUpRate, &c.MaxScaleUpRate)
	p.float(KeyMaxScaleDownRate, &c.MaxScaleDownRate)
	p.float(KeyContainerConcurrencyTargetPercentage, &c.ContainerConcurrencyTargetFraction)
	p.float(KeyContainerConcurrencyTargetDefault, &c.ContainerConcurrencyTargetDefault)
	p.float(KeyRequestsPerSecondTargetDefault, &c.RPSTargetDefault)
	p.float(KeyTargetBurstCapacity, &c.TargetBurstCapacity)
	p.float(KeyPanicWindowPercentage, &c.PanicWindowPercentage)
	p.float(KeyActivatorCapacity, &c.ActivatorCapacity)
	p.float(KeyPanicThresholdPercentage, &c.PanicThresholdPercentage)
	p.int(KeyInitialScale, &c.InitialScale)
	p.int(KeyMinScale, &c.MinScale)
	p.int(KeyMaxScale, &c.MaxScale)
	p.int(KeyMaxScaleLimit, &c.MaxScaleLimit)
	p.int(KeyActivationScale, &c.ActivationScale)
	p.duration(KeyStableWindow, &c.StableWindow)
	p.duration(KeyScaleDownDelay, &c.ScaleDownDelay)
	p.duration(KeyScaleToZeroGracePeriod, &c.ScaleToZeroGracePeriod)
	p.duration(KeyScaleToZeroPodRetentionPeriod, &c.ScaleToZeroPodRetentionPeriod)
	if p.err != nil {
		return nil, &kerror{msg: "failed to parse data: " + p.err.Error(), kind: ErrInvalidConfig, cause: p.err}
	}
	// Percent to fraction; (0, 1] is already a fraction, as in Knative.
	if c.ContainerConcurrencyTargetFraction > 1 {
		c.ContainerConcurrencyTargetFraction /= 100
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// validate applies Knative's checks in Knative's order, then skiff's.
func (c *Config) validate() error {
	bad := func(format string, args ...any) error {
		return &kerror{msg: fmt.Sprintf(format, args...), kind: ErrInvalidConfig}
	}
	switch {
	case c.ScaleToZeroGracePeriod <= 0:
		return bad("scale-to-zero-grace-period must be positive, was: %v", c.ScaleToZeroGracePeriod)
	case c.ScaleDownDelay < 0:
		return bad("scale-down-delay cannot be negative, was: %v", c.ScaleDownDelay)
	case c.ScaleDownDelay.Round(time.Second) != c.ScaleDownDelay:
		return bad("scale-down-delay = %v, must be specified with at most second precision", c.ScaleDownDelay)
	case c.ScaleToZeroPodRetentionPeriod < 0:
		return bad("scale-to-zero-pod-retention-period cannot be negative, was: %v", c.ScaleToZeroPodRetentionPeriod)
	case c.TargetBurstCapacity < 0 && c.TargetBurstCapacity != -1:
		return bad("target-burst-capacity must be either non-negative or -1 (for unlimited), was: %f", c.TargetBurstCapacity)
	case c.ContainerConcurrencyTargetFraction <= 0 || c.ContainerConcurrencyTargetFraction > 1:
		return bad("container-concurrency-target-percentage = %f is outside of valid range of (0, 100]", c.ContainerConcurrencyTargetFraction)
	}
	if x := c.ContainerConcurrencyTargetFraction * c.ContainerConcurrencyTargetDefault; x < servingv1.TargetMin {
		return bad("container-concurrency-target-percentage and container-concurrency-target-default yield target concurrency of %v, can't be less than %v", x, servingv1.TargetMin)
	}
	switch {
	case c.RPSTargetDefault < servingv1.TargetMin:
		return bad("requests-per-second-target-default must be at least %v, was: %v", servingv1.TargetMin, c.RPSTargetDefault)
	case c.ActivatorCapacity < 1:
		return bad("activator-capacity = %v, must be at least 1", c.ActivatorCapacity)
	case c.MaxScaleUpRate <= 1.0:
		return bad("max-scale-up-rate = %v, must be greater than 1.0", c.MaxScaleUpRate)
	case c.MaxScaleDownRate <= 1.0:
		return bad("max-scale-down-rate = %v, must be greater than 1.0", c.MaxScaleDownRate)
	case c.StableWindow < servingv1.WindowMin || c.StableWindow > servingv1.WindowMax:
		return bad("stable-window = %v, must be in [%v; %v] range", c.StableWindow, servingv1.WindowMin, servingv1.WindowMax)
	case c.StableWindow.Round(time.Second) != c.StableWindow:
		return bad("stable-window = %v, must be specified with at most second precision", c.StableWindow)
	case c.PanicWindowPercentage < servingv1.PanicWindowPercentageMin || c.PanicWindowPercentage > servingv1.PanicWindowPercentageMax:
		return bad("panic-window-percentage = %v, must be in [%v, %v] interval",
			c.PanicWindowPercentage, servingv1.PanicWindowPercentageMin, servingv1.PanicWindowPercentageMax)
	case c.InitialScale < 0 || (c.InitialScale == 0 && !c.AllowZeroInitialScale):
		return bad("initial-scale = %v, must be at least 0 (or at least 1 when allow-zero-initial-scale is false)", c.InitialScale)
	}
	minMaxScale := 0
	if c.MaxScaleLimit > 0 {
		// A default max-scale must be set when max-scale-limit is.
		minMaxScale = 1
	}
	switch {
	case c.MaxScale < minMaxScale || (c.MaxScaleLimit > 0 && c.MaxScale > c.MaxScaleLimit):
		return bad("max-scale = %d, must be in [%d, max-scale-limit(%d)] range", c.MaxScale, minMaxScale, c.MaxScaleLimit)
	case c.MaxScaleLimit < 0:
		return bad("max-scale-limit = %v, must be at least 0", c.MaxScaleLimit)
	// The checks below are skiff's: Knative leaves these keys unchecked
	// in the ConfigMap and only bounds the matching annotations.
	case c.MinScale < 0 || (c.MaxScale > 0 && c.MinScale > c.MaxScale):
		return bad("min-scale = %d, must be in [0, max-scale(%d)] range", c.MinScale, c.MaxScale)
	case c.ActivationScale < 1:
		return bad("activation-scale = %d, must be at least 1", c.ActivationScale)
	case c.PanicThresholdPercentage < servingv1.PanicThresholdPercentageMin || c.PanicThresholdPercentage > servingv1.PanicThresholdPercentageMax:
		return bad("panic-threshold-percentage = %v, must be in [%v, %v] interval",
			c.PanicThresholdPercentage, servingv1.PanicThresholdPercentageMin, servingv1.PanicThresholdPercentageMax)
	case c.PodAutoscalerClass != servingv1.KPA && c.PodAutoscalerClass != servingv1.HPA:
		return bad("pod-autoscaler-class = %q, must be %q or %q", c.PodAutoscalerClass, servingv1.KPA, servingv1.HPA)
	}
	return nil
}

// parser reads typed values out of ConfigMap data, keeping the first error
// in the form of Knative's configmap.Parse.
type parser struct {
	data map[string]string
	err  error
}

func (p *parser) get(key string) (string, bool) {
	if p.err != nil {
		return "", false
	}
	v, ok := p.data[key]
	return v, ok
}

func (p *parser) fail(key string, err error) {
	p.err = fmt.Errorf("failed to parse %q: %w", key, err)
}

func (p *parser) str(key string, dst *string) {
	if v, ok := p.get(key); ok {
		*dst = v
	}
}

func (p *parser) bool(key string, dst *bool) {
	if v, ok := p.get(key); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			p.fail(key, err)
			return
		}
		*dst = b
	}
}

func (p *parser) float(key string, dst *float64) {
	if v, ok := p.get(key); ok {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			p.fail(key, err)
			return
		}
		*dst = f
	}
}

func (p *parser) int(key string, dst *int) {
	if v, ok := p.get(key); ok {
		i, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			p.fail(key, err)
			return
		}
		*dst = int(i)
	}
}

func (p *parser) duration(key string, dst *time.Duration) {
	if v, ok := p.get(key); ok {
		d, err := time.ParseDuration(v)
		if err != nil {
			p.fail(key, err)
			return
		}
		*dst = d
	}
}

// kerror carries a message in Knative's words while matching a sentinel
// (and the parse error under it, if any) with errors.Is.
type kerror struct {
	msg   string
	kind  error
	cause error
}

func (e *kerror) Error() string { return e.msg }

func (e *kerror) Unwrap() []error {
	if e.cause == nil {
		return []error{e.kind}
	}
	return []error{e.kind, e.cause}
}
