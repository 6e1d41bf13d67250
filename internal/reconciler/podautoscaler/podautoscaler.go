// Package podautoscaler runs Knative's autoscaler for each Revision. A
// PodAutoscaler object (owned by its Revision) carries the Revision's
// reachability; this reconciler samples the Revision's load from the
// instance pool every second, decides its scale every two seconds with the
// KPA (or HPA) decision function, scales the pool, and reports desired and
// actual scale and the mode in the PodAutoscaler's status. A request that
// reaches a revision at zero starts instances at once, through OnCold.
package podautoscaler

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/skiff-sh/skiff/internal/apis"
	autoscalingv1alpha1 "github.com/skiff-sh/skiff/internal/apis/autoscaling/v1alpha1"
	servingv1 "github.com/skiff-sh/skiff/internal/apis/serving/v1"
	"github.com/skiff-sh/skiff/internal/controller"
	"github.com/skiff-sh/skiff/internal/reconciler/typed"
	"github.com/skiff-sh/skiff/internal/serving/autoscaler"
	"github.com/skiff-sh/skiff/internal/serving/pool"
	"github.com/skiff-sh/skiff/internal/store"
)

// Group and resource of PodAutoscalers.
const (
	Group    = autoscalingv1alpha1.GroupName
	Resource = "podautoscalers"
)

// Timing of the loop, as Knative's: a sample each second, a decision every
// two.
const (
	SampleInterval   = time.Second
	DecisionInterval = 2 * time.Second
)

// Scaler is the instance pool as the autoscaler drives it.
type Scaler interface {
	Scale(key pool.RevisionKey, desired int)
	Sample(key pool.RevisionKey, now time.Time) (pool.Sample, bool)
	Status(key pool.RevisionKey) (pool.Status, bool)
	Usage(key pool.RevisionKey, metric string) []float64
}

var _ Scaler = (*pool.Manager)(nil)

// revState is what the autoscaler keeps per revision between ticks.
type revState struct {
	st           *autoscaler.State
	w            *autoscaler.Window
	rc           autoscaler.RevisionConfig
	lastDecision time.Time
	desired      int
	decided      bool
	last         autoscaler.Decision
}

// Reconciler autoscales one revision per PodAutoscaler.
type Reconciler struct {
	c      *typed.Client
	scaler Scaler
	config func() *autoscaler.Config
	log    *slog.Logger
	ctrl   *controller.Controller

	mu   sync.Mutex // guards revs
	revs map[pool.RevisionKey]*revState
}

var _ controller.Reconciler = (*Reconciler)(nil)

// New returns the reconciler and its controller.
func New(c *typed.Client, scaler Scaler, config func() *autoscaler.Config, logger *slog.Logger) (*Reconciler, *controller.Controller) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	r := &Reconciler{c: c, scaler: scaler, config: config, log: logger, revs: map[pool.RevisionKey]*revState{}}
	r.ctrl = controller.New("podautoscaler", c.Store, r, []controller.Source{
		{Watch: store.WatchOptions{Group: Group, Resource: Resource}},
	}, controller.Options{Logger: logger, Workers: 2})
	return r, r.ctrl
}

// Key returns the store key of a revision's PodAutoscaler.
func Key(k pool.RevisionKey) store.Key { return typed.Key(Group, Resource, k.Namespace, k.Name) }

// OnCold starts instances for a revision at zero the moment a request
// arrives: max(1, activation-scale) (and min-scale when routable), as the
// revision's autoscaler would decide from zero.
func (r *Reconciler) OnCold(key pool.RevisionKey) {
	now := r.c.Now()
	r.mu.Lock()
	rs := r.revs[key]
	n := 1
	if rs != nil {
		n = autoscaler.FromZero(rs.rc)
		rs.st.Activate(now)
		rs.desired, rs.decided = n, true
	}
	r.mu.Unlock()
	r.scaler.Scale(key, n)
	r.ctrl.Enqueue(Key(key))
}

