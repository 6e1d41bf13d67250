package service

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/skiff-sh/skiff/internal/apis"
	corev1 "github.com/skiff-sh/skiff/internal/apis/core/v1"
	servingv1 "github.com/skiff-sh/skiff/internal/apis/serving/v1"
	"github.com/skiff-sh/skiff/internal/reconciler/reconcilertest"
	"github.com/skiff-sh/skiff/internal/reconciler/typed"
	"github.com/skiff-sh/skiff/internal/store"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const ns = "default"

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newClient(t *testing.T) *typed.Client {
	t.Helper()
	now := func() time.Time { return t0 }
	st := reconcilertest.NewStore(t, now)
	return &typed.Client{Store: st, Now: now}
}

func svcKey(name string) store.Key   { return typed.Key(group, "services", ns, name) }
func cfgKey(name string) store.Key   { return typed.Key(group, "configurations", ns, name) }
func routeKey(name string) store.Key { return typed.Key(group, "routes", ns, name) }

func ptr[T any](v T) *T { return &v }

func createService(t *testing.T, c *typed.Client, name, image string, ann map[string]string) {
	t.Helper()
	svc := &servingv1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "serving.knative.dev/v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"team": "a"}, Annotations: ann},
	}
	svc.Spec.Template.Spec.Containers = []corev1.Container{{Image: image}}
	if err := c.Create(context.Background(), svcKey(name), svc); err != nil {
		t.Fatal(err)
	}
}

func get[T apis.Object](t *testing.T, c *typed.Client, key store.Key, obj T) T {
	t.Helper()
	if err := c.Get(context.Background(), key, obj); err != nil {
		t.Fatal(err)
	}
	return obj
}

func reconcile(t *testing.T, r *Reconciler, name string) {
	t.Helper()
	if err := r.Reconcile(context.Background(), svcKey(name)); err != nil {
		t.Fatalf("Reconcile(%s) = %v", name, err)
	}
}

func cond(s *apis.Status, typ string) string {
	c := s.GetCondition(typ)
	if c == nil {
		return ""
	}
	return fmt.Sprintf("%s/%s/%s", c.Status, c.Reason, c.Message)
}

func TestReconcileCreatesChildren(t *testing.T) {
	c := newClient(t)
	r := &Reconciler{c: c}
	createService(t, c, "hello", "/bin/true", map[string]string{
		"kubectl.kubernetes.io/last-applied-configuration": "{}",
		"note": "kept",
	})
	reconcile(t, r, "hello")

	svc := get(t, c, svcKey("hello"), &servingv1.Service{})
	cfg := get(t, c, cfgKey("hello"), &servingv1.Configuration{})
	rt := get(t, c, routeKey("hello"), &servingv1.Route{})
	wantLabels := map[string]string{"team": "a", servingv1.ServiceLabelKey: "hello", servingv1.ServiceUIDLabelKey: string(svc.UID)}
	for kind, o := range map[string]metav1.Object{"configuration": cfg, "route": rt} {
		if diff := cmp.Diff(wantLabels, o.GetLabels()); diff != "" {
			t.Errorf("%s labels (-want +got):\n%s", kind, diff)
		}
		if diff := cmp.Diff(map[string]string{"note": "kept"}, o.GetAnnotations()); diff != "" {
			t.Errorf("%s annotations (-want +got):\n%s", kind, diff)
		}
		if !typed.IsControlledBy(o, svc) {
			t.Errorf("%s owners = %+v, want the service as controller", kind, o.GetOwnerReferences())
		}
	}
	if got := cfg.Spec.Template.Spec.GetContainer().Image; got != "/bin/true" {
		t.Errorf("configuration image = %q, want /bin/true", got)
	}
	wantTraffic := []servingv1.TrafficTarget{{ConfigurationName: "hello", LatestRevision: ptr(true), Percent: ptr[int64](100)}}
	if diff := cmp.Diff(wantTraffic, rt.Spec.Traffic); diff != "" {
		t.Errorf("route traffic (-want +got):\n%s", diff)
	}
	for _, typ := range []string{servingv1.ServiceConditionConfigurationsReady, servingv1.ServiceConditionRoutesReady, servingv1.ServiceConditionReady} {
		if got := svc.Status.GetCondition(typ); got == nil || got.Status != apis.ConditionUnknown {
			t.Errorf("%s = %+v, want Unknown", typ, got)
		}
	}
	if svc.Status.ObservedGeneration != svc.Generation {
		t.Errorf("observedGeneration = %d, want %d", svc.Status.ObservedGeneration, svc.Generation)
	}
}

