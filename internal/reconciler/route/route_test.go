package route

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/skiff-sh/skiff/internal/apis"
	corev1 "github.com/skiff-sh/skiff/internal/apis/core/v1"
	servingv1 "github.com/skiff-sh/skiff/internal/apis/serving/v1"
	"github.com/skiff-sh/skiff/internal/controller"
	"github.com/skiff-sh/skiff/internal/reconciler/reconcilertest"
	"github.com/skiff-sh/skiff/internal/reconciler/route/resources"
	"github.com/skiff-sh/skiff/internal/reconciler/typed"
	"github.com/skiff-sh/skiff/internal/serving/ingress"
	"github.com/skiff-sh/skiff/internal/serving/pool"
	"github.com/skiff-sh/skiff/internal/serving/proxy"
	"github.com/skiff-sh/skiff/internal/store"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const ns = "default"

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type clock struct {
	mu sync.Mutex // guards t
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func ptr[T any](v T) *T { return &v }

// ---- rollout ----

// target builds a traffic target.
func target(cfg, rev, tag string, latest bool, percent int64) servingv1.TrafficTarget {
	return servingv1.TrafficTarget{ConfigurationName: cfg, RevisionName: rev, Tag: tag, LatestRevision: ptr(latest), Percent: ptr(percent)}
}

// split renders resolved targets as "rev:percent:latest[:tag]" for
// comparison.
func split(ts []resolved) []string {
	var out []string
	for _, t := range ts {
		p := int64(-1)
		if t.target.Percent != nil {
			p = *t.target.Percent
		}
		s := fmt.Sprintf("%s:%d:%t", t.target.RevisionName, p, *t.target.LatestRevision)
		if t.target.Tag != "" {
			s += ":" + t.target.Tag
		}
		out = append(out, s)
	}
	return out
}

func stateOf(t *testing.T, route *servingv1.Route) *rollout {
	t.Helper()
	s, ok := route.Status.Annotations[rolloutStateAnnotation]
	if !ok {
		return nil
	}
	st := &rollout{}
	if err := json.Unmarshal([]byte(s), st); err != nil {
		t.Fatalf("rollout state %q: %v", s, err)
	}
	return st
}

func TestRollout(t *testing.T) {
	now := t0
	d := 100 * time.Second
	withState := func(from, to string, started time.Duration) map[string]string {
		b, _ := json.Marshal(rollout{Configuration: "hello", From: from, To: to, StartUnixNano: now.Add(-started).UnixNano()})
		return map[string]string{rolloutStateAnnotation: string(b)}
	}
	served := []servingv1.TrafficTarget{target("", "hello-00001", "", true, 100)}
	tests := []struct {
		name        string
		annotations map[string]string // the route's
		global      time.Duration
		status      []servingv1.TrafficTarget // status.traffic before
		state       map[string]string         // status.annotations before
		targets     []servingv1.TrafficTarget
		want        []string
		wantRequeue time.Duration
		wantRolling bool
		wantState   *rollout // nil: cleared
	}{{
		name:    "no duration: unchanged",
		status:  served,
		state:   withState("hello-00001", "hello-00002", 10*time.Second),
		targets: []servingv1.TrafficTarget{target("hello", "hello-00002", "", true, 100)},
		want:    []string{"hello-00002:100:true"},
	}, {
		name:        "new revision: 1% first",
		annotations: map[string]string{RolloutDurationAnnotation: "100s"},
		status:      served,
		targets:     []servingv1.TrafficTarget{target("hello", "hello-00002", "", true, 100)},
		want:        []string{"hello-00002:1:true", "hello-00001:99:false"},
		wantRequeue: d / 99,
		wantRolling: true,
		wantState:   &rollout{Configuration: "hello", From: "hello-00001", To: "hello-00002", StartUnixNano: now.UnixNano()},
	}, {
		name:        "global duration without the annotation",
		global:      d,
		status:      served,
		targets:     []servingv1.TrafficTarget{target("hello", "hello-00002", "", true, 100)},
		want:        []string{"hello-00002:1:true", "hello-00001:99:false"},
		wantRequeue: d / 99,
		wantRolling: true,
		wantState:   &rollout{Configuration: "hello", From: "hello-00001", To: "hello-00002", StartUnixNano: now.UnixNano()},
	}, {
		name:        "annotation in seconds",
		annotations: map[string]string{RolloutDurationAnnotation: "100"},
		status:      served,
		targets:     []servingv1.TrafficTarget{target("hello", "hello-00002", "", true, 100)},
		want:        []string{"hello-00002:1:true", "hello-00001:99:false"},
		wantRequeue: d / 99,
		wantRolling: true,
		wantState:   &rollout{Configuration: "hello", From: "hello-00001", To: "hello-00002", StartUnixNano: now.UnixNano()},
	}, {
		name:        "halfway: about half",
		annotations: map[string]string{RolloutDurationAnnotation: "100s"},
		status:      []servingv1.TrafficTarget{target("", "hello-00002", "", true, 10), target("", "hello-00001", "", false, 90)},
		state:       withState("hello-00001", "hello-00002", 50*time.Second),
		targets:     []servingv1.TrafficTarget{target("hello", "hello-00002", "", true, 100)},
		want:        []string{"hello-00002:50:true", "hello-00001:50:false"},
		wantRequeue: d / 99,
		wantRolling: true,
		wantState:   &rollout{Configuration: "hello", From: "hello-00001", To: "hello-00002", StartUnixNano: now.Add(-50 * time.Second).UnixNano()},
	}, {
		name:        "almost done keeps 1% on the old revision",
		annotations: map[string]string{RolloutDurationAnnotation: "100s"},
		status:      []servingv1.TrafficTarget{target("", "hello-00002", "", true, 98), target("", "hello-00001", "", false, 2)},
		state:       withState("hello-00001", "hello-00002", 99999*time.Millisecond),
		targets:     []servingv1.TrafficTarget{target("hello", "hello-00002", "", true, 100)},
		want:        []string{"hello-00002:99:true", "hello-00001:1:false"},
		wantRequeue: d / 99,
		wantRolling: true,
		wantState:   &rollout{Configuration: "hello", From: "hello-00001", To: "hello-00002", StartUnixNano: now.Add(-99999 * time.Millisecond).UnixNano()},
	}, {
		name:        "after the duration: all to the new one, state cleared",
		annotations: map[string]string{RolloutDurationAnnotation: "100s"},
		status:      []servingv1.TrafficTarget{target("", "hello-00002", "", true, 99), target("", "hello-00001", "", false, 1)},
		state:       withState("hello-00001", "hello-00002", 100*time.Second),
		targets:     []servingv1.TrafficTarget{target("hello", "hello-00002", "", true, 100)},
		want:        []string{"hello-00002:100:true"},
	}, {
		name:        "part of the split rolls",
		annotations: map[string]string{RolloutDurationAnnotation: "100s"},
		status:      []servingv1.TrafficTarget{target("", "hello-00001", "", true, 60), target("", "hello-00001", "", false, 40)},
		state:       withState("hello-00001", "hello-00002", 50*time.Second),
		targets:     []servingv1.TrafficTarget{target("hello", "hello-00002", "", true, 60), target("", "hello-00001", "", false, 40)},
		want:        []string{"hello-00002:30:true", "hello-00001:30:false", "hello-00001:40:false"},
		wantRequeue: d / 59,
		wantRolling: true,
		wantState:   &rollout{Configuration: "hello", From: "hello-00001", To: "hello-00002", StartUnixNano: now.Add(-50 * time.Second).UnixNano()},
	}, {
		name:        "a newer revision mid-rollout starts over from the one rolling in",
		annotations: map[string]string{RolloutDurationAnnotation: "100s"},
		status:      []servingv1.TrafficTarget{target("", "hello-00002", "", true, 50), target("", "hello-00001", "", false, 50)},
		state:       withState("hello-00001", "hello-00002", 50*time.Second),
		targets:     []servingv1.TrafficTarget{target("hello", "hello-00003", "", true, 100)},
		want:        []string{"hello-00003:1:true", "hello-00002:99:false"},
		wantRequeue: d / 99,
		wantRolling: true,
		wantState:   &rollout{Configuration: "hello", From: "hello-00002", To: "hello-00003", StartUnixNano: now.UnixNano()},
	}, {
		name:        "first revision ever: nothing to roll from",
		annotations: map[string]string{RolloutDurationAnnotation: "100s"},
		targets:     []servingv1.TrafficTarget{target("hello", "hello-00001", "", true, 100)},
		want:        []string{"hello-00001:100:true"},
	}, {
		name:        "same revision as served: unchanged",
		annotations: map[string]string{RolloutDurationAnnotation: "100s"},
		status:      served,
		targets:     []servingv1.TrafficTarget{target("hello", "hello-00001", "", true, 100)},
		want:        []string{"hello-00001:100:true"},
	}, {
		name:        "percent 1 targets untouched",
		annotations: map[string]string{RolloutDurationAnnotation: "100s"},
		status:      []servingv1.TrafficTarget{target("", "hello-00001", "", true, 1), target("", "other-00001", "", false, 99)},
		targets:     []servingv1.TrafficTarget{target("hello", "hello-00002", "", true, 1), target("", "other-00001", "", false, 99)},
		want:        []string{"hello-00002:1:true", "other-00001:99:false"},
	}, {
		name:        "tags untouched",
		annotations: map[string]string{RolloutDurationAnnotation: "100s"},
		status:      []servingv1.TrafficTarget{target("", "hello-00001", "candidate", true, 100)},
		targets:     []servingv1.TrafficTarget{target("hello", "hello-00002", "candidate", true, 100)},
		want:        []string{"hello-00002:100:true:candidate"},
	}, {
		name:        "pinned revisions untouched",
		annotations: map[string]string{RolloutDurationAnnotation: "100s"},
		status:      served,
		targets:     []servingv1.TrafficTarget{target("", "hello-00002", "", false, 100)},
		want:        []string{"hello-00002:100:false"},
	}}
	for _, tt := range tests {
		r := &Reconciler{rolloutDuration: tt.global}
		route := &servingv1.Route{ObjectMeta: metav1.ObjectMeta{Name: "hello", Namespace: ns, Annotations: tt.annotations}}
		route.Status.Traffic = tt.status
		route.Status.Annotations = tt.state
		var in []resolved
		for _, tg := range tt.targets {
			in = append(in, resolved{target: tg, rev: &servingv1.Revision{ObjectMeta: metav1.ObjectMeta{Name: tg.RevisionName}}})
		}
		out, requeue, rolling := r.rollout(route, in, now)
		if diff := cmp.Diff(tt.want, split(out)); diff != "" {
			t.Errorf("%s: rollout() split (-want +got):\n%s", tt.name, diff)
		}
		if requeue != tt.wantRequeue {
			t.Errorf("%s: rollout() requeue = %v, want %v", tt.name, requeue, tt.wantRequeue)
		}
		if rolling != tt.wantRolling {
			t.Errorf("%s: rollout() rolling = %t, want %t", tt.name, rolling, tt.wantRolling)
		}
		if diff := cmp.Diff(tt.wantState, stateOf(t, route)); diff != "" {
			t.Errorf("%s: rollout state (-want +got):\n%s", tt.name, diff)
		}
		if tt.wantState == nil && route.Status.Annotations != nil {
			t.Errorf("%s: status annotations = %v, want nil once the state is cleared", tt.name, route.Status.Annotations)
		}
	}
}

// TestRolloutRequeueFloor: with many steps in a short duration, the route
// looks again no more than every 250ms.
func TestRolloutRequeueFloor(t *testing.T) {
	r := &Reconciler{rolloutDuration: 2 * time.Second}
	route := &servingv1.Route{ObjectMeta: metav1.ObjectMeta{Name: "hello", Namespace: ns}}
	route.Status.Traffic = []servingv1.TrafficTarget{target("", "hello-00001", "", true, 100)}
	_, requeue, _ := r.rollout(route, []resolved{{target: target("hello", "hello-00002", "", true, 100)}}, t0)
	if requeue != 250*time.Millisecond {
		t.Errorf("rollout() requeue = %v, want 250ms", requeue)
	}
}

// TestRolloutLegacyAnnotation: Knative reads serving.knative.dev/rollout-
// duration and its older spelling rolloutDuration (validation accepts both).
func TestRolloutLegacyAnnotation(t *testing.T) {
	r := &Reconciler{}
	route := &servingv1.Route{ObjectMeta: metav1.ObjectMeta{Name: "hello", Namespace: ns,
		Annotations: map[string]string{servingv1.RolloutDurationLegacyKey: "100s"}}}
	route.Status.Traffic = []servingv1.TrafficTarget{target("", "hello-00001", "", true, 100)}
	out, _, rolling := r.rollout(route, []resolved{{target: target("hello", "hello-00002", "", true, 100)}}, t0)
	if diff := cmp.Diff([]string{"hello-00002:1:true", "hello-00001:99:false"}, split(out)); diff != "" || !rolling {
		t.Errorf("rollout() rolling %t, split (-want +got):\n%s", rolling, diff)
	}
}

// ---- store-backed tests ----

func newClient(t *testing.T) (*typed.Client, *clock) {
	t.Helper()
	clk := &clock{t: t0}
	st := reconcilertest.NewStore(t, clk.Now)
	return &typed.Client{Store: st, Now: clk.Now}, clk
}

// fakeTable is a RouteTable that records what it is given.
type fakeTable struct {
	mu      sync.Mutex // guards every field
	routes  map[string]ingress.Route
	deleted []string
	err     error
}

var _ RouteTable = (*fakeTable)(nil)

func newFakeTable() *fakeTable { return &fakeTable{routes: map[string]ingress.Route{}} }

func (f *fakeTable) SetRoute(r ingress.Route) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return "", f.err
	}
	f.routes[r.Key] = r
	return "http://127.0.0.1:40123", nil
}