// Reconcile implements controller.Reconciler.
func (r *Reconciler) Reconcile(ctx context.Context, key store.Key) error {
	pk := pool.RevisionKey{Namespace: key.Namespace, Name: key.Name}
	pa := &autoscalingv1alpha1.PodAutoscaler{}
	if err := r.c.Get(ctx, key, pa); err != nil {
		if typed.IsNotFound(err) {
			r.mu.Lock()
			delete(r.revs, pk)
			r.mu.Unlock()
			return nil
		}
		return err
	}
	if pa.DeletionTimestamp != nil {
		return nil
	}
	before := typed.Clone(pa.Status)
	now := r.c.Now()
	m := pa.Status.Manage(now)
	m.InitializeConditions()

	rc, err := autoscaler.ResolveRevision(r.config(), pa.Annotations, int(pa.Spec.ContainerConcurrency))
	if err != nil {
		m.MarkFalse(autoscalingv1alpha1.ConditionActive, "InvalidAnnotations", err.Error())
		return r.write(ctx, key, pa, before, 0)
	}
	rc.Active = pa.Spec.Reachability != autoscalingv1alpha1.ReachabilityUnreachable

	st, _ := r.scaler.Status(pk)
	ready := st.Ready
	r.mu.Lock()
	rs := r.revs[pk]
	if rs == nil {
		rs = &revState{st: &autoscaler.State{}, w: autoscaler.NewWindow(rc.StableWindow)}
		r.revs[pk] = rs
	}
	rs.rc = rc
	rs.w.Resize(rc.StableWindow)
	if s, ok := r.scaler.Sample(pk, now); ok {
		rs.w.Record(now, autoscaler.Sample{Interval: s.Interval, Concurrency: s.Concurrency, Requests: float64(s.Requests), Ready: s.Ready})
	}
	var requeue time.Duration = SampleInterval
	switch {
	case pa.Spec.Reachability == autoscalingv1alpha1.ReachabilityUnreachable:
		// No route sends it traffic: drain and stop at once (skiff does
		// not wait out the stable window for revisions nobody can reach).
		rs.desired, rs.decided = 0, true
		rs.st = &autoscaler.State{}
		rs.last = autoscaler.Decision{Reason: "Unreachable"}
	case !rs.decided || now.Sub(rs.lastDecision) >= DecisionInterval:
		var d autoscaler.Decision
		if rc.Class == servingv1.HPA {
			d = autoscaler.DecideHPA(now, rs.st, r.scaler.Usage(pk, rc.Metric), rc, ready)
		} else {
			d = autoscaler.Decide(now, rs.st, rs.w, rc, ready)
		}
		rs.desired, rs.decided, rs.lastDecision, rs.last = d.Desired, true, now, d
	}
	desired, last := rs.desired, rs.last
	if desired == 0 && ready == 0 {
		requeue = 0
		if !last.RequeueAt.IsZero() && last.RequeueAt.After(now) {
			requeue = last.RequeueAt.Sub(now)
		}
	}
	initialized := rs.st.Initialized || st.EverReady
	r.mu.Unlock()
	r.scaler.Scale(pk, desired)

	d32, a32 := int32(desired), int32(ready)
	pa.Status.DesiredScale, pa.Status.ActualScale = &d32, &a32
	mode := "stable"
	switch {
	case rc.Class == servingv1.HPA:
		mode = "hpa"
	case last.InPanic:
		mode = "panic"
	}
	if pa.Status.Annotations == nil {
		pa.Status.Annotations = map[string]string{}
	}
	pa.Status.Annotations[autoscalingv1alpha1.ModeAnnotation] = mode
	pa.Status.Annotations["autoscaling.skiff.dev/observed-stable"] = strconv.FormatFloat(last.ObservedStableValue, 'f', 2, 64)
	pa.Status.Annotations["autoscaling.skiff.dev/observed-panic"] = strconv.FormatFloat(last.ObservedPanicValue, 'f', 2, 64)
	pa.Status.Annotations["autoscaling.skiff.dev/excess-burst-capacity"] = strconv.FormatFloat(last.ExcessBurstCapacity, 'f', 0, 64)
	if initialized {
		m.MarkTrue(autoscalingv1alpha1.ConditionScaleTargetInit)
	} else {
		m.MarkUnknown(autoscalingv1alpha1.ConditionScaleTargetInit, "Initializing", "")
	}
	switch {
	case ready > 0:
		m.MarkTrue(autoscalingv1alpha1.ConditionActive)
	case desired > 0:
		m.MarkUnknown(autoscalingv1alpha1.ConditionActive, "Activating", "")
	default:
		m.MarkFalse(autoscalingv1alpha1.ConditionActive, "NoTraffic", "The target is not receiving traffic.")
		if initialized {
			// Scaled to zero is a healthy state: Ready stays as Knative
			// reports it for an idle revision.
			pa.Status.Status.Conditions = keepReady(pa.Status.Status.Conditions)
		}
	}
	return r.write(ctx, key, pa, before, requeue)
}

