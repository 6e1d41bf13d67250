// Package route reconciles Knative Routes: it resolves each traffic target
// to a ready Revision (following a Configuration's latest ready Revision
// for latestRevision targets), programs the ingress with the hosts, tags
// and percentages, rolls new revisions in gradually when asked, labels the
// Revisions it routes to as active, and reports Knative's conditions.
package route

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/skiff-sh/skiff/internal/apis"
	servingv1 "github.com/skiff-sh/skiff/internal/apis/serving/v1"
	"github.com/skiff-sh/skiff/internal/controller"
	"github.com/skiff-sh/skiff/internal/reconciler/route/resources"
	"github.com/skiff-sh/skiff/internal/reconciler/typed"
	"github.com/skiff-sh/skiff/internal/serving/ingress"
	"github.com/skiff-sh/skiff/internal/serving/pool"
	"github.com/skiff-sh/skiff/internal/serving/proxy"
	"github.com/skiff-sh/skiff/internal/store"
	"k8s.io/apimachinery/pkg/labels"
)

const group = "serving.knative.dev"

// Annotations of gradual rollout.
const (
	// RolloutDurationAnnotation is Knative's per-route rollout duration.
	RolloutDurationAnnotation = servingv1.RolloutDurationKey
	// rolloutStateAnnotation keeps an in-progress rollout in the Route's
	// status annotations.
	rolloutStateAnnotation = "serving.knative.dev/rollout"
)

// RouteTable is the ingress as the route reconciler programs it.
type RouteTable interface {
	SetRoute(r ingress.Route) (string, error)
	DeleteRoute(key string)
}

var _ RouteTable = (*ingress.Ingress)(nil)

// Reconciler reconciles one Route.
type Reconciler struct {
	c       *typed.Client
	table   RouteTable
	network resources.Network
	// RolloutDuration is config-network rollout-duration, for routes
	// without the annotation.
	rolloutDuration time.Duration
}

var _ controller.Reconciler = (*Reconciler)(nil)

// Options configure the Route controller.
type Options struct {
	Network         resources.Network
	RolloutDuration time.Duration
	Logger          *slog.Logger
}

// NewController returns the Route controller: it watches Routes, and the
// Configurations and Revisions they point at.
func NewController(c *typed.Client, table RouteTable, opts Options) *controller.Controller {
	r := &Reconciler{c: c, table: table, network: opts.Network, rolloutDuration: opts.RolloutDuration}
	// A Configuration or Revision event wakes the routes of its namespace
	// that name the Configuration (or the Revision).
	routesFor := func(o *store.Object) []store.Key {
		list, err := c.Store.List(context.Background(), store.ListOptions{Group: group, Resource: "routes", Namespace: o.Key.Namespace})
		if err != nil {
			return nil
		}
		cfgName := o.Key.Name
		if o.Key.Resource == "revisions" {
			cfgName = o.Meta.Labels[servingv1.ConfigurationLabelKey]
		}
		var keys []store.Key
		for _, it := range list.Items {
			var rt servingv1.Route
			if json.Unmarshal(it.JSON, &rt) != nil {
				continue
			}
			for _, t := range rt.Spec.Traffic {
				if t.ConfigurationName == cfgName || t.RevisionName == o.Key.Name {
					keys = append(keys, it.Key)
					break
				}
			}
		}
		return keys
	}
	return controller.New("route", c.Store, r, []controller.Source{
		{Watch: store.WatchOptions{Group: group, Resource: "routes"}},
		{Watch: store.WatchOptions{Group: group, Resource: "configurations"}, Map: routesFor},
		{Watch: store.WatchOptions{Group: group, Resource: "revisions"}, Map: routesFor},
	}, controller.Options{Logger: opts.Logger})
}

// resolved is one traffic target with its revision.
type resolved struct {
	target servingv1.TrafficTarget
	rev    *servingv1.Revision
}

// rollout is the state of a gradual rollout, kept in the Route's status.
type rollout struct {
	Configuration string `json:"configuration"`
	From          string `json:"from"`
	To            string `json:"to"`
	StartUnixNano int64  `json:"start"`
}