func TestReconcileUpdatesChildren(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	r := &Reconciler{c: c}
	createService(t, c, "hello", "/bin/true", nil)
	reconcile(t, r, "hello")
	reconcile(t, r, "hello") // children exist and match: nothing changes

	cfg0 := get(t, c, cfgKey("hello"), &servingv1.Configuration{})
	rt0 := get(t, c, routeKey("hello"), &servingv1.Route{})

	// A new image and a split with a tag.
	svc := get(t, c, svcKey("hello"), &servingv1.Service{})
	old := typed.Clone(svc)
	svc.Spec.Template.Spec.Containers[0].Image = "/bin/false"
	svc.Spec.Traffic = []servingv1.TrafficTarget{
		{LatestRevision: ptr(true), Percent: ptr[int64](90)},
		{RevisionName: "hello-00001", Percent: ptr[int64](10), Tag: "v1"},
	}
	if err := c.Update(ctx, svcKey("hello"), svc, old); err != nil {
		t.Fatal(err)
	}
	reconcile(t, r, "hello")

	cfg := get(t, c, cfgKey("hello"), &servingv1.Configuration{})
	if got := cfg.Spec.Template.Spec.GetContainer().Image; got != "/bin/false" {
		t.Errorf("configuration image = %q, want /bin/false", got)
	}
	if cfg.Generation != cfg0.Generation+1 {
		t.Errorf("configuration generation = %d, want %d", cfg.Generation, cfg0.Generation+1)
	}
	rt := get(t, c, routeKey("hello"), &servingv1.Route{})
	wantTraffic := []servingv1.TrafficTarget{
		{ConfigurationName: "hello", LatestRevision: ptr(true), Percent: ptr[int64](90)},
		{RevisionName: "hello-00001", LatestRevision: ptr(false), Percent: ptr[int64](10), Tag: "v1"},
	}
	if diff := cmp.Diff(wantTraffic, rt.Spec.Traffic); diff != "" {
		t.Errorf("route traffic (-want +got):\n%s", diff)
	}
	if rt.Generation != rt0.Generation+1 {
		t.Errorf("route generation = %d, want %d", rt.Generation, rt0.Generation+1)
	}

	// Again: the children already match, so nothing is written.
	c1, _ := c.Store.Get(ctx, cfgKey("hello"))
	r1, _ := c.Store.Get(ctx, routeKey("hello"))
	reconcile(t, r, "hello")
	c2, _ := c.Store.Get(ctx, cfgKey("hello"))
	r2, _ := c.Store.Get(ctx, routeKey("hello"))
	if c1.Revision != c2.Revision || r1.Revision != r2.Revision {
		t.Errorf("unchanged reconcile wrote children: configuration %d -> %d, route %d -> %d", c1.Revision, c2.Revision, r1.Revision, r2.Revision)
	}
}

// setStatuses writes the children's statuses as their reconcilers would.
func setStatuses(t *testing.T, c *typed.Client, cfgMark func(*servingv1.Configuration), routeMark func(*servingv1.Route)) {
	t.Helper()
	ctx := context.Background()
	if cfgMark != nil {
		cfg := get(t, c, cfgKey("hello"), &servingv1.Configuration{})
		cfg.Status.InitializeConditions(t0)
		cfg.Status.ObservedGeneration = cfg.Generation
		cfgMark(cfg)
		if err := c.UpdateStatus(ctx, cfgKey("hello"), cfg); err != nil {
			t.Fatal(err)
		}
	}
	if routeMark != nil {
		rt := get(t, c, routeKey("hello"), &servingv1.Route{})
		rt.Status.InitializeConditions(t0)
		rt.Status.ObservedGeneration = rt.Generation
		routeMark(rt)
		if err := c.UpdateStatus(ctx, routeKey("hello"), rt); err != nil {
			t.Fatal(err)
		}
	}
}

func cfgReady(latest string) func(*servingv1.Configuration) {
	return func(cfg *servingv1.Configuration) {
		cfg.Status.SetLatestCreatedRevisionName(latest, t0)
		cfg.Status.SetLatestReadyRevisionName(latest, t0)
	}
}

