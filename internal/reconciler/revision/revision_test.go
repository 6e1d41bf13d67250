package revision

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
	"github.com/skiff-sh/skiff/internal/runtime"
	"github.com/skiff-sh/skiff/internal/serving/pool"
	"github.com/skiff-sh/skiff/internal/store"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex // guards t
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func newClient(t *testing.T) *typed.Client {
	t.Helper()
	clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	st := reconcilertest.NewStore(t, clk.Now)
	return &typed.Client{Store: st, Now: clk.Now}
}

// fakeInstances records what the reconciler asks of the pool.
type fakeInstances struct {
	mu      sync.Mutex // guards every field
	status  map[pool.RevisionKey]pool.Status
	applied map[pool.RevisionKey]applied
	removed []pool.RevisionKey
}

type applied struct {
	spec    pool.Spec
	desired int
}

var _ Instances = (*fakeInstances)(nil)

func newFakeInstances() *fakeInstances {
	return &fakeInstances{status: map[pool.RevisionKey]pool.Status{}, applied: map[pool.RevisionKey]applied{}}
}

func (f *fakeInstances) Ensure(spec pool.Spec) { f.Apply(spec, -1) }

func (f *fakeInstances) Apply(spec pool.Spec, desired int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.applied[spec.Key] = applied{spec, desired}
}

func (f *fakeInstances) Remove(key pool.RevisionKey) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.removed = append(f.removed, key)
}

func (f *fakeInstances) Status(key pool.RevisionKey) (pool.Status, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, ok := f.status[key]
	return st, ok
}

func (f *fakeInstances) setStatus(key pool.RevisionKey, st pool.Status) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status[key] = st
}

func (f *fakeInstances) lastApply(key pool.RevisionKey) (applied, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.applied[key]
	return a, ok
}

func (f *fakeInstances) removedKeys() []pool.RevisionKey {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]pool.RevisionKey(nil), f.removed...)
}

// cond renders a condition as "Status/Reason/Message" ("" when absent).
func cond(s *apis.Status, typ string) string {
	c := s.GetCondition(typ)
	if c == nil {
		return ""
	}
	return fmt.Sprintf("%s/%s/%s", c.Status, c.Reason, c.Message)
}

func TestDesiredScale(t *testing.T) {
	tests := []struct {
		name  string
		state servingv1.RoutingState
		ann   map[string]string
		want  int
	}{
		{"unset", servingv1.RoutingStateUnset, nil, 1},
		{"pending", servingv1.RoutingStatePending, nil, 1},
		{"active", servingv1.RoutingStateActive, nil, 1},
		{"reserve", servingv1.RoutingStateReserve, nil, 0},
		{"reserve ignores min-scale", servingv1.RoutingStateReserve, map[string]string{servingv1.MinScaleAnnotationKey: "3"}, 0},
		{"min-scale", servingv1.RoutingStateActive, map[string]string{servingv1.MinScaleAnnotationKey: "3"}, 3},
		{"initial-scale", servingv1.RoutingStatePending, map[string]string{servingv1.InitialScaleAnnotationKey: "2"}, 2},
		{"larger of min and initial", servingv1.RoutingStateActive, map[string]string{
			servingv1.MinScaleAnnotationKey: "3", servingv1.InitialScaleAnnotationKey: "5"}, 5},
		{"larger of initial and min", servingv1.RoutingStateActive, map[string]string{
			servingv1.MinScaleAnnotationKey: "4", servingv1.InitialScaleAnnotationKey: "2"}, 4},
		{"min-scale 0 still runs one", servingv1.RoutingStateActive, map[string]string{servingv1.MinScaleAnnotationKey: "0"}, 1},
		{"legacy minScale", servingv1.RoutingStateActive, map[string]string{"autoscaling.knative.dev/minScale": "4"}, 4},
		{"legacy initialScale", servingv1.RoutingStatePending, map[string]string{"autoscaling.knative.dev/initialScale": "3"}, 3},
		{"new key wins over legacy", servingv1.RoutingStateActive, map[string]string{
			servingv1.MinScaleAnnotationKey: "2", "autoscaling.knative.dev/minScale": "7"}, 2},
		{"unparsable is ignored", servingv1.RoutingStateActive, map[string]string{servingv1.MinScaleAnnotationKey: "lots"}, 1},
	}
	for _, tt := range tests {
		rev := &servingv1.Revision{ObjectMeta: metav1.ObjectMeta{
			Annotations: tt.ann, Labels: map[string]string{servingv1.RoutingStateLabelKey: string(tt.state)},
		}}
		if got := desiredScale(rev); got != tt.want {
			t.Errorf("%s: desiredScale(state %q, %v) = %d, want %d", tt.name, tt.state, tt.ann, got, tt.want)
		}
	}
}