// Reconcile implements controller.Reconciler.
func (r *Reconciler) Reconcile(ctx context.Context, key store.Key) error {
	route := &servingv1.Route{}
	if err := r.c.Get(ctx, key, route); err != nil {
		if typed.IsNotFound(err) {
			r.table.DeleteRoute(key.Namespace + "/" + key.Name)
			return r.releaseRevisions(ctx, key.Namespace, key.Name)
		}
		return err
	}
	if route.DeletionTimestamp != nil {
		r.table.DeleteRoute(key.Namespace + "/" + key.Name)
		return r.releaseRevisions(ctx, key.Namespace, key.Name)
	}
	before := typed.Clone(route.Status)
	now := r.c.Now()
	route.Status.InitializeConditions(now)
	route.Status.ObservedGeneration = route.Generation

	targets, ok, err := r.resolve(ctx, route, now)
	if err != nil {
		return err
	}
	var requeue time.Duration
	if ok {
		route.Status.MarkTrafficAssigned(now)
		var rolling bool
		targets, requeue, rolling = r.rollout(route, targets, now)
		if err := r.program(ctx, route, targets, rolling, now); err != nil {
			return err
		}
		if err := r.labelRevisions(ctx, route, targets, now); err != nil {
			return err
		}
	}
	if !typed.Equal(before, route.Status) {
		if err := r.c.UpdateStatus(ctx, key, route); err != nil {
			return err
		}
	}
	if requeue > 0 {
		return controller.RequeueAfter{After: requeue}
	}
	return nil
}

// resolve finds the revision of every traffic target. ok is false when one
// cannot be resolved yet; the condition says why.
func (r *Reconciler) resolve(ctx context.Context, route *servingv1.Route, now time.Time) ([]resolved, bool, error) {
	var out []resolved
	for _, t := range route.Spec.Traffic {
		name := t.RevisionName
		if name == "" {
			cfg := &servingv1.Configuration{}
			err := r.c.Get(ctx, typed.Key(group, "configurations", route.Namespace, t.ConfigurationName), cfg)
			if typed.IsNotFound(err) {
				route.Status.MarkMissingTrafficTarget("Configuration", t.ConfigurationName, now)
				return nil, false, nil
			}
			if err != nil {
				return nil, false, err
			}
			name = cfg.Status.LatestReadyRevisionName
			if name == "" {
				if cfg.IsFailed() {
					route.Status.MarkConfigurationFailed(cfg.Name, now)
				} else {
					route.Status.MarkConfigurationNotReady(cfg.Name, now)
				}
				return nil, false, nil
			}
		}
		rev := &servingv1.Revision{}
		err := r.c.Get(ctx, typed.Key(group, "revisions", route.Namespace, name), rev)
		if typed.IsNotFound(err) {
			route.Status.MarkMissingTrafficTarget("Revision", name, now)
			return nil, false, nil
		}
		if err != nil {
			return nil, false, err
		}
		if !rev.IsReady() && t.RevisionName != "" {
			if rev.IsFailed() {
				route.Status.MarkRevisionFailed(name, now)
			} else {
				route.Status.MarkRevisionNotReady(name, now)
			}
			return nil, false, nil
		}
		t := typed.Clone(t)
		t.RevisionName = name
		out = append(out, resolved{target: t, rev: rev})
	}
	return out, true, nil
}

func (r *Reconciler) rolloutDurationOf(route *servingv1.Route) time.Duration {
	v := route.Annotations[servingv1.RolloutDurationKey]
	if v == "" {
		v = route.Annotations[servingv1.RolloutDurationLegacyKey]
	}
	if v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
		if n, err := strconv.Atoi(v); err == nil {
			return time.Duration(n) * time.Second
		}
	}
	return r.rolloutDuration
}