func (f *fakeTable) DeleteRoute(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deleted = append(f.deleted, key)
}

func (f *fakeTable) route(key string) (ingress.Route, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.routes[key]
	return r, ok
}

func network() resources.Network {
	n := resources.DefaultNetwork()
	n.Domain = "example.com"
	n.HTTPPort = 8080
	return n
}

func cfgKey(name string) store.Key   { return typed.Key(group, "configurations", ns, name) }
func revKey(name string) store.Key   { return typed.Key(group, "revisions", ns, name) }
func routeKey(name string) store.Key { return typed.Key(group, "routes", ns, name) }

// world builds configurations and revisions in the store.
type world struct {
	t *testing.T
	c *typed.Client
}

// configuration stores a configuration whose status names latestCreated
// and latestReady; failed marks it Ready False.
func (w world) configuration(name, latestCreated, latestReady string, failed bool) *servingv1.Configuration {
	w.t.Helper()
	ctx := context.Background()
	cfg := &servingv1.Configuration{
		TypeMeta:   metav1.TypeMeta{APIVersion: "serving.knative.dev/v1", Kind: "Configuration"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
	}
	cfg.Spec.Template.Spec.Containers = []corev1.Container{{Image: "/bin/true"}}
	if err := w.c.Create(ctx, cfgKey(name), cfg); err != nil {
		w.t.Fatal(err)
	}
	if err := w.c.Get(ctx, cfgKey(name), cfg); err != nil {
		w.t.Fatal(err)
	}
	now := w.c.Now()
	cfg.Status.InitializeConditions(now)
	cfg.Status.ObservedGeneration = cfg.Generation
	if latestCreated != "" {
		cfg.Status.SetLatestCreatedRevisionName(latestCreated, now)
	}
	if latestReady != "" {
		cfg.Status.SetLatestReadyRevisionName(latestReady, now)
	}
	if failed {
		cfg.Status.MarkLatestCreatedFailed(latestCreated, "boom", now)
	}
	if err := w.c.UpdateStatus(ctx, cfgKey(name), cfg); err != nil {
		w.t.Fatal(err)
	}
	return cfg
}

type revState int

const (
	deploying revState = iota
	isReady
	isFailed
)

// revision stores a revision of cfg in a routing state with routes (the
// serving.knative.dev/routes annotation).
func (w world) revision(cfg *servingv1.Configuration, name string, state servingv1.RoutingState, st revState, routes string, mod func(*servingv1.Revision)) {
	w.t.Helper()
	ctx := context.Background()
	rev := &servingv1.Revision{
		TypeMeta: metav1.TypeMeta{APIVersion: "serving.knative.dev/v1", Kind: "Revision"},
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: ns,
			Labels:          map[string]string{servingv1.ConfigurationLabelKey: cfg.Name, servingv1.RoutingStateLabelKey: string(state)},
			Annotations:     map[string]string{},
			OwnerReferences: []metav1.OwnerReference{typed.OwnerReference(cfg, "serving.knative.dev/v1", "Configuration")},
		},
	}
	if routes != "" {
		rev.Annotations[servingv1.RoutesAnnotationKey] = routes
	}
	rev.Spec.Containers = []corev1.Container{{Image: "/bin/true"}}
	if mod != nil {
		mod(rev)
	}
	if err := w.c.Create(ctx, revKey(name), rev); err != nil {
		w.t.Fatal(err)
	}
	if err := w.c.Get(ctx, revKey(name), rev); err != nil {
		w.t.Fatal(err)
	}
	now := w.c.Now()
	rev.Status.InitializeConditions(now)
	rev.Status.ObservedGeneration = rev.Generation
	switch st {
	case isReady:
		rev.Status.MarkContainerHealthyTrue(now)
		rev.Status.MarkResourcesAvailableTrue(now)
	case isFailed:
		rev.Status.MarkContainerHealthyFalse("ExitCode1", "boom", now)
	}
	if err := w.c.UpdateStatus(ctx, revKey(name), rev); err != nil {
		w.t.Fatal(err)
	}
}