func TestReport(t *testing.T) {
	const (
		deploying  = "Unknown/Deploying/"
		activating = "Unknown/Activating/"
		noTraffic  = "False/NoTraffic/The target is not receiving traffic."
	)
	tests := []struct {
		name        string
		st          pool.Status
		desired     int
		wantHealthy string
		wantRes     string
		wantActive  string
		wantReady   apis.ConditionStatus
		wantActual  int32
		restarts    string
	}{{
		name:        "starting",
		st:          pool.Status{Desired: 1, Running: 1},
		desired:     1,
		wantHealthy: deploying, wantRes: deploying, wantActive: activating,
		wantReady: apis.ConditionUnknown,
	}, {
		name:        "ready",
		st:          pool.Status{Desired: 2, Ready: 2, Running: 2, EverReady: true},
		desired:     2,
		wantHealthy: "True//", wantRes: "True//", wantActive: "True//",
		wantReady: apis.ConditionTrue, wantActual: 2,
	}, {
		name: "crashed before ready",
		st: pool.Status{Desired: 1, Running: 1, Failure: &pool.Failure{Reason: "ExitCode1", Message: "boom"},
			Instances: []pool.InstanceInfo{{ID: "0", Restarts: 3}}},
		desired:     1,
		wantHealthy: "False/ExitCode1/Container failed with: boom", wantRes: deploying, wantActive: activating,
		wantReady: apis.ConditionFalse, restarts: "3",
	}, {
		name: "crashed after ready",
		st: pool.Status{Desired: 1, Running: 1, EverReady: true, Failure: &pool.Failure{Reason: "ExitCode2", Message: "oops"},
			Instances: []pool.InstanceInfo{{ID: "0", Restarts: 1}, {ID: "1", Restarts: 1, Draining: true}}},
		desired:     1,
		wantHealthy: "False/ExitCode2/Container failed with: oops", wantRes: "True//", wantActive: activating,
		wantReady: apis.ConditionFalse, restarts: "2",
	}, {
		name:        "a crash while another instance serves stays healthy",
		st:          pool.Status{Desired: 2, Ready: 1, Running: 2, EverReady: true, Failure: &pool.Failure{Reason: "ExitCode1", Message: "boom"}},
		desired:     2,
		wantHealthy: "True//", wantRes: "True//", wantActive: "True//",
		wantReady: apis.ConditionTrue, wantActual: 1,
	}, {
		name:        "fatal failure",
		st:          pool.Status{Desired: 1, Failure: &pool.Failure{Reason: "ProgressDeadlineExceeded", Message: "Initial scale was never achieved", Fatal: true}},
		desired:     1,
		wantHealthy: "False/ProgressDeadlineExceeded/Initial scale was never achieved",
		wantRes:     "False/ProgressDeadlineExceeded/Initial scale was never achieved",
		wantActive:  activating,
		wantReady:   apis.ConditionFalse,
	}, {
		name:        "reserve, ever ready",
		st:          pool.Status{EverReady: true},
		desired:     0,
		wantHealthy: "True//", wantRes: "True//", wantActive: noTraffic,
		wantReady: apis.ConditionTrue,
	}, {
		name:        "reserve, never ready",
		st:          pool.Status{},
		desired:     0,
		wantHealthy: "Unknown//", wantRes: "Unknown/NoTraffic/The target is not receiving traffic.", wantActive: noTraffic,
		wantReady: apis.ConditionUnknown,
	}}
	for _, tt := range tests {
		clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
		r := &Reconciler{c: &typed.Client{Now: clk.Now}}
		rev := &servingv1.Revision{}
		rev.Status.InitializeConditions(clk.Now())
		r.report(rev, tt.st, tt.desired)
		s := &rev.Status.Status
		if got := cond(s, servingv1.RevisionConditionContainerHealthy); got != tt.wantHealthy {
			t.Errorf("%s: ContainerHealthy = %q, want %q", tt.name, got, tt.wantHealthy)
		}
		if got := cond(s, servingv1.RevisionConditionResourcesAvailable); got != tt.wantRes {
			t.Errorf("%s: ResourcesAvailable = %q, want %q", tt.name, got, tt.wantRes)
		}
		if got := cond(s, servingv1.RevisionConditionActive); got != tt.wantActive {
			t.Errorf("%s: Active = %q, want %q", tt.name, got, tt.wantActive)
		}
		if got := s.GetCondition(servingv1.RevisionConditionReady).Status; got != tt.wantReady {
			t.Errorf("%s: Ready = %s, want %s", tt.name, got, tt.wantReady)
		}
		if got := *rev.Status.ActualReplicas; got != tt.wantActual {
			t.Errorf("%s: actualReplicas = %d, want %d", tt.name, got, tt.wantActual)
		}
		if got := *rev.Status.DesiredReplicas; got != int32(tt.desired) {
			t.Errorf("%s: desiredReplicas = %d, want %d", tt.name, got, tt.desired)
		}
		if got := rev.Status.Annotations[RestartsAnnotation]; got != tt.restarts {
			t.Errorf("%s: %s = %q, want %q", tt.name, RestartsAnnotation, got, tt.restarts)
		}
	}
}