// rollout splits a latestRevision target between the revision it served
// and the new latest one while a gradual rollout runs: 1% first, then
// equal steps until the rollout duration has passed.
func (r *Reconciler) rollout(route *servingv1.Route, targets []resolved, now time.Time) ([]resolved, time.Duration, bool) {
	d := r.rolloutDurationOf(route)
	var state *rollout
	if s := route.Status.Annotations[rolloutStateAnnotation]; s != "" {
		state = &rollout{}
		if json.Unmarshal([]byte(s), state) != nil {
			state = nil
		}
	}
	setState := func(s *rollout) {
		if s == nil {
			delete(route.Status.Annotations, rolloutStateAnnotation)
			if len(route.Status.Annotations) == 0 {
				route.Status.Annotations = nil
			}
			return
		}
		b, _ := json.Marshal(s)
		if route.Status.Annotations == nil {
			route.Status.Annotations = map[string]string{}
		}
		route.Status.Annotations[rolloutStateAnnotation] = string(b)
	}
	if d <= 0 {
		setState(nil)
		return targets, 0, false
	}
	var out []resolved
	var requeue time.Duration
	active := false
	for _, t := range targets {
		latest := t.target.LatestRevision != nil && *t.target.LatestRevision && t.target.Tag == ""
		if !latest || t.target.Percent == nil || *t.target.Percent <= 1 {
			out = append(out, t)
			continue
		}
		cfgName := t.target.ConfigurationName
		if state == nil || state.Configuration != cfgName || state.To != t.target.RevisionName {
			// Start a rollout when this target served another revision.
			from := ""
			for _, p := range route.Status.Traffic {
				if p.LatestRevision != nil && *p.LatestRevision && p.Tag == "" && p.RevisionName != t.target.RevisionName {
					from = p.RevisionName
				}
			}
			if from == "" || (state != nil && state.To == t.target.RevisionName) {
				out = append(out, t)
				continue
			}
			if state != nil && state.Configuration == cfgName {
				from = state.To // a newer revision arrived mid-rollout
			}
			state = &rollout{Configuration: cfgName, From: from, To: t.target.RevisionName, StartUnixNano: now.UnixNano()}
		}
		elapsed := now.Sub(time.Unix(0, state.StartUnixNano))
		total := int(*t.target.Percent)
		if elapsed >= d {
			state = nil
			out = append(out, t)
			continue
		}
		share := 1 + int(float64(total-1)*float64(elapsed)/float64(d))
		share = min(share, total-1)
		active = true
		step := d / time.Duration(total-1)
		requeue = max(step, 250*time.Millisecond)
		nt := typed.Clone(t.target)
		p := int64(share)
		nt.Percent = &p
		out = append(out, resolved{target: nt, rev: t.rev})
		old := typed.Clone(t.target)
		old.RevisionName = state.From
		rest := int64(total - share)
		old.Percent = &rest
		f := false
		old.LatestRevision = &f
		out = append(out, resolved{target: old, rev: nil})
	}
	if active {
		setState(state)
	} else {
		setState(nil)
	}
	return out, requeue, active
}

// program builds the ingress route and the status traffic and URLs.
func (r *Reconciler) program(ctx context.Context, route *servingv1.Route, targets []resolved, rolling bool, now time.Time) error {
	clusterLocal := route.Labels[servingv1.VisibilityLabelKey] == servingv1.VisibilityClusterLocal
	ir := ingress.Route{Key: route.Namespace + "/" + route.Name, TagHosts: map[string]ingress.Target{}}
	if old := route.Status.Address; old != nil && old.URL != nil {
		if p, err := strconv.Atoi(old.URL.URL().Port()); err == nil {
			ir.AddressPort = p
		}
	}
	host, err := r.network.Host(route)
	if err != nil {
		route.Status.MarkIngressNotReady("DomainTemplateFailed", err.Error(), now)
		return nil
	}
	if !clusterLocal {
		ir.Hosts = []string{host}
	}
	var traffic []servingv1.TrafficTarget
	byRev := map[string]int{}
	for _, t := range targets {
		rev := t.rev
		if rev == nil {
			// The revision a rollout moves away from.
			rev = &servingv1.Revision{}
			err := r.c.Get(ctx, typed.Key(group, "revisions", route.Namespace, t.target.RevisionName), rev)
			if typed.IsNotFound(err) {
				// It is gone: its share goes to the new revision, which
				// the rollout put just before it.
				if n := len(traffic); n > 0 && t.target.Percent != nil {
					p := *traffic[n-1].Percent + *t.target.Percent
					traffic[n-1].Percent = &p
					if i, ok := byRev[traffic[n-1].RevisionName]; ok {
						ir.Targets[i].Percent += int(*t.target.Percent)
					}
				}
				continue
			}
			if err != nil {
				return fmt.Errorf("rollout source revision %s: %w", t.target.RevisionName, err)
			}
		}
		it := ingressTarget(route.Namespace, rev)
		st := servingv1.TrafficTarget{
			Tag: t.target.Tag, RevisionName: t.target.RevisionName,
			LatestRevision: t.target.LatestRevision, Percent: t.target.Percent,
		}
		if st.LatestRevision == nil {
			f := false
			st.LatestRevision = &f
		}
		if t.target.Tag != "" {
			th, err := r.network.TagHost(route, t.target.Tag)
			if err != nil {
				route.Status.MarkIngressNotReady("DomainTemplateFailed", err.Error(), now)
				return nil
			}
			if !clusterLocal {
				ir.TagHosts[th] = it
				u, _ := apis.ParseURL(r.network.URL(th))
				st.URL = u
			}
		}
		if t.target.Percent != nil && *t.target.Percent > 0 {
			if i, ok := byRev[it.Revision.Name]; ok {
				ir.Targets[i].Percent += int(*t.target.Percent)
			} else {
				it.Percent = int(*t.target.Percent)
				byRev[it.Revision.Name] = len(ir.Targets)
				ir.Targets = append(ir.Targets, it)
			}
		}
		traffic = append(traffic, st)
	}
	addr, err := r.table.SetRoute(ir)
	if err != nil {
		route.Status.MarkIngressNotReady("IngressConflict", err.Error(), now)
		return nil
	}
	addrURL, _ := apis.ParseURL(addr)
	route.Status.Address = &servingv1.Addressable{URL: addrURL}
	if clusterLocal {
		route.Status.URL = addrURL
	} else {
		route.Status.URL, _ = apis.ParseURL(r.network.URL(host))
	}
	route.Status.Traffic = traffic
	if rolling {
		route.Status.MarkIngressRolloutInProgress(now)
	} else {
		route.Status.MarkIngressReady(now)
	}
	route.Status.MarkTLSNotEnabled(servingv1.AutoTLSNotEnabledMessage, now)
	return nil
}