func routeReady(rev string) func(*servingv1.Route) {
	return func(rt *servingv1.Route) {
		rt.Status.MarkTrafficAssigned(t0)
		rt.Status.MarkIngressReady(t0)
		rt.Status.MarkTLSNotEnabled(servingv1.AutoTLSNotEnabledMessage, t0)
		rt.Status.URL, _ = apis.ParseURL("http://hello.default.localhost")
		rt.Status.Traffic = []servingv1.TrafficTarget{{RevisionName: rev, LatestRevision: ptr(true), Percent: ptr[int64](100)}}
	}
}

func TestReconcilePropagatesChildren(t *testing.T) {
	tests := []struct {
		name       string
		cfgMark    func(*servingv1.Configuration)
		routeMark  func(*servingv1.Route)
		staleCfg   bool // the configuration's status is of an older generation
		staleRoute bool
		wantCfg    string
		wantRoute  string
		wantReady  apis.ConditionStatus
	}{{
		name:      "both ready",
		cfgMark:   cfgReady("hello-00001"),
		routeMark: routeReady("hello-00001"),
		wantCfg:   "True//", wantRoute: "True//", wantReady: apis.ConditionTrue,
	}, {
		name:    "configuration deploying",
		cfgMark: func(cfg *servingv1.Configuration) { cfg.Status.SetLatestCreatedRevisionName("hello-00001", t0) },
		routeMark: func(rt *servingv1.Route) {
			rt.Status.MarkConfigurationNotReady("hello", t0)
		},
		wantCfg:   "Unknown//",
		wantRoute: `Unknown/RevisionMissing/Configuration "hello" is waiting for a Revision to become ready.`,
		wantReady: apis.ConditionUnknown,
	}, {
		name: "configuration failed",
		cfgMark: func(cfg *servingv1.Configuration) {
			cfg.Status.SetLatestCreatedRevisionName("hello-00001", t0)
			cfg.Status.MarkLatestCreatedFailed("hello-00001", "boom", t0)
		},
		routeMark: func(rt *servingv1.Route) { rt.Status.MarkConfigurationFailed("hello", t0) },
		wantCfg:   `False/RevisionFailed/Revision "hello-00001" failed with message: boom.`,
		wantRoute: `False/RevisionMissing/Configuration "hello" does not have any ready Revision.`,
		wantReady: apis.ConditionFalse,
	}, {
		name:      "route still serves the previous revision",
		cfgMark:   cfgReady("hello-00002"),
		routeMark: routeReady("hello-00001"),
		wantCfg:   "True//", wantRoute: "Unknown/RouteNotYetReady/Waiting for Route to be ready",
		wantReady: apis.ConditionUnknown,
	}, {
		name:      "configuration status out of date",
		cfgMark:   cfgReady("hello-00001"),
		routeMark: routeReady("hello-00001"),
		staleCfg:  true,
		wantCfg:   "Unknown/OutOfDate/The Configuration is still working to reflect the latest desired specification.",
		wantRoute: "True//", wantReady: apis.ConditionUnknown,
	}, {
		name:       "route status out of date",
		cfgMark:    cfgReady("hello-00001"),
		routeMark:  routeReady("hello-00001"),
		staleRoute: true,
		wantCfg:    "True//",
		wantRoute:  "Unknown/OutOfDate/The Route is still working to reflect the latest desired specification.",
		wantReady:  apis.ConditionUnknown,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t)
			r := &Reconciler{c: c}
			createService(t, c, "hello", "/bin/true", nil)
			reconcile(t, r, "hello")
			setStatuses(t, c, tt.cfgMark, tt.routeMark)
			if tt.staleCfg || tt.staleRoute {
				// The children's specs change after their status was written.
				svc := get(t, c, svcKey("hello"), &servingv1.Service{})
				old := typed.Clone(svc)
				if tt.staleCfg {
					svc.Spec.Template.Spec.Containers[0].Image = "/bin/false"
				}
				if tt.staleRoute {
					svc.Spec.Traffic = []servingv1.TrafficTarget{
						{LatestRevision: ptr(true), Percent: ptr[int64](100), Tag: "current"},
					}
				}
				if err := c.Update(context.Background(), svcKey("hello"), svc, old); err != nil {
					t.Fatal(err)
				}
				reconcile(t, r, "hello") // updates the child
			}
			reconcile(t, r, "hello")
			svc := get(t, c, svcKey("hello"), &servingv1.Service{})
			if got := cond(&svc.Status.Status, servingv1.ServiceConditionConfigurationsReady); got != tt.wantCfg {
				t.Errorf("ConfigurationsReady = %q, want %q", got, tt.wantCfg)
			}
			if got := cond(&svc.Status.Status, servingv1.ServiceConditionRoutesReady); got != tt.wantRoute {
				t.Errorf("RoutesReady = %q, want %q", got, tt.wantRoute)
			}
			if got := svc.Status.GetCondition(servingv1.ServiceConditionReady).Status; got != tt.wantReady {
				t.Errorf("Ready = %s, want %s", got, tt.wantReady)
			}
			if tt.name == "both ready" {
				if svc.Status.URL.String() != "http://hello.default.localhost" || svc.Status.LatestReadyRevisionName != "hello-00001" ||
					svc.Status.LatestCreatedRevisionName != "hello-00001" || len(svc.Status.Traffic) != 1 {
					t.Errorf("service status fields not propagated: %+v", svc.Status)
				}
			}
		})
	}
}