// TestReportScaleFromZeroStaysReady: a revision that has served and is
// routed to again (reserve -> active) starts an instance. Knative keeps
// ResourcesAvailable and ContainerHealthy True once the scale target was
// initialized, so the revision stays Ready with Active Unknown; it must not
// flap to Ready Unknown.
func TestReportScaleFromZeroStaysReady(t *testing.T) {
	clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	r := &Reconciler{c: &typed.Client{Now: clk.Now}}
	rev := &servingv1.Revision{}
	rev.Status.InitializeConditions(clk.Now())
	r.report(rev, pool.Status{EverReady: true}, 0) // in reserve
	r.report(rev, pool.Status{Desired: 1, Running: 1, EverReady: true}, 1)
	s := &rev.Status.Status
	if got := cond(s, servingv1.RevisionConditionReady); got != "True//" {
		t.Errorf("Ready = %q, want True", got)
	}
	if got := cond(s, servingv1.RevisionConditionActive); got != "Unknown/Activating/" {
		t.Errorf("Active = %q, want Unknown/Activating/", got)
	}
}

func executable(t *testing.T, dir, name string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\nexit 0\n"), mode); err != nil {
		t.Fatal(err)
	}
	return p
}

// stored is an ImageResolver for digest references.
type stored map[string]string

func (s stored) Resolve(_ context.Context, image string) (string, string, error) {
	p, ok := s[image]
	if !ok {
		return "", "", errors.New("not stored")
	}
	return p, image[strings.Index(image, "@")+1:], nil
}

