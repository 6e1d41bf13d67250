package configuration

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/skiff-sh/skiff/internal/apis"
	corev1 "github.com/skiff-sh/skiff/internal/apis/core/v1"
	servingv1 "github.com/skiff-sh/skiff/internal/apis/serving/v1"
	"github.com/skiff-sh/skiff/internal/controller"
	"github.com/skiff-sh/skiff/internal/reconciler/reconcilertest"
	"github.com/skiff-sh/skiff/internal/reconciler/typed"
	"github.com/skiff-sh/skiff/internal/store"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const ns = "default"

// clock is a settable time source shared by the store (creationTimestamp)
// and the reconciler.
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

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newClient(t *testing.T) (*typed.Client, *clock) {
	t.Helper()
	clk := &clock{t: t0}
	st := reconcilertest.NewStore(t, clk.Now)
	return &typed.Client{Store: st, Now: clk.Now}, clk
}

func newReconciler(c *typed.Client, gc GC) *Reconciler {
	return &Reconciler{c: c, gc: gc, log: slog.New(slog.DiscardHandler)}
}

func cfgKey(name string) store.Key { return typed.Key(group, "configurations", ns, name) }
func revKey(name string) store.Key { return typed.Key(group, "revisions", ns, name) }

func createConfiguration(t *testing.T, c *typed.Client, name, revName, image string) {
	t.Helper()
	cfg := &servingv1.Configuration{
		TypeMeta:   metav1.TypeMeta{APIVersion: "serving.knative.dev/v1", Kind: "Configuration"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
	}
	cfg.Spec.Template.Name = revName
	cfg.Spec.Template.Labels = map[string]string{"app": "x"}
	cfg.Spec.Template.Annotations = map[string]string{servingv1.MinScaleAnnotationKey: "1"}
	cfg.Spec.Template.Spec.Containers = []corev1.Container{{Image: image}}
	if err := c.Create(context.Background(), cfgKey(name), cfg); err != nil {
		t.Fatal(err)
	}
}

func getConfiguration(t *testing.T, c *typed.Client, name string) *servingv1.Configuration {
	t.Helper()
	cfg := &servingv1.Configuration{}
	if err := c.Get(context.Background(), cfgKey(name), cfg); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func getRevision(t *testing.T, c *typed.Client, name string) *servingv1.Revision {
	t.Helper()
	rev := &servingv1.Revision{}
	if err := c.Get(context.Background(), revKey(name), rev); err != nil {
		t.Fatal(err)
	}
	return rev
}

// setRevisionStatus writes the revision's status as its reconciler would.
func setRevisionStatus(t *testing.T, c *typed.Client, name string, mark func(rs *servingv1.RevisionStatus, now time.Time)) {
	t.Helper()
	rev := getRevision(t, c, name)
	rev.Status.ObservedGeneration = rev.Generation
	rev.Status.InitializeConditions(c.Now())
	mark(&rev.Status, c.Now())
	if err := c.UpdateStatus(context.Background(), revKey(name), rev); err != nil {
		t.Fatal(err)
	}
}

func ready(rs *servingv1.RevisionStatus, now time.Time) {
	rs.MarkContainerHealthyTrue(now)
	rs.MarkResourcesAvailableTrue(now)
}

func cond(s *apis.Status, typ string) string {
	c := s.GetCondition(typ)
	if c == nil {
		return ""
	}
	return fmt.Sprintf("%s/%s/%s", c.Status, c.Reason, c.Message)
}

func reconcile(t *testing.T, r *Reconciler, name string) {
	t.Helper()
	if err := r.Reconcile(context.Background(), cfgKey(name)); err != nil {
		var ra controller.RequeueAfter
		if !errors.As(err, &ra) {
			t.Fatalf("Reconcile(%s) = %v", name, err)
		}
	}
}

func TestReconcileRevisionLifecycle(t *testing.T) {
	c, _ := newClient(t)
	r := newReconciler(c, DefaultGC())
	createConfiguration(t, c, "hello", "", "/bin/true")

	// The first reconcile stamps out the first revision.
	reconcile(t, r, "hello")
	cfg := getConfiguration(t, c, "hello")
	rev := getRevision(t, c, "hello-00001")
	wantLabels := map[string]string{
		"app":                                     "x",
		servingv1.ConfigurationLabelKey:           "hello",
		servingv1.ConfigurationUIDLabelKey:        string(cfg.UID),
		servingv1.ConfigurationGenerationLabelKey: "1",
		servingv1.RoutingStateLabelKey:            "pending",
	}
	if diff := cmp.Diff(wantLabels, rev.Labels); diff != "" {
		t.Errorf("revision labels (-want +got):\n%s", diff)
	}
	if !typed.IsControlledBy(rev, cfg) {
		t.Errorf("revision owners = %+v, want a controller reference to the configuration", rev.OwnerReferences)
	}
	if rev.Annotations[servingv1.MinScaleAnnotationKey] != "1" {
		t.Errorf("revision annotations = %v, want the template's", rev.Annotations)
	}
	if got := rev.Spec.GetContainer().Image; got != "/bin/true" {
		t.Errorf("revision image = %q, want /bin/true", got)
	}
	if cfg.Status.LatestCreatedRevisionName != "hello-00001" || cfg.Status.LatestReadyRevisionName != "" {
		t.Errorf("latestCreated, latestReady = %q, %q, want hello-00001, \"\"", cfg.Status.LatestCreatedRevisionName, cfg.Status.LatestReadyRevisionName)
	}
	if got := cond(&cfg.Status.Status, servingv1.ConfigurationConditionReady); !strings.HasPrefix(got, "Unknown/") {
		t.Errorf("Ready = %q, want Unknown", got)
	}
	if cfg.Status.ObservedGeneration != 1 {
		t.Errorf("observedGeneration = %d, want 1", cfg.Status.ObservedGeneration)
	}

	// The revision becomes ready: it is the latest ready, and the
	// configuration is Ready.
	setRevisionStatus(t, c, "hello-00001", ready)
	reconcile(t, r, "hello")
	cfg = getConfiguration(t, c, "hello")
	if cfg.Status.LatestReadyRevisionName != "hello-00001" {
		t.Errorf("latestReady = %q, want hello-00001", cfg.Status.LatestReadyRevisionName)
	}
	if !cfg.IsReady() {
		t.Errorf("configuration not Ready: %+v", cfg.Status.Conditions)
	}

	// A new template stamps out the second revision; the first stays the
	// latest ready meanwhile.
	old := typed.Clone(cfg)
	cfg.Spec.Template.Spec.Containers[0].Image = "/bin/false"
	if err := c.Update(context.Background(), cfgKey("hello"), cfg, old); err != nil {
		t.Fatal(err)
	}
	reconcile(t, r, "hello")
	cfg = getConfiguration(t, c, "hello")
	if cfg.Generation != 2 {
		t.Fatalf("generation = %d, want 2", cfg.Generation)
	}
	if got := getRevision(t, c, "hello-00002").Labels[servingv1.ConfigurationGenerationLabelKey]; got != "2" {
		t.Errorf("second revision's generation label = %q, want 2", got)
	}
	if cfg.Status.LatestCreatedRevisionName != "hello-00002" || cfg.Status.LatestReadyRevisionName != "hello-00001" {
		t.Errorf("latestCreated, latestReady = %q, %q, want hello-00002, hello-00001", cfg.Status.LatestCreatedRevisionName, cfg.Status.LatestReadyRevisionName)
	}
	if got := cond(&cfg.Status.Status, servingv1.ConfigurationConditionReady); !strings.HasPrefix(got, "Unknown/") {
		t.Errorf("Ready = %q, want Unknown while the new revision deploys", got)
	}

	// It fails.
	setRevisionStatus(t, c, "hello-00002", func(rs *servingv1.RevisionStatus, now time.Time) {
		rs.MarkContainerHealthyFalse("ExitCode1", "Container failed with: boom", now)
	})
	reconcile(t, r, "hello")
	cfg = getConfiguration(t, c, "hello")
	want := `False/RevisionFailed/Revision "hello-00002" failed with message: Container failed with: boom.`
	if got := cond(&cfg.Status.Status, servingv1.ConfigurationConditionReady); got != want {
		t.Errorf("Ready = %q, want %q", got, want)
	}
	if cfg.Status.LatestReadyRevisionName != "hello-00001" {
		t.Errorf("latestReady = %q, want hello-00001 to keep serving", cfg.Status.LatestReadyRevisionName)
	}

	// The latest ready revision is deleted.
	if _, err := c.Store.Delete(context.Background(), revKey("hello-00001"), store.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	reconcile(t, r, "hello")
	cfg = getConfiguration(t, c, "hello")
	want = `False/RevisionDeleted/Revision "hello-00001" was deleted.`
	if got := cond(&cfg.Status.Status, servingv1.ConfigurationConditionReady); got != want {
		t.Errorf("Ready = %q, want %q", got, want)
	}
	if cfg.Status.LatestReadyRevisionName != "" {
		t.Errorf("latestReady = %q, want \"\"", cfg.Status.LatestReadyRevisionName)
	}
}

func TestReconcileUnchangedWritesNothing(t *testing.T) {
	c, clk := newClient(t)
	r := newReconciler(c, DefaultGC())
	createConfiguration(t, c, "hello", "", "/bin/true")
	reconcile(t, r, "hello")
	setRevisionStatus(t, c, "hello-00001", ready)
	reconcile(t, r, "hello")
	o1, err := c.Store.Get(context.Background(), cfgKey("hello"))
	if err != nil {
		t.Fatal(err)
	}
	clk.Set(t0.Add(time.Minute))
	reconcile(t, r, "hello")
	o2, err := c.Store.Get(context.Background(), cfgKey("hello"))
	if err != nil {
		t.Fatal(err)
	}
	if o1.Revision != o2.Revision {
		t.Errorf("an unchanged reconcile wrote the configuration: resourceVersion %d -> %d", o1.Revision, o2.Revision)
	}
}

func TestReconcileUserNamedRevisionOwnedByAnother(t *testing.T) {
	ctx := context.Background()
	c, _ := newClient(t)
	r := newReconciler(c, DefaultGC())
	// Configuration "other" made "hello-blue" first.
	createConfiguration(t, c, "other", "", "/bin/true")
	other := getConfiguration(t, c, "other")
	taken := &servingv1.Revision{
		TypeMeta: metav1.TypeMeta{APIVersion: "serving.knative.dev/v1", Kind: "Revision"},
		ObjectMeta: metav1.ObjectMeta{
			Name: "hello-blue", Namespace: ns,
			Labels:          map[string]string{servingv1.ConfigurationLabelKey: "other"},
			OwnerReferences: []metav1.OwnerReference{typed.OwnerReference(other, "serving.knative.dev/v1", "Configuration")},
		},
	}
	taken.Spec.Containers = []corev1.Container{{Image: "/bin/true"}}
	if err := c.Create(ctx, revKey("hello-blue"), taken); err != nil {
		t.Fatal(err)
	}

	createConfiguration(t, c, "hello", "hello-blue", "/bin/false")
	reconcile(t, r, "hello")
	cfg := getConfiguration(t, c, "hello")
	want := `False/RevisionFailed/Revision creation failed with message: revision "hello-blue" already exists and is not owned by configuration "hello".`
	if got := cond(&cfg.Status.Status, servingv1.ConfigurationConditionReady); got != want {
		t.Errorf("Ready = %q, want %q", got, want)
	}
	if cfg.Status.LatestCreatedRevisionName != "" {
		t.Errorf("latestCreated = %q, want \"\"", cfg.Status.LatestCreatedRevisionName)
	}
	if got := getRevision(t, c, "hello-blue").Spec.GetContainer().Image; got != "/bin/true" {
		t.Errorf("the other configuration's revision changed: image %q", got)
	}
}

func TestReconcileUserNamedRevision(t *testing.T) {
	c, _ := newClient(t)
	r := newReconciler(c, DefaultGC())
	createConfiguration(t, c, "hello", "hello-blue", "/bin/true")
	reconcile(t, r, "hello")
	cfg := getConfiguration(t, c, "hello")
	if cfg.Status.LatestCreatedRevisionName != "hello-blue" {
		t.Errorf("latestCreated = %q, want hello-blue", cfg.Status.LatestCreatedRevisionName)
	}
	// Reconciling again finds its own revision.
	setRevisionStatus(t, c, "hello-blue", ready)
	reconcile(t, r, "hello")
	if cfg := getConfiguration(t, c, "hello"); !cfg.IsReady() || cfg.Status.LatestReadyRevisionName != "hello-blue" {
		t.Errorf("configuration Ready %t latestReady %q, want true, hello-blue", cfg.IsReady(), cfg.Status.LatestReadyRevisionName)
	}
}

func TestReconcileMissingConfiguration(t *testing.T) {
	c, _ := newClient(t)
	r := newReconciler(c, DefaultGC())
	if err := r.Reconcile(context.Background(), cfgKey("gone")); err != nil {
		t.Errorf("Reconcile(missing) = %v, want nil", err)
	}
}

// gcRev is a revision of the GC tests. Ages are before now; activeAgo 0
// means no routingStateModified annotation (last active = created).
type gcRev struct {
	name       string
	createdAgo time.Duration
	activeAgo  time.Duration
	state      servingv1.RoutingState
	noGC       bool
}

func TestCollect(t *testing.T) {
	small := GC{RetainSinceCreateTime: 2 * time.Hour, RetainSinceLastActiveTime: time.Hour, MinNonActiveRevisions: 1, MaxNonActiveRevisions: 3}
	reserve := servingv1.RoutingStateReserve
	tests := []struct {
		name          string
		gc            GC
		revs          []gcRev
		latestCreated string
		latestReady   string
		wantKept      []string
		wantRequeue   time.Duration // 0: none
	}{{
		name: "stale revisions beyond min are deleted",
		gc:   small,
		revs: []gcRev{
			{name: "r1", createdAgo: 10 * time.Hour, activeAgo: 9 * time.Hour, state: reserve},
			{name: "r2", createdAgo: 10 * time.Hour, activeAgo: 8 * time.Hour, state: reserve},
			{name: "r3", createdAgo: 10 * time.Hour, activeAgo: 7 * time.Hour, state: reserve},
		},
		wantKept: []string{"r3"},
	}, {
		name: "without an annotation, last active is the creation",
		gc:   small,
		revs: []gcRev{
			{name: "r1", createdAgo: 9 * time.Hour, state: reserve},
			{name: "r2", createdAgo: 8 * time.Hour, state: reserve},
		},
		wantKept: []string{"r2"},
	}, {
		name: "recently created or active are kept until they expire",
		gc:   GC{RetainSinceCreateTime: 2 * time.Hour, RetainSinceLastActiveTime: time.Hour, MinNonActiveRevisions: 0, MaxNonActiveRevisions: 10},
		revs: []gcRev{
			// active 20m ago: expires in 40m.
			{name: "recent-active", createdAgo: 5 * time.Hour, activeAgo: 20 * time.Minute, state: reserve},
			// created 90m ago: expires in 30m (the sooner).
			{name: "recent-create", createdAgo: 90 * time.Minute, state: reserve},
			{name: "stale", createdAgo: 5 * time.Hour, activeAgo: 3 * time.Hour, state: reserve},
		},
		wantKept:    []string{"recent-active", "recent-create"},
		wantRequeue: 30*time.Minute + time.Second,
	}, {
		name: "max is enforced on the oldest",
		gc:   GC{RetainSinceCreateTime: 48 * time.Hour, RetainSinceLastActiveTime: 15 * time.Hour, MinNonActiveRevisions: 0, MaxNonActiveRevisions: 2},
		revs: []gcRev{
			{name: "r1", createdAgo: 5 * time.Hour, activeAgo: 4 * time.Hour, state: reserve},
			{name: "r2", createdAgo: 5 * time.Hour, activeAgo: 3 * time.Hour, state: reserve},
			{name: "r3", createdAgo: 5 * time.Hour, activeAgo: 2 * time.Hour, state: reserve},
			{name: "r4", createdAgo: 5 * time.Hour, activeAgo: 1 * time.Hour, state: reserve},
		},
		wantKept:    []string{"r3", "r4"},
		wantRequeue: 43*time.Hour + time.Second,
	}, {
		name: "active, no-gc and the latest revisions are kept",
		gc:   GC{RetainSinceCreateTime: time.Hour, RetainSinceLastActiveTime: time.Hour, MinNonActiveRevisions: 0, MaxNonActiveRevisions: 0},
		revs: []gcRev{
			{name: "active", createdAgo: 10 * time.Hour, activeAgo: 9 * time.Hour, state: servingv1.RoutingStateActive},
			{name: "no-gc", createdAgo: 10 * time.Hour, activeAgo: 9 * time.Hour, state: reserve, noGC: true},
			{name: "latest-ready", createdAgo: 10 * time.Hour, activeAgo: 9 * time.Hour, state: reserve},
			{name: "latest-created", createdAgo: 10 * time.Hour, state: servingv1.RoutingStatePending},
			{name: "old", createdAgo: 10 * time.Hour, activeAgo: 9 * time.Hour, state: reserve},
		},
		latestCreated: "latest-created",
		latestReady:   "latest-ready",
		wantKept:      []string{"active", "latest-created", "latest-ready", "no-gc"},
	}, {
		name: "everything disabled keeps everything",
		gc:   GC{RetainSinceCreateTime: -1, RetainSinceLastActiveTime: -1, MinNonActiveRevisions: -1, MaxNonActiveRevisions: -1},
		revs: []gcRev{
			{name: "r1", createdAgo: 1000 * time.Hour, state: reserve},
			{name: "r2", createdAgo: 1000 * time.Hour, state: reserve},
		},
		wantKept: []string{"r1", "r2"},
	}, {
		name: "only max: the rest is kept regardless of age",
		gc:   GC{RetainSinceCreateTime: -1, RetainSinceLastActiveTime: -1, MinNonActiveRevisions: 0, MaxNonActiveRevisions: 1},
		revs: []gcRev{
			{name: "r1", createdAgo: 1000 * time.Hour, state: reserve},
			{name: "r2", createdAgo: 900 * time.Hour, state: reserve},
		},
		wantKept: []string{"r2"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kept, requeue := runCollect(t, tt.gc, tt.revs, tt.latestCreated, tt.latestReady)
			if diff := cmp.Diff(tt.wantKept, kept); diff != "" {
				t.Errorf("revisions kept (-want +got):\n%s", diff)
			}
			if requeue != tt.wantRequeue {
				t.Errorf("collect() requeue = %v, want %v", requeue, tt.wantRequeue)
			}
		})
	}
}

// TestCollectOneRetainTimeDisabled: Knative's isRevisionStale skips a
// disabled time check; with retain-since-create-time "disabled", a
// revision inactive for longer than retain-since-last-active-time goes.
func TestCollectOneRetainTimeDisabled(t *testing.T) {
	tests := []struct {
		name string
		gc   GC
	}{
		{"create time disabled", GC{RetainSinceCreateTime: -1, RetainSinceLastActiveTime: time.Hour, MinNonActiveRevisions: 0, MaxNonActiveRevisions: -1}},
		{"last active time disabled", GC{RetainSinceCreateTime: time.Hour, RetainSinceLastActiveTime: -1, MinNonActiveRevisions: 0, MaxNonActiveRevisions: -1}},
	}
	for _, tt := range tests {
		kept, _ := runCollect(t, tt.gc, []gcRev{
			{name: "old", createdAgo: 10 * time.Hour, activeAgo: 5 * time.Hour, state: servingv1.RoutingStateReserve},
			{name: "recent", createdAgo: 10 * time.Minute, activeAgo: 10 * time.Minute, state: servingv1.RoutingStateReserve},
		}, "", "")
		if diff := cmp.Diff([]string{"recent"}, kept); diff != "" {
			t.Errorf("%s: revisions kept (-want +got):\n%s", tt.name, diff)
		}
	}
}

// TestCollectMaxCountsSurvivors: Knative deletes the stale revisions first
// and then only as many of the rest as exceed max; a revision that is not
// stale is not deleted while max is not exceeded.
func TestCollectMaxCountsSurvivors(t *testing.T) {
	gc := GC{RetainSinceCreateTime: 48 * time.Hour, RetainSinceLastActiveTime: 15 * time.Hour, MinNonActiveRevisions: 1, MaxNonActiveRevisions: 2}
	kept, _ := runCollect(t, gc, []gcRev{
		{name: "a", createdAgo: 2 * time.Hour, activeAgo: time.Hour, state: servingv1.RoutingStateReserve},        // newest, within min
		{name: "b", createdAgo: 100 * time.Hour, activeAgo: 20 * time.Hour, state: servingv1.RoutingStateReserve}, // stale
		{name: "c", createdAgo: 30 * time.Hour, activeAgo: 25 * time.Hour, state: servingv1.RoutingStateReserve},  // created < 48h ago
		{name: "d", createdAgo: 40 * time.Hour, activeAgo: 26 * time.Hour, state: servingv1.RoutingStateReserve},  // created < 48h ago
	}, "", "")
	// b goes as stale; a, c, d remain, one more than max: d, the oldest, goes.
	if diff := cmp.Diff([]string{"a", "c"}, kept); diff != "" {
		t.Errorf("revisions kept (-want +got):\n%s", diff)
	}
}

// TestCollectKeepsPending: Knative collects only revisions the labeler put
// in reserve; pending (never routed) revisions are not eligible.
func TestCollectKeepsPending(t *testing.T) {
	gc := GC{RetainSinceCreateTime: time.Hour, RetainSinceLastActiveTime: time.Hour, MinNonActiveRevisions: 0, MaxNonActiveRevisions: -1}
	kept, _ := runCollect(t, gc, []gcRev{
		{name: "failed", createdAgo: 10 * time.Hour, state: servingv1.RoutingStatePending},
		{name: "unlabelled", createdAgo: 10 * time.Hour},
		{name: "old", createdAgo: 10 * time.Hour, state: servingv1.RoutingStateReserve},
	}, "", "")
	if diff := cmp.Diff([]string{"failed", "unlabelled"}, kept); diff != "" {
		t.Errorf("revisions kept (-want +got):\n%s", diff)
	}
}

// runCollect stores a configuration and revs, runs collect at now and
// returns the names of the revisions left, sorted, and the requeue asked
// for.
func runCollect(t *testing.T, gc GC, revs []gcRev, latestCreated, latestReady string) ([]string, time.Duration) {
	t.Helper()
	ctx := context.Background()
	c, clk := newClient(t)
	r := newReconciler(c, gc)
	now := t0.Add(1000 * time.Hour)
	clk.Set(now.Add(-2000 * time.Hour))
	createConfiguration(t, c, "hello", "", "/bin/true")
	cfg := getConfiguration(t, c, "hello")
	for _, gr := range revs {
		clk.Set(now.Add(-gr.createdAgo))
		rev := &servingv1.Revision{
			TypeMeta: metav1.TypeMeta{APIVersion: "serving.knative.dev/v1", Kind: "Revision"},
			ObjectMeta: metav1.ObjectMeta{
				Name: gr.name, Namespace: ns,
				Labels:          map[string]string{servingv1.ConfigurationLabelKey: "hello"},
				Annotations:     map[string]string{},
				OwnerReferences: []metav1.OwnerReference{typed.OwnerReference(cfg, "serving.knative.dev/v1", "Configuration")},
			},
		}
		if gr.state != servingv1.RoutingStateUnset {
			rev.Labels[servingv1.RoutingStateLabelKey] = string(gr.state)
		}
		if gr.activeAgo != 0 {
			rev.Annotations[servingv1.RoutingStateModifiedAnnotationKey] = now.Add(-gr.activeAgo).UTC().Format(time.RFC3339)
		}
		if gr.noGC {
			rev.Annotations[servingv1.NoGCAnnotationKey] = "true"
		}
		rev.Spec.Containers = []corev1.Container{{Image: "/bin/true"}}
		if err := c.Create(ctx, revKey(gr.name), rev); err != nil {
			t.Fatal(err)
		}
	}
	clk.Set(now)
	cfg.Status.LatestCreatedRevisionName = latestCreated
	cfg.Status.LatestReadyRevisionName = latestReady

	var requeue time.Duration
	err := r.collect(ctx, cfg, now)
	var ra controller.RequeueAfter
	switch {
	case errors.As(err, &ra):
		requeue = ra.After
	case err != nil:
		t.Fatalf("collect() = %v", err)
	}
	list, err := c.Store.List(ctx, store.ListOptions{Group: group, Resource: "revisions", Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, o := range list.Items {
		kept = append(kept, o.Key.Name)
	}
	slices.Sort(kept)
	return kept, requeue
}

// TestReconcileCollectsWithClock runs collect through Reconcile, with the
// client's clock: the revision expires only once the clock passes its
// retain times.
func TestReconcileCollectsWithClock(t *testing.T) {
	ctx := context.Background()
	c, clk := newClient(t)
	gc := GC{RetainSinceCreateTime: 2 * time.Hour, RetainSinceLastActiveTime: time.Hour, MinNonActiveRevisions: 0, MaxNonActiveRevisions: 10}
	r := newReconciler(c, gc)
	createConfiguration(t, c, "hello", "", "/bin/true")
	reconcile(t, r, "hello")
	setRevisionStatus(t, c, "hello-00001", ready)
	reconcile(t, r, "hello")

	// A second revision takes over; the first goes to reserve now.
	cfg := getConfiguration(t, c, "hello")
	old := typed.Clone(cfg)
	cfg.Spec.Template.Spec.Containers[0].Image = "/bin/false"
	if err := c.Update(ctx, cfgKey("hello"), cfg, old); err != nil {
		t.Fatal(err)
	}
	reconcile(t, r, "hello")
	setRevisionStatus(t, c, "hello-00002", ready)
	rev := getRevision(t, c, "hello-00001")
	oldRev := typed.Clone(rev)
	rev.Labels[servingv1.RoutingStateLabelKey] = string(servingv1.RoutingStateReserve)
	rev.Annotations[servingv1.RoutingStateModifiedAnnotationKey] = t0.Format(time.RFC3339)
	if err := c.Update(ctx, revKey("hello-00001"), rev, oldRev); err != nil {
		t.Fatal(err)
	}

	err := r.Reconcile(ctx, cfgKey("hello"))
	var ra controller.RequeueAfter
	if !errors.As(err, &ra) || ra.After != 2*time.Hour+time.Second {
		t.Fatalf("Reconcile() = %v, want RequeueAfter 2h0m1s (creation retain)", err)
	}
	getRevision(t, c, "hello-00001")

	clk.Set(t0.Add(2*time.Hour + 2*time.Second))
	if err := r.Reconcile(ctx, cfgKey("hello")); err != nil {
		t.Fatalf("Reconcile() after expiry = %v, want nil", err)
	}
	if err := c.Get(ctx, revKey("hello-00001"), &servingv1.Revision{}); !typed.IsNotFound(err) {
		t.Errorf("Get(hello-00001) after expiry = %v, want not found", err)
	}
	if cfg := getConfiguration(t, c, "hello"); cfg.Status.LatestReadyRevisionName != "hello-00002" {
		t.Errorf("latestReady = %q, want hello-00002", cfg.Status.LatestReadyRevisionName)
	}
}