// keepReady marks Ready True with reason NoTraffic, as Knative's KPA does
// for a revision scaled to zero.
func keepReady(cs []apis.Condition) []apis.Condition {
	for i := range cs {
		if cs[i].Type == apis.ConditionReady && cs[i].Status != apis.ConditionTrue {
			cs[i].Status, cs[i].Reason, cs[i].Message = apis.ConditionTrue, "NoTraffic", ""
		}
	}
	return cs
}

func (r *Reconciler) write(ctx context.Context, key store.Key, pa *autoscalingv1alpha1.PodAutoscaler, before autoscalingv1alpha1.PodAutoscalerStatus, requeue time.Duration) error {
	pa.Status.ObservedGeneration = pa.Generation
	if !typed.Equal(before, pa.Status) {
		if err := r.c.UpdateStatus(ctx, key, pa); err != nil {
			return fmt.Errorf("podautoscaler %s: %w", key.Name, err)
		}
	}
	if requeue > 0 {
		return controller.RequeueAfter{After: requeue}
	}
	return nil
}

// MakePodAutoscaler returns the PodAutoscaler of a revision: its autoscaling
// annotations, containerConcurrency and reachability from its routing
// state.
func MakePodAutoscaler(rev *servingv1.Revision) *autoscalingv1alpha1.PodAutoscaler {
	ann := map[string]string{}
	for k, v := range rev.Annotations {
		if len(k) > len(servingv1.AutoscalingGroupName) && k[:len(servingv1.AutoscalingGroupName)] == servingv1.AutoscalingGroupName {
			ann[k] = v
		}
	}
	reach := autoscalingv1alpha1.ReachabilityUnknown
	switch rev.GetRoutingState() {
	case servingv1.RoutingStateActive:
		reach = autoscalingv1alpha1.ReachabilityReachable
	case servingv1.RoutingStateReserve:
		reach = autoscalingv1alpha1.ReachabilityUnreachable
	}
	pa := &autoscalingv1alpha1.PodAutoscaler{}
	pa.APIVersion, pa.Kind = Group+"/v1alpha1", "PodAutoscaler"
	pa.Name, pa.Namespace = rev.Name, rev.Namespace
	pa.Labels = map[string]string{servingv1.RevisionLabelKey: rev.Name}
	for _, k := range []string{servingv1.ServiceLabelKey, servingv1.ConfigurationLabelKey} {
		if v := rev.Labels[k]; v != "" {
			pa.Labels[k] = v
		}
	}
	if len(ann) > 0 {
		pa.Annotations = ann
	}
	pa.OwnerReferences = append(pa.OwnerReferences, typed.OwnerReference(rev, "serving.knative.dev/v1", "Revision"))
	pa.Spec.ScaleTargetRef = autoscalingv1alpha1.ScaleTargetRef{APIVersion: "serving.knative.dev/v1", Kind: "Revision", Name: rev.Name}
	if cc := rev.Spec.ContainerConcurrency; cc != nil {
		pa.Spec.ContainerConcurrency = *cc
	}
	pa.Spec.Reachability = reach
	pa.Spec.ProtocolType = rev.Spec.Protocol()
	return pa
}