func TestLocalImagesResolve(t *testing.T) {
	dir := t.TempDir()
	exe := executable(t, dir, "app", 0o755)
	plain := executable(t, dir, "data.txt", 0o644)
	const digestRef = "ghcr.io/x/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

	tests := []struct {
		name       string
		images     LocalImages
		image      string
		wantPath   string
		wantDigest string
		wantErr    string // substring; "" for none
		wantNoRT   bool   // errors.Is(err, ErrNoContainerRuntime)
	}{
		{name: "absolute path", image: exe, wantPath: exe},
		{name: "file URL", image: "file://" + exe, wantPath: exe},
		{name: "missing", image: filepath.Join(dir, "nope"), wantErr: "executable " + filepath.Join(dir, "nope") + " not found"},
		{name: "missing file URL", image: "file://" + filepath.Join(dir, "nope"), wantErr: "executable " + filepath.Join(dir, "nope") + " not found"},
		{name: "not executable", image: plain, wantErr: plain + " is not executable"},
		{name: "directory", image: dir, wantErr: dir + " is not executable"},
		{name: "ko unbuilt", image: "ko://github.com/x/app/cmd/app", wantErr: "ko://github.com/x/app/cmd/app has not been built"},
		{name: "OCI reference", image: "nginx:1.27", wantErr: `image "nginx:1.27" is an OCI reference`, wantNoRT: true},
		{name: "OCI digest without a store", image: digestRef, wantNoRT: true},
		{name: "relative path is not local", image: "./app", wantNoRT: true},
		{name: "digest reference from the store", images: LocalImages{Stored: stored{digestRef: exe}}, image: digestRef,
			wantPath: exe, wantDigest: "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
		{name: "tag reference with a store", images: LocalImages{Stored: stored{digestRef: exe}}, image: "ghcr.io/x/app:v1", wantNoRT: true},
	}
	for _, tt := range tests {
		path, digest, err := tt.images.Resolve(context.Background(), tt.image)
		if tt.wantErr == "" && !tt.wantNoRT {
			if err != nil || path != tt.wantPath || digest != tt.wantDigest {
				t.Errorf("%s: Resolve(%q) = %q, %q, %v, want %q, %q, nil", tt.name, tt.image, path, digest, err, tt.wantPath, tt.wantDigest)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: Resolve(%q) = %q, want an error", tt.name, tt.image, path)
			continue
		}
		if tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%s: Resolve(%q) error = %q, want it to contain %q", tt.name, tt.image, err, tt.wantErr)
		}
		if got := errors.Is(err, ErrNoContainerRuntime); got != tt.wantNoRT {
			t.Errorf("%s: Resolve(%q) error %q is ErrNoContainerRuntime = %t, want %t", tt.name, tt.image, err, got, tt.wantNoRT)
		}
	}
}

const ns = "default"

// createConfiguration stores a Configuration for revisions to belong to.
func createConfiguration(t *testing.T, c *typed.Client, name string) *servingv1.Configuration {
	t.Helper()
	ctx := context.Background()
	cfg := &servingv1.Configuration{
		TypeMeta:   metav1.TypeMeta{APIVersion: "serving.knative.dev/v1", Kind: "Configuration"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
	}
	cfg.Spec.Template.Spec.Containers = []corev1.Container{{Image: "/bin/true"}}
	key := typed.Key(group, "configurations", ns, name)
	if err := c.Create(ctx, key, cfg); err != nil {
		t.Fatal(err)
	}
	got := &servingv1.Configuration{}
	if err := c.Get(ctx, key, got); err != nil {
		t.Fatal(err)
	}
	return got
}

// createRevision stores a revision of cfg running container.
func createRevision(t *testing.T, c *typed.Client, cfg *servingv1.Configuration, name string, ann map[string]string, finalizers []string, container corev1.Container) store.Key {
	t.Helper()
	rev := &servingv1.Revision{
		TypeMeta: metav1.TypeMeta{APIVersion: "serving.knative.dev/v1", Kind: "Revision"},
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: ns, Annotations: ann, Finalizers: finalizers,
			Labels: map[string]string{
				servingv1.ConfigurationLabelKey: cfg.Name,
				servingv1.ServiceLabelKey:       "svc",
				servingv1.RoutingStateLabelKey:  string(servingv1.RoutingStateActive),
			},
			OwnerReferences: []metav1.OwnerReference{typed.OwnerReference(cfg, "serving.knative.dev/v1", "Configuration")},
		},
	}
	rev.Spec.Containers = []corev1.Container{container}
	key := Key(pool.RevisionKey{Namespace: ns, Name: name})
	if err := c.Create(context.Background(), key, rev); err != nil {
		t.Fatal(err)
	}
	return key
}

func getRevision(t *testing.T, c *typed.Client, key store.Key) *servingv1.Revision {
	t.Helper()
	rev := &servingv1.Revision{}
	if err := c.Get(context.Background(), key, rev); err != nil {
		t.Fatal(err)
	}
	return rev
}

func TestReconcileRunsRevision(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	inst := newFakeInstances()
	r := &Reconciler{c: c, instances: inst, images: LocalImages{}}
	exe := executable(t, t.TempDir(), "app", 0o755)
	cfg := createConfiguration(t, c, "hello")
	key := createRevision(t, c, cfg, "hello-00001",
		map[string]string{servingv1.MinScaleAnnotationKey: "2", servingv1.ProgressDeadlineAnnotationKey: "30s"}, nil,
		corev1.Container{
			Image: "file://" + exe, Args: []string{"--greeting", "hi"},
			Env: []corev1.EnvVar{{Name: "TARGET", Value: "world"}},
		})
	pk := pool.RevisionKey{Namespace: ns, Name: "hello-00001"}

	// First look: nothing is ready yet.
	if err := r.Reconcile(ctx, key); err != nil {
		t.Fatalf("Reconcile() = %v", err)
	}
	a, ok := inst.lastApply(pk)
	if !ok {
		t.Fatal("Reconcile() did not Apply the revision")
	}
	if a.desired != 2 {
		t.Errorf("Apply desired = %d, want 2 (min-scale)", a.desired)
	}
	want := pool.Spec{
		Key: pk, Service: "svc", Configuration: "hello",
		Executable: exe, Args: []string{"--greeting", "hi"}, Env: []string{"TARGET=world"},
		Readiness:    resourcesDefaultProbe(),
		StartTimeout: 30 * time.Second,
	}
	if diff := cmp.Diff(want, a.spec); diff != "" {
		t.Errorf("Apply spec (-want +got):\n%s", diff)
	}
	rev := getRevision(t, c, key)
	if got := cond(&rev.Status.Status, servingv1.RevisionConditionReady); got != "Unknown/Deploying/" {
		t.Errorf("Ready after first reconcile = %q, want Unknown/Deploying/", got)
	}
	if rev.Status.ObservedGeneration != rev.Generation {
		t.Errorf("observedGeneration = %d, want %d", rev.Status.ObservedGeneration, rev.Generation)
	}
	if diff := cmp.Diff([]servingv1.ContainerStatus{{Name: "user-container"}}, rev.Status.ContainerStatuses); diff != "" {
		t.Errorf("containerStatuses (-want +got):\n%s", diff)
	}

	// The pool reports two ready instances.
	inst.setStatus(pk, pool.Status{Desired: 2, Ready: 2, Running: 2, EverReady: true})
	if err := r.Reconcile(ctx, key); err != nil {
		t.Fatalf("Reconcile() = %v", err)
	}
	rev = getRevision(t, c, key)
	if !rev.IsReady() {
		t.Errorf("revision not ready: %+v", rev.Status.Conditions)
	}
	if got := cond(&rev.Status.Status, servingv1.RevisionConditionActive); got != "True//" {
		t.Errorf("Active = %q, want True", got)
	}
	if *rev.Status.ActualReplicas != 2 || *rev.Status.DesiredReplicas != 2 {
		t.Errorf("replicas actual %d desired %d, want 2 and 2", *rev.Status.ActualReplicas, *rev.Status.DesiredReplicas)
	}

	// Nothing changed: nothing is written.
	o1, err := c.Store.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Reconcile(ctx, key); err != nil {
		t.Fatalf("Reconcile() = %v", err)
	}
	o2, err := c.Store.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if o1.Revision != o2.Revision {
		t.Errorf("an unchanged reconcile wrote the revision: resourceVersion %d -> %d", o1.Revision, o2.Revision)
	}
}

// resourcesDefaultProbe is the readiness probe of a container without one:
// Knative's TCP default, probed aggressively.
func resourcesDefaultProbe() runtime.Probe {
	return runtime.Probe{Handler: runtime.ProbeTCP, SuccessThreshold: 1}
}

func TestReconcileMissingConfigMap(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	inst := newFakeInstances()
	r := &Reconciler{c: c, instances: inst, images: LocalImages{}}
	exe := executable(t, t.TempDir(), "app", 0o755)
	cfg := createConfiguration(t, c, "hello")
	key := createRevision(t, c, cfg, "hello-00001", nil, nil, corev1.Container{
		Image: exe,
		Env: []corev1.EnvVar{{Name: "COLOR", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: "settings"}, Key: "color",
		}}}},
	})
	pk := pool.RevisionKey{Namespace: ns, Name: "hello-00001"}

	err := r.Reconcile(ctx, key)
	var ra controller.RequeueAfter
	if !errors.As(err, &ra) || ra.After != requeueMissingEnv {
		t.Fatalf("Reconcile() = %v, want RequeueAfter{%v}", err, requeueMissingEnv)
	}
	if _, ok := inst.lastApply(pk); ok {
		t.Error("Reconcile() applied a revision whose ConfigMap is missing")
	}
	rev := getRevision(t, c, key)
	const want = `False/CreateContainerConfigError/configmap "settings" not found`
	for _, typ := range []string{servingv1.RevisionConditionContainerHealthy, servingv1.RevisionConditionResourcesAvailable} {
		if got := cond(&rev.Status.Status, typ); got != want {
			t.Errorf("%s = %q, want %q", typ, got, want)
		}
	}
	if !rev.IsFailed() {
		t.Errorf("revision not failed: %+v", rev.Status.Conditions)
	}

	// The ConfigMap appears: the next look runs the revision.
	cm := &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: "settings", Namespace: ns},
		Data:       map[string]string{"color": "teal"},
	}
	if err := c.Create(ctx, typed.Key("", "configmaps", ns, "settings"), cm); err != nil {
		t.Fatal(err)
	}
	if err := r.Reconcile(ctx, key); err != nil {
		t.Fatalf("Reconcile() after the ConfigMap was created = %v", err)
	}
	a, ok := inst.lastApply(pk)
	if !ok {
		t.Fatal("Reconcile() did not Apply once the ConfigMap exists")
	}
	if diff := cmp.Diff([]string{"COLOR=teal"}, a.spec.Env); diff != "" {
		t.Errorf("Apply env (-want +got):\n%s", diff)
	}
}