// ingressTarget describes a revision to the ingress.
func ingressTarget(ns string, rev *servingv1.Revision) ingress.Target {
	t := ingress.Target{Revision: pool.RevisionKey{Namespace: ns, Name: rev.Name}}
	if rev.Spec.Protocol() == "h2c" {
		t.Protocol = proxy.H2C
	}
	if s := rev.Spec.TimeoutSeconds; s != nil {
		t.Timeout = time.Duration(*s) * time.Second
	}
	if s := rev.Spec.ResponseStartTimeoutSeconds; s != nil {
		t.ResponseStartTimeout = time.Duration(*s) * time.Second
	}
	if s := rev.Spec.IdleTimeoutSeconds; s != nil {
		t.IdleTimeout = time.Duration(*s) * time.Second
	}
	return t
}

// labelRevisions marks the revisions the route sends traffic to as active,
// and the other revisions of its configurations that it used to route to,
// or that are ready but were never routed, as reserve, as Knative's labeler
// does; the revision reconciler scales by this state.
func (r *Reconciler) labelRevisions(ctx context.Context, route *servingv1.Route, targets []resolved, now time.Time) error {
	routed := map[string]bool{}
	configs := map[string]bool{}
	for _, t := range targets {
		routed[t.target.RevisionName] = true
		if t.target.ConfigurationName != "" {
			configs[t.target.ConfigurationName] = true
		}
		if t.rev != nil {
			if c := t.rev.Labels[servingv1.ConfigurationLabelKey]; c != "" {
				configs[c] = true
			}
		}
	}
	// Revisions this route used to send traffic to, of configurations it
	// no longer names, must leave the active state too.
	all, err := r.c.Store.List(ctx, store.ListOptions{Group: group, Resource: "revisions", Namespace: route.Namespace})
	if err != nil {
		return fmt.Errorf("list revisions: %w", err)
	}
	for _, o := range all.Items {
		for _, rt := range strings.Split(o.Meta.Annotations[servingv1.RoutesAnnotationKey], ",") {
			if rt == route.Name {
				if c := o.Meta.Labels[servingv1.ConfigurationLabelKey]; c != "" {
					configs[c] = true
				}
			}
		}
	}
	for cfg := range configs {
		latestCreated := ""
		cfgObj := &servingv1.Configuration{}
		if err := r.c.Get(ctx, typed.Key(group, "configurations", route.Namespace, cfg), cfgObj); err == nil {
			latestCreated = cfgObj.Status.LatestCreatedRevisionName
		} else if !typed.IsNotFound(err) {
			return err
		}
		sel := labels.SelectorFromSet(labels.Set{servingv1.ConfigurationLabelKey: cfg})
		list, err := r.c.Store.List(ctx, store.ListOptions{Group: group, Resource: "revisions", Namespace: route.Namespace, Labels: sel})
		if err != nil {
			return fmt.Errorf("list revisions of %s: %w", cfg, err)
		}
		for _, o := range list.Items {
			rev := &servingv1.Revision{}
			if err := r.c.Decode(ctx, o, rev); err != nil {
				return err
			}
			state := rev.GetRoutingState()
			want := state
			routes := routesOf(rev)
			switch {
			case routed[rev.Name]:
				want = servingv1.RoutingStateActive
				routes = addRoute(routes, route.Name)
			case state == servingv1.RoutingStateActive:
				routes = removeRoute(routes, route.Name)
				if len(routes) == 0 {
					want = servingv1.RoutingStateReserve
				}
			case state == servingv1.RoutingStatePending && rev.IsReady() && rev.Name != latestCreated:
				// Ready, superseded, and the route did not pick it: it
				// waits in reserve. The latest created revision stays
				// pending: its configuration is about to report it ready,
				// and then a latestRevision target takes it.
				want = servingv1.RoutingStateReserve
			}
			if want == state && strings.Join(routes, ",") == rev.Annotations[servingv1.RoutesAnnotationKey] {
				continue
			}
			old := typed.Clone(rev)
			if rev.Annotations == nil {
				rev.Annotations = map[string]string{}
			}
			rev.Labels[servingv1.RoutingStateLabelKey] = string(want)
			if want != state {
				rev.Annotations[servingv1.RoutingStateModifiedAnnotationKey] = now.UTC().Format(time.RFC3339)
			}
			if len(routes) > 0 {
				rev.Annotations[servingv1.RoutesAnnotationKey] = strings.Join(routes, ",")
			} else {
				delete(rev.Annotations, servingv1.RoutesAnnotationKey)
			}
			if err := r.c.Update(ctx, o.Key, rev, old); err != nil {
				return err
			}
		}
	}
	return nil
}