func TestReconcileNotOwned(t *testing.T) {
	tests := []struct {
		kind      string
		create    func(t *testing.T, c *typed.Client)
		wantCond  string // the condition type
		wantValue string
	}{{
		kind: "Configuration",
		create: func(t *testing.T, c *typed.Client) {
			cfg := &servingv1.Configuration{
				TypeMeta:   metav1.TypeMeta{APIVersion: "serving.knative.dev/v1", Kind: "Configuration"},
				ObjectMeta: metav1.ObjectMeta{Name: "hello", Namespace: ns},
			}
			cfg.Spec.Template.Spec.Containers = []corev1.Container{{Image: "/bin/someone-elses"}}
			if err := c.Create(context.Background(), cfgKey("hello"), cfg); err != nil {
				t.Fatal(err)
			}
		},
		wantCond:  servingv1.ServiceConditionConfigurationsReady,
		wantValue: `False/NotOwned/There is an existing Configuration "hello" that we do not own.`,
	}, {
		kind: "Route",
		create: func(t *testing.T, c *typed.Client) {
			rt := &servingv1.Route{
				TypeMeta:   metav1.TypeMeta{APIVersion: "serving.knative.dev/v1", Kind: "Route"},
				ObjectMeta: metav1.ObjectMeta{Name: "hello", Namespace: ns},
				Spec: servingv1.RouteSpec{Traffic: []servingv1.TrafficTarget{
					{ConfigurationName: "elsewhere", Percent: ptr[int64](100)},
				}},
			}
			if err := c.Create(context.Background(), routeKey("hello"), rt); err != nil {
				t.Fatal(err)
			}
		},
		wantCond:  servingv1.ServiceConditionRoutesReady,
		wantValue: `False/NotOwned/There is an existing Route "hello" that we do not own.`,
	}}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			ctx := context.Background()
			c := newClient(t)
			r := &Reconciler{c: c}
			tt.create(t, c)
			key := cfgKey("hello")
			if tt.kind == "Route" {
				key = routeKey("hello")
			}
			before, err := c.Store.Get(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			createService(t, c, "hello", "/bin/true", nil)
			reconcile(t, r, "hello")
			reconcile(t, r, "hello")
			svc := get(t, c, svcKey("hello"), &servingv1.Service{})
			if got := cond(&svc.Status.Status, tt.wantCond); got != tt.wantValue {
				t.Errorf("%s = %q, want %q", tt.wantCond, got, tt.wantValue)
			}
			if !svc.IsFailed() {
				t.Errorf("service not failed: %+v", svc.Status.Conditions)
			}
			after, err := c.Store.Get(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			if before.Revision != after.Revision {
				t.Errorf("the %s the service does not own was written: resourceVersion %d -> %d", tt.kind, before.Revision, after.Revision)
			}
		})
	}
}

func TestReconcileMissingService(t *testing.T) {
	c := newClient(t)
	r := &Reconciler{c: c}
	if err := r.Reconcile(context.Background(), svcKey("gone")); err != nil {
		t.Errorf("Reconcile(missing) = %v, want nil", err)
	}
}