func (w world) route(name string, labels map[string]string, traffic ...servingv1.TrafficTarget) {
	w.t.Helper()
	rt := &servingv1.Route{
		TypeMeta:   metav1.TypeMeta{APIVersion: "serving.knative.dev/v1", Kind: "Route"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels},
		Spec:       servingv1.RouteSpec{Traffic: traffic},
	}
	if err := w.c.Create(context.Background(), routeKey(name), rt); err != nil {
		w.t.Fatal(err)
	}
}

func (w world) getRoute(name string) *servingv1.Route {
	w.t.Helper()
	rt := &servingv1.Route{}
	if err := w.c.Get(context.Background(), routeKey(name), rt); err != nil {
		w.t.Fatal(err)
	}
	return rt
}

func (w world) getRevision(name string) *servingv1.Revision {
	w.t.Helper()
	rev := &servingv1.Revision{}
	if err := w.c.Get(context.Background(), revKey(name), rev); err != nil {
		w.t.Fatal(err)
	}
	return rev
}

func cond(s *apis.Status, typ string) string {
	c := s.GetCondition(typ)
	if c == nil {
		return ""
	}
	return fmt.Sprintf("%s/%s/%s", c.Status, c.Reason, c.Message)
}

func TestResolve(t *testing.T) {
	c, _ := newClient(t)
	w := world{t, c}
	hello := w.configuration("hello", "hello-00001", "hello-00001", false)
	w.revision(hello, "hello-00001", servingv1.RoutingStateActive, isReady, "", nil)
	w.revision(hello, "hello-00002", servingv1.RoutingStatePending, deploying, "", nil)
	w.revision(hello, "hello-00003", servingv1.RoutingStatePending, isFailed, "", nil)
	w.configuration("waiting", "waiting-00001", "", false)
	w.configuration("broken", "broken-00001", "", true)
	w.configuration("dangling", "dangling-00009", "dangling-00009", false)

	cfgTarget := func(name string) servingv1.TrafficTarget { return target(name, "", "", true, 100) }
	revTarget := func(name string) servingv1.TrafficTarget { return target("", name, "", false, 100) }
	tests := []struct {
		name     string
		traffic  []servingv1.TrafficTarget
		wantOK   bool
		wantCond string // AllTrafficAssigned
		wantRevs []string
	}{
		{"missing configuration", []servingv1.TrafficTarget{cfgTarget("nope")}, false,
			`False/ConfigurationMissing/Configuration "nope" referenced in traffic not found.`, nil},
		{"configuration not ready", []servingv1.TrafficTarget{cfgTarget("waiting")}, false,
			`Unknown/RevisionMissing/Configuration "waiting" is waiting for a Revision to become ready.`, nil},
		{"configuration failed", []servingv1.TrafficTarget{cfgTarget("broken")}, false,
			`False/RevisionMissing/Configuration "broken" does not have any ready Revision.`, nil},
		{"latest ready revision missing", []servingv1.TrafficTarget{cfgTarget("dangling")}, false,
			`False/RevisionMissing/Revision "dangling-00009" referenced in traffic not found.`, nil},
		{"missing revision", []servingv1.TrafficTarget{revTarget("nope")}, false,
			`False/RevisionMissing/Revision "nope" referenced in traffic not found.`, nil},
		{"revision not ready", []servingv1.TrafficTarget{revTarget("hello-00002")}, false,
			`Unknown/RevisionMissing/Revision "hello-00002" is not yet ready.`, nil},
		{"revision failed", []servingv1.TrafficTarget{revTarget("hello-00003")}, false,
			`False/RevisionMissing/Revision "hello-00003" failed to become ready.`, nil},
		{"ready revision resolved", []servingv1.TrafficTarget{cfgTarget("hello")}, true,
			"Unknown//", []string{"hello-00001"}},
		{"pinned and latest", []servingv1.TrafficTarget{target("hello", "", "", true, 50), target("", "hello-00001", "v1", false, 50)}, true,
			"Unknown//", []string{"hello-00001", "hello-00001"}},
	}
	r := &Reconciler{c: c}
	for _, tt := range tests {
		route := &servingv1.Route{ObjectMeta: metav1.ObjectMeta{Name: "r", Namespace: ns}, Spec: servingv1.RouteSpec{Traffic: tt.traffic}}
		route.Status.InitializeConditions(t0)
		got, ok, err := r.resolve(context.Background(), route, t0)
		if err != nil {
			t.Errorf("%s: resolve() error = %v", tt.name, err)
			continue
		}
		if ok != tt.wantOK {
			t.Errorf("%s: resolve() ok = %t, want %t", tt.name, ok, tt.wantOK)
		}
		if c := cond(&route.Status.Status, servingv1.RouteConditionAllTrafficAssigned); c != tt.wantCond {
			t.Errorf("%s: AllTrafficAssigned = %q, want %q", tt.name, c, tt.wantCond)
		}
		var revs []string
		for _, r := range got {
			revs = append(revs, r.target.RevisionName)
			if r.rev == nil || r.rev.Name != r.target.RevisionName {
				t.Errorf("%s: resolved target %q carries revision %v", tt.name, r.target.RevisionName, r.rev)
			}
		}
		if diff := cmp.Diff(tt.wantRevs, revs); diff != "" {
			t.Errorf("%s: resolved revisions (-want +got):\n%s", tt.name, diff)
		}
		// resolve does not change the spec's targets.
		if tt.traffic[0].RevisionName == "" && route.Spec.Traffic[0].RevisionName != "" {
			t.Errorf("%s: resolve() wrote the revision into the spec", tt.name)
		}
	}
}

