package autoscaler

import (
	"math"
	"time"
)

// DecideHPA returns how many instances an HPA-class revision should run at
// now, given the current usage of each ready instance, in millicores for
// metric cpu and MiB for metric memory (see NominalCPUMillis for how the
// target is read), and updates st.
//
// desired = ceil(sum(usage) / target), limited to [floor(ready /
// max-scale-down-rate), ceil(max(ready, 1) x max-scale-up-rate)] (the lower
// limit only while rc.Active), held by scale-down-delay as for the KPA,
// bounded by min-scale, initial-scale and max-scale, and never below 1: the
// HPA class does not scale to zero. Kubernetes' HPA tolerance and
// stabilization window are not modelled; scale-down-delay and the rate
// limits play their part.
func DecideHPA(now time.Time, st *State, usage []float64, rc RevisionConfig, ready int) Decision {
	var d Decision
	sum := 0.0
	for _, u := range usage {
		sum += u
	}
	d.ObservedStableValue, d.ObservedPanicValue = sum, sum

	readyF := math.Max(1, float64(ready))
	maxUp := math.Ceil(rc.MaxScaleUpRate * readyF)
	maxDown := 0.0
	if rc.Active {
		maxDown = math.Floor(readyF / rc.MaxScaleDownRate)
	}
	desired := int(math.Min(math.Max(math.Ceil(sum/rc.Target), maxDown), maxUp))
	reason := ReasonUsage
	if rc.ScaleDownDelay > 0 {
		if h, until := st.hold(now, desired, rc.ScaleDownDelay); h > desired {
			desired, reason, d.RequeueAt = h, ReasonScaleDownDelay, until
		}
	}
	desired, reason = bound(st, rc, ready, desired, reason)
	if desired < 1 {
		desired = 1
	}
	st.Activate(now)
	d.Desired, d.Reason = desired, reason
	d.Buffer = ready == 0
	return d
}