func routesOf(rev *servingv1.Revision) []string {
	v := rev.Annotations[servingv1.RoutesAnnotationKey]
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

func addRoute(routes []string, name string) []string {
	for _, r := range routes {
		if r == name {
			return routes
		}
	}
	return append(routes, name)
}

func removeRoute(routes []string, name string) []string {
	var out []string
	for _, r := range routes {
		if r != name {
			out = append(out, r)
		}
	}
	return out
}

// releaseRevisions removes a deleted route from the routes annotation of the
// revisions it sent traffic to, and puts those no route uses any more in
// reserve, so that they drain and can be collected.
func (r *Reconciler) releaseRevisions(ctx context.Context, ns, routeName string) error {
	list, err := r.c.Store.List(ctx, store.ListOptions{Group: group, Resource: "revisions", Namespace: ns})
	if err != nil {
		return fmt.Errorf("list revisions: %w", err)
	}
	now := r.c.Now()
	for _, o := range list.Items {
		routes := strings.Split(o.Meta.Annotations[servingv1.RoutesAnnotationKey], ",")
		left := removeRoute(routes, routeName)
		if len(left) == len(routes) {
			continue
		}
		rev := &servingv1.Revision{}
		if err := r.c.Decode(ctx, o, rev); err != nil {
			return err
		}
		old := typed.Clone(rev)
		left = removeRoute(left, "")
		if len(left) > 0 {
			rev.Annotations[servingv1.RoutesAnnotationKey] = strings.Join(left, ",")
		} else {
			delete(rev.Annotations, servingv1.RoutesAnnotationKey)
			if rev.GetRoutingState() == servingv1.RoutingStateActive {
				rev.Labels[servingv1.RoutingStateLabelKey] = string(servingv1.RoutingStateReserve)
				rev.Annotations[servingv1.RoutingStateModifiedAnnotationKey] = now.UTC().Format(time.RFC3339)
			}
		}
		if err := r.c.Update(ctx, o.Key, rev, old); err != nil && !typed.IsNotFound(err) {
			return err
		}
	}
	return nil
}