func reconcile(t *testing.T, r *Reconciler, name string) {
	t.Helper()
	if err := r.Reconcile(context.Background(), routeKey(name)); err != nil {
		var ra controller.RequeueAfter
		if !errors.As(err, &ra) {
			t.Fatalf("Reconcile(%s) = %v", name, err)
		}
	}
}

func TestReconcileProgramsIngress(t *testing.T) {
	c, _ := newClient(t)
	w := world{t, c}
	table := newFakeTable()
	r := &Reconciler{c: c, table: table, network: network()}
	hello := w.configuration("hello", "hello-00002", "hello-00002", false)
	w.revision(hello, "hello-00001", servingv1.RoutingStateReserve, isReady, "", func(rev *servingv1.Revision) {
		rev.Spec.TimeoutSeconds = ptr[int64](30)
		rev.Spec.IdleTimeoutSeconds = ptr[int64](10)
		rev.Spec.ResponseStartTimeoutSeconds = ptr[int64](5)
	})
	w.revision(hello, "hello-00002", servingv1.RoutingStatePending, isReady, "", func(rev *servingv1.Revision) {
		rev.Spec.Containers[0].Ports = []corev1.ContainerPort{{Name: "h2c", ContainerPort: 8080}}
	})
	w.route("hello", nil,
		target("hello", "", "", true, 60),
		target("", "hello-00002", "", false, 10),
		target("", "hello-00001", "v1", false, 30),
		target("", "hello-00002", "latest", false, 0),
	)
	reconcile(t, r, "hello")

	got, ok := table.route("default/hello")
	if !ok {
		t.Fatal("SetRoute not called")
	}
	rev1 := ingress.Target{Revision: pool.RevisionKey{Namespace: ns, Name: "hello-00001"}, Timeout: 30 * time.Second, IdleTimeout: 10 * time.Second, ResponseStartTimeout: 5 * time.Second}
	rev2 := ingress.Target{Revision: pool.RevisionKey{Namespace: ns, Name: "hello-00002"}, Protocol: proxy.H2C, Timeout: 300 * time.Second}
	want := ingress.Route{
		Key:   "default/hello",
		Hosts: []string{"hello.default.example.com"},
		Targets: []ingress.Target{
			withPercent(rev2, 70), // 60 (latest) + 10 (pinned), merged
			withPercent(rev1, 30),
		},
		TagHosts: map[string]ingress.Target{
			"v1-hello.default.example.com":     rev1,
			"latest-hello.default.example.com": rev2,
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SetRoute (-want +got):\n%s", diff)
	}

	rt := w.getRoute("hello")
	if !rt.IsReady() {
		t.Errorf("route not Ready: %+v", rt.Status.Conditions)
	}
	if got := rt.Status.URL.String(); got != "http://hello.default.example.com:8080" {
		t.Errorf("status.url = %q, want http://hello.default.example.com:8080", got)
	}
	if got := rt.Status.Address.URL.String(); got != "http://127.0.0.1:40123" {
		t.Errorf("status.address.url = %q, want the ingress address", got)
	}
	var traffic []string
	for _, tg := range rt.Status.Traffic {
		u := ""
		if tg.URL != nil {
			u = tg.URL.String()
		}
		traffic = append(traffic, fmt.Sprintf("%s %s %d %t %s", tg.Tag, tg.RevisionName, *tg.Percent, *tg.LatestRevision, u))
	}
	wantTraffic := []string{
		" hello-00002 60 true ",
		" hello-00002 10 false ",
		"v1 hello-00001 30 false http://v1-hello.default.example.com:8080",
		"latest hello-00002 0 false http://latest-hello.default.example.com:8080",
	}
	if diff := cmp.Diff(wantTraffic, traffic); diff != "" {
		t.Errorf("status.traffic (-want +got):\n%s", diff)
	}
	if got := cond(&rt.Status.Status, servingv1.RouteConditionCertificateProvisioned); got != "True/TLSNotEnabled/"+servingv1.AutoTLSNotEnabledMessage {
		t.Errorf("CertificateProvisioned = %q", got)
	}
	for _, name := range []string{"hello-00001", "hello-00002"} {
		rev := w.getRevision(name)
		if s := rev.GetRoutingState(); s != servingv1.RoutingStateActive {
			t.Errorf("%s routing state = %q, want active", name, s)
		}
		if got := rev.Annotations[servingv1.RoutesAnnotationKey]; got != "hello" {
			t.Errorf("%s routes annotation = %q, want hello", name, got)
		}
	}

	// A reconcile with nothing new writes nothing.
	o1, _ := c.Store.Get(context.Background(), routeKey("hello"))
	reconcile(t, r, "hello")
	o2, _ := c.Store.Get(context.Background(), routeKey("hello"))
	if o1.Revision != o2.Revision {
		t.Errorf("an unchanged reconcile wrote the route: resourceVersion %d -> %d", o1.Revision, o2.Revision)
	}
}

func withPercent(t ingress.Target, p int) ingress.Target {
	t.Percent = p
	return t
}

func TestReconcileClusterLocal(t *testing.T) {
	c, _ := newClient(t)
	w := world{t, c}
	table := newFakeTable()
	r := &Reconciler{c: c, table: table, network: network()}
	hello := w.configuration("hello", "hello-00001", "hello-00001", false)
	w.revision(hello, "hello-00001", servingv1.RoutingStatePending, isReady, "", nil)
	w.route("private", map[string]string{servingv1.VisibilityLabelKey: servingv1.VisibilityClusterLocal},
		target("hello", "", "", true, 100), target("", "hello-00001", "v1", false, 0))
	reconcile(t, r, "private")

	got, ok := table.route("default/private")
	if !ok {
		t.Fatal("SetRoute not called")
	}
	if len(got.Hosts) != 0 || len(got.TagHosts) != 0 {
		t.Errorf("cluster-local SetRoute hosts %v, tag hosts %v, want none", got.Hosts, got.TagHosts)
	}
	if len(got.Targets) != 1 || got.Targets[0].Percent != 100 {
		t.Errorf("cluster-local SetRoute targets = %+v, want hello-00001 at 100", got.Targets)
	}
	rt := w.getRoute("private")
	if rt.Status.URL.String() != "http://127.0.0.1:40123" || rt.Status.Address.URL.String() != "http://127.0.0.1:40123" {
		t.Errorf("status.url %v, address %v, want both the ingress address", rt.Status.URL, rt.Status.Address.URL)
	}
	for _, tg := range rt.Status.Traffic {
		if tg.URL != nil {
			t.Errorf("cluster-local tag %q has URL %v, want none", tg.Tag, tg.URL)
		}
	}
	if !rt.IsReady() {
		t.Errorf("route not Ready: %+v", rt.Status.Conditions)
	}
}

func TestReconcileNotResolved(t *testing.T) {
	c, _ := newClient(t)
	w := world{t, c}
	table := newFakeTable()
	r := &Reconciler{c: c, table: table, network: network()}
	w.route("hello", nil, target("nope", "", "", true, 100))
	reconcile(t, r, "hello")
	if _, ok := table.route("default/hello"); ok {
		t.Error("SetRoute called for a route whose target is missing")
	}
	rt := w.getRoute("hello")
	if got := cond(&rt.Status.Status, servingv1.RouteConditionAllTrafficAssigned); got != `False/ConfigurationMissing/Configuration "nope" referenced in traffic not found.` {
		t.Errorf("AllTrafficAssigned = %q", got)
	}
	if !rt.IsFailed() {
		t.Errorf("route not failed: %+v", rt.Status.Conditions)
	}
}

func TestReconcileIngressConflict(t *testing.T) {
	c, _ := newClient(t)
	w := world{t, c}
	table := newFakeTable()
	table.err = errors.New(`host "hello.default.example.com" is taken by default/other`)
	r := &Reconciler{c: c, table: table, network: network()}
	hello := w.configuration("hello", "hello-00001", "hello-00001", false)
	w.revision(hello, "hello-00001", servingv1.RoutingStatePending, isReady, "", nil)
	w.route("hello", nil, target("hello", "", "", true, 100))
	reconcile(t, r, "hello")
	rt := w.getRoute("hello")
	if got := cond(&rt.Status.Status, servingv1.RouteConditionIngressReady); got != `False/IngressConflict/host "hello.default.example.com" is taken by default/other` {
		t.Errorf("IngressReady = %q", got)
	}
}

func TestReconcileDeletedRoute(t *testing.T) {
	c, _ := newClient(t)
	table := newFakeTable()
	r := &Reconciler{c: c, table: table, network: network()}
	reconcile(t, r, "gone")
	if diff := cmp.Diff([]string{"default/gone"}, table.deleted); diff != "" {
		t.Errorf("DeleteRoute calls (-want +got):\n%s", diff)
	}
}

func TestReconcileRollout(t *testing.T) {
	c, clk := newClient(t)
	w := world{t, c}
	table := newFakeTable()
	r := &Reconciler{c: c, table: table, network: network(), rolloutDuration: 100 * time.Second}
	hello := w.configuration("hello", "hello-00001", "hello-00001", false)
	w.revision(hello, "hello-00001", servingv1.RoutingStatePending, isReady, "", nil)
	w.route("hello", nil, target("hello", "", "", true, 100))
	reconcile(t, r, "hello")

	// hello-00002 becomes the latest ready.
	w.revision(hello, "hello-00002", servingv1.RoutingStatePending, isReady, "", nil)
	cfg := &servingv1.Configuration{}
	if err := c.Get(context.Background(), cfgKey("hello"), cfg); err != nil {
		t.Fatal(err)
	}
	cfg.Status.SetLatestCreatedRevisionName("hello-00002", c.Now())
	cfg.Status.SetLatestReadyRevisionName("hello-00002", c.Now())
	if err := c.UpdateStatus(context.Background(), cfgKey("hello"), cfg); err != nil {
		t.Fatal(err)
	}
	percents := func() map[string]int {
		t.Helper()
		got, _ := table.route("default/hello")
		m := map[string]int{}
		for _, tg := range got.Targets {
			m[tg.Revision.Name] = tg.Percent
		}
		return m
	}
	err := r.Reconcile(context.Background(), routeKey("hello"))
	var ra controller.RequeueAfter
	if !errors.As(err, &ra) || ra.After != 100*time.Second/99 {
		t.Errorf("Reconcile() = %v, want RequeueAfter %v", err, 100*time.Second/99)
	}
	if diff := cmp.Diff(map[string]int{"hello-00002": 1, "hello-00001": 99}, percents()); diff != "" {
		t.Errorf("first step (-want +got):\n%s", diff)
	}
	rt := w.getRoute("hello")
	if got := cond(&rt.Status.Status, servingv1.RouteConditionReady); got != "Unknown/RolloutInProgress/A gradual rollout of the latest revision(s) is in progress." {
		t.Errorf("Ready during rollout = %q", got)
	}
	for _, name := range []string{"hello-00001", "hello-00002"} {
		if s := w.getRevision(name).GetRoutingState(); s != servingv1.RoutingStateActive {
			t.Errorf("%s routing state = %q during the rollout, want active", name, s)
		}
	}

	clk.Set(t0.Add(50 * time.Second))
	reconcile(t, r, "hello")
	if diff := cmp.Diff(map[string]int{"hello-00002": 50, "hello-00001": 50}, percents()); diff != "" {
		t.Errorf("halfway (-want +got):\n%s", diff)
	}

	clk.Set(t0.Add(101 * time.Second))
	if err := r.Reconcile(context.Background(), routeKey("hello")); err != nil {
		t.Errorf("Reconcile() after the rollout = %v, want nil", err)
	}
	if diff := cmp.Diff(map[string]int{"hello-00002": 100}, percents()); diff != "" {
		t.Errorf("done (-want +got):\n%s", diff)
	}
	rt = w.getRoute("hello")
	if !rt.IsReady() {
		t.Errorf("route not Ready after the rollout: %+v", rt.Status.Conditions)
	}
	if _, ok := rt.Status.Annotations[rolloutStateAnnotation]; ok {
		t.Errorf("rollout state left in status annotations: %v", rt.Status.Annotations)
	}
	if s := w.getRevision("hello-00001").GetRoutingState(); s != servingv1.RoutingStateReserve {
		t.Errorf("hello-00001 routing state after the rollout = %q, want reserve", s)
	}
}

func TestReconcileRoutingStates(t *testing.T) {
	c, clk := newClient(t)
	w := world{t, c}
	table := newFakeTable()
	r := &Reconciler{c: c, table: table, network: network()}
	hello := w.configuration("hello", "hello-00005", "hello-00004", false)
	w.revision(hello, "hello-00001", servingv1.RoutingStateActive, isReady, "hello", nil)       // was routed by this route only
	w.revision(hello, "hello-00002", servingv1.RoutingStateActive, isReady, "hello,other", nil) // also routed by another
	w.revision(hello, "hello-00003", servingv1.RoutingStatePending, isReady, "", nil)           // ready, superseded, never routed
	w.revision(hello, "hello-00004", servingv1.RoutingStatePending, isReady, "", nil)           // the latest ready
	w.revision(hello, "hello-00005", servingv1.RoutingStatePending, deploying, "", nil)         // the latest created
	w.route("hello", nil, target("hello", "", "", true, 100))
	now := t0.Add(time.Hour)
	clk.Set(now)
	reconcile(t, r, "hello")

	tests := []struct {
		rev        string
		wantState  servingv1.RoutingState
		wantRoutes string
		modified   bool // routingStateModified set to now
	}{
		{"hello-00001", servingv1.RoutingStateReserve, "", true},
		{"hello-00002", servingv1.RoutingStateActive, "other", false},
		{"hello-00003", servingv1.RoutingStateReserve, "", true},
		{"hello-00004", servingv1.RoutingStateActive, "hello", true},
		{"hello-00005", servingv1.RoutingStatePending, "", false},
	}
	for _, tt := range tests {
		rev := w.getRevision(tt.rev)
		if got := rev.GetRoutingState(); got != tt.wantState {
			t.Errorf("%s routing state = %q, want %q", tt.rev, got, tt.wantState)
		}
		if got := rev.Annotations[servingv1.RoutesAnnotationKey]; got != tt.wantRoutes {
			t.Errorf("%s routes = %q, want %q", tt.rev, got, tt.wantRoutes)
		}
		mod := rev.Annotations[servingv1.RoutingStateModifiedAnnotationKey]
		if tt.modified && mod != now.Format(time.RFC3339) {
			t.Errorf("%s routingStateModified = %q, want %q", tt.rev, mod, now.Format(time.RFC3339))
		}
		if !tt.modified && mod != "" {
			t.Errorf("%s routingStateModified = %q, want none (state unchanged)", tt.rev, mod)
		}
		if rev.Generation != 1 {
			t.Errorf("%s generation = %d after labelling, want 1 (metadata only)", tt.rev, rev.Generation)
		}
	}
}

// TestReconcileRoutingStateOfDroppedConfiguration: when a route stops
// naming a configuration, the revisions it sent traffic to there are no
// longer routed and go to reserve, as Knative's labeler clears them.
func TestReconcileRoutingStateOfDroppedConfiguration(t *testing.T) {
	c, _ := newClient(t)
	w := world{t, c}
	table := newFakeTable()
	r := &Reconciler{c: c, table: table, network: network()}
	a := w.configuration("a", "a-00001", "a-00001", false)
	w.revision(a, "a-00001", servingv1.RoutingStateActive, isReady, "hello", nil)
	b := w.configuration("b", "b-00001", "b-00001", false)
	w.revision(b, "b-00001", servingv1.RoutingStatePending, isReady, "", nil)
	w.route("hello", nil, target("b", "", "", true, 100))
	reconcile(t, r, "hello")
	rev := w.getRevision("a-00001")
	if s := rev.GetRoutingState(); s != servingv1.RoutingStateReserve {
		t.Errorf("a-00001 routing state = %q, want reserve", s)
	}
	if got := rev.Annotations[servingv1.RoutesAnnotationKey]; got != "" {
		t.Errorf("a-00001 routes = %q, want none", got)
	}
}

// TestDeletedRouteReleasesRevisions: a deleted Route leaves the routes
// annotation of its revisions, and those no route uses go to reserve.
func TestDeletedRouteReleasesRevisions(t *testing.T) {
	c, _ := newClient(t)
	w := world{t: t, c: c}
	cfg := w.configuration("a", "a-00001", "a-00001", false)
	w.revision(cfg, "a-00001", servingv1.RoutingStateActive, isReady, "web,other", nil)
	w.revision(cfg, "a-00002", servingv1.RoutingStateActive, isReady, "web", nil)
	r := &Reconciler{c: c, table: newFakeTable(), network: network()}
	if err := r.Reconcile(context.Background(), routeKey("web")); err != nil {
		t.Fatal(err)
	}
	if got := w.getRevision("a-00001"); got.GetRoutingState() != servingv1.RoutingStateActive || got.Annotations[servingv1.RoutesAnnotationKey] != "other" {
		t.Errorf("a-00001 after deleting web: state %s, routes %q; want active and other", got.GetRoutingState(), got.Annotations[servingv1.RoutesAnnotationKey])
	}
	if got := w.getRevision("a-00002"); got.GetRoutingState() != servingv1.RoutingStateReserve || got.Annotations[servingv1.RoutesAnnotationKey] != "" {
		t.Errorf("a-00002 after deleting web: state %s, routes %q; want reserve and none", got.GetRoutingState(), got.Annotations[servingv1.RoutesAnnotationKey])
	}
}