func TestReconcileSecretEnv(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	inst := newFakeInstances()
	r := &Reconciler{c: c, instances: inst, images: LocalImages{}}
	exe := executable(t, t.TempDir(), "app", 0o755)
	sec := &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Name: "creds", Namespace: ns},
		StringData: map[string]string{"token": "s3cret"},
	}
	if err := c.Create(ctx, typed.Key("", "secrets", ns, "creds"), sec); err != nil {
		t.Fatal(err)
	}
	cfg := createConfiguration(t, c, "hello")
	key := createRevision(t, c, cfg, "hello-00001", nil, nil, corev1.Container{
		Image:   exe,
		EnvFrom: []corev1.EnvFromSource{{Prefix: "APP_", SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "creds"}}}},
	})
	if err := r.Reconcile(ctx, key); err != nil {
		t.Fatalf("Reconcile() = %v", err)
	}
	a, ok := inst.lastApply(pool.RevisionKey{Namespace: ns, Name: "hello-00001"})
	if !ok {
		t.Fatal("Reconcile() did not Apply")
	}
	if diff := cmp.Diff([]string{"APP_token=s3cret"}, a.spec.Env); diff != "" {
		t.Errorf("Apply env (-want +got):\n%s", diff)
	}
}

func TestReconcileImageAndCommandFailures(t *testing.T) {
	dir := t.TempDir()
	exe := executable(t, dir, "app", 0o755)
	tests := []struct {
		name      string
		container corev1.Container
		wantCond  string // ContainerHealthy and ResourcesAvailable, prefix
	}{
		{"OCI image", corev1.Container{Image: "nginx:1.27"}, `False/NoContainerRuntime/Unable to fetch image "nginx:1.27": no container runtime is configured`},
		{"ko image not built", corev1.Container{Image: "ko://example.com/app"}, `False/ContainerMissing/Unable to fetch image "ko://example.com/app": ko://example.com/app has not been built`},
		{"missing executable", corev1.Container{Image: filepath.Join(dir, "nope")}, `False/ContainerMissing/Unable to fetch image "` + filepath.Join(dir, "nope") + `": executable`},
		{"command not found", corev1.Container{Image: exe, Command: []string{"skiff-no-such-command"}}, `False/ContainerMissing/command "skiff-no-such-command"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			c := newClient(t)
			inst := newFakeInstances()
			r := &Reconciler{c: c, instances: inst, images: LocalImages{}}
			cfg := createConfiguration(t, c, "hello")
			key := createRevision(t, c, cfg, "hello-00001", nil, nil, tt.container)
			if err := r.Reconcile(ctx, key); err != nil {
				t.Fatalf("Reconcile() = %v", err)
			}
			if _, ok := inst.lastApply(pool.RevisionKey{Namespace: ns, Name: "hello-00001"}); ok {
				t.Error("Reconcile() applied a revision that cannot run")
			}
			rev := getRevision(t, c, key)
			for _, typ := range []string{servingv1.RevisionConditionContainerHealthy, servingv1.RevisionConditionResourcesAvailable} {
				if got := cond(&rev.Status.Status, typ); !strings.HasPrefix(got, tt.wantCond) {
					t.Errorf("%s = %q, want prefix %q", typ, got, tt.wantCond)
				}
			}
			if !rev.IsFailed() {
				t.Errorf("revision not failed: %+v", rev.Status.Conditions)
			}
		})
	}
}

// TestReconcileExpandsArgs: Kubernetes expands $(VAR) in command and args
// with the container's environment.
func TestReconcileExpandsArgs(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	inst := newFakeInstances()
	r := &Reconciler{c: c, instances: inst, images: LocalImages{}}
	exe := executable(t, t.TempDir(), "app", 0o755)
	cfg := createConfiguration(t, c, "hello")
	key := createRevision(t, c, cfg, "hello-00001", nil, nil, corev1.Container{
		Image: exe, Args: []string{"--listen=:$(APP_PORT)", "$(UNSET)"},
		Env: []corev1.EnvVar{{Name: "APP_PORT", Value: "9000"}},
	})
	if err := r.Reconcile(ctx, key); err != nil {
		t.Fatalf("Reconcile() = %v", err)
	}
	a, _ := inst.lastApply(pool.RevisionKey{Namespace: ns, Name: "hello-00001"})
	if diff := cmp.Diff([]string{"--listen=:9000", "$(UNSET)"}, a.spec.Args); diff != "" {
		t.Errorf("Apply args (-want +got):\n%s", diff)
	}
}

func TestReconcileDeletedRemoves(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	inst := newFakeInstances()
	r := &Reconciler{c: c, instances: inst, images: LocalImages{}}
	exe := executable(t, t.TempDir(), "app", 0o755)
	cfg := createConfiguration(t, c, "hello")

	// Gone from the store.
	key := createRevision(t, c, cfg, "hello-00001", nil, nil, corev1.Container{Image: exe})
	if err := r.Reconcile(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Store.Delete(ctx, key, store.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := r.Reconcile(ctx, key); err != nil {
		t.Fatalf("Reconcile(deleted) = %v", err)
	}
	// Being deleted (a finalizer holds it).
	held := createRevision(t, c, cfg, "hello-00002", nil, []string{"test/hold"}, corev1.Container{Image: exe})
	if _, err := c.Store.Delete(ctx, held, store.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := r.Reconcile(ctx, held); err != nil {
		t.Fatalf("Reconcile(being deleted) = %v", err)
	}
	want := []pool.RevisionKey{{Namespace: ns, Name: "hello-00001"}, {Namespace: ns, Name: "hello-00002"}}
	if diff := cmp.Diff(want, inst.removedKeys()); diff != "" {
		t.Errorf("Remove calls (-want +got):\n%s", diff)
	}
	if _, ok := inst.lastApply(pool.RevisionKey{Namespace: ns, Name: "hello-00002"}); ok {
		t.Error("Reconcile() applied a revision being deleted")
	}
}
