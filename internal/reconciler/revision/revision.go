// Package revision reconciles Knative Revisions: it resolves the image to a
// program, builds its environment, tells the instance pool how many
// instances to run, and reports ContainerHealthy, ResourcesAvailable,
// Active and Ready, with actualReplicas and desiredReplicas, from what the
// pool sees.
package revision

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	autoscalingv1alpha1 "github.com/skiff-sh/skiff/internal/apis/autoscaling/v1alpha1"
	corev1 "github.com/skiff-sh/skiff/internal/apis/core/v1"
	servingv1 "github.com/skiff-sh/skiff/internal/apis/serving/v1"
	"github.com/skiff-sh/skiff/internal/controller"
	"github.com/skiff-sh/skiff/internal/reconciler/podautoscaler"
	"github.com/skiff-sh/skiff/internal/reconciler/revision/resources"
	"github.com/skiff-sh/skiff/internal/reconciler/typed"
	"github.com/skiff-sh/skiff/internal/serving/pool"
	"github.com/skiff-sh/skiff/internal/store"
)

const group = "serving.knative.dev"

// Status annotations skiff adds to a Revision's status.
const (
	// RestartsAnnotation counts instance restarts (crashes, liveness).
	RestartsAnnotation = "skiff.dev/restarts"
)

// Instances is the pool as the revision reconciler drives it.
type Instances interface {
	// Apply sets what the revision runs and how many (without autoscaling).
	Apply(spec pool.Spec, desired int)
	// Ensure sets what the revision runs; its autoscaler sets how many.
	Ensure(spec pool.Spec)
	Remove(key pool.RevisionKey)
	Status(key pool.RevisionKey) (pool.Status, bool)
}

var _ Instances = (*pool.Manager)(nil)

// ImageResolver turns an image reference into a program on this machine.
type ImageResolver interface {
	// Resolve returns the executable's path and its digest ("" when the
	// image is a plain local path). An error explains, plainly, why the
	// image cannot run here.
	Resolve(ctx context.Context, image string) (path, digest string, err error)
}

// Reconciler reconciles one Revision.
type Reconciler struct {
	c         *typed.Client
	instances Instances
	images    ImageResolver
	// autoscale, when set, leaves the scale to the revision's
	// PodAutoscaler, which the reconciler creates and keeps in step;
	// otherwise a revision runs max(min-scale, initial-scale, 1) instances
	// while it takes traffic and none in reserve.
	autoscale bool
}

var _ controller.Reconciler = (*Reconciler)(nil)

// NewController returns the Revision controller. With autoscale, each
// Revision gets a PodAutoscaler and the autoscaler decides its scale.
func NewController(c *typed.Client, instances Instances, images ImageResolver, autoscale bool, logger *slog.Logger) *controller.Controller {
	r := &Reconciler{c: c, instances: instances, images: images, autoscale: autoscale}
	return controller.New("revision", c.Store, r, []controller.Source{
		{Watch: store.WatchOptions{Group: group, Resource: "revisions"}},
	}, controller.Options{Logger: logger, Workers: 4})
}

// Key returns the store key of a revision.
func Key(k pool.RevisionKey) store.Key { return typed.Key(group, "revisions", k.Namespace, k.Name) }

// Reconcile implements controller.Reconciler.
func (r *Reconciler) Reconcile(ctx context.Context, key store.Key) error {
	pk := pool.RevisionKey{Namespace: key.Namespace, Name: key.Name}
	rev := &servingv1.Revision{}
	if err := r.c.Get(ctx, key, rev); err != nil {
		if typed.IsNotFound(err) {
			r.instances.Remove(pk)
			return nil
		}
		return err
	}
	if rev.DeletionTimestamp != nil {
		r.instances.Remove(pk)
		return nil
	}
	before := typed.Clone(rev.Status)
	now := r.c.Now()
	rev.Status.InitializeConditions(now)
	rev.Status.ObservedGeneration = rev.Generation
	c := rev.Spec.GetContainer()
	if c == nil {
		rev.Status.MarkContainerHealthyFalse(servingv1.ReasonContainerMissing, "revision has no serving container", now)
		return r.write(ctx, key, rev, before)
	}

	path, digest, err := r.images.Resolve(ctx, c.Image)
	if err != nil {
		msg := fmt.Sprintf("Unable to fetch image %q: %v", c.Image, err)
		reason := servingv1.ReasonContainerMissing
		if errors.Is(err, ErrNoContainerRuntime) {
			reason = "NoContainerRuntime"
		}
		rev.Status.MarkContainerHealthyFalse(reason, msg, now)
		rev.Status.MarkResourcesAvailableFalse(reason, msg, now)
		rev.Status.ContainerStatuses = []servingv1.ContainerStatus{{Name: c.Name}}
		return r.write(ctx, key, rev, before)
	}
	rev.Status.ContainerStatuses = []servingv1.ContainerStatus{{Name: c.Name, ImageDigest: digest}}
	env, err := resources.Env(ctx, envSource{r.c}, rev.Namespace, c)
	var envErr *resources.EnvError
	switch {
	case errors.As(err, &envErr):
		rev.Status.MarkContainerHealthyFalse("CreateContainerConfigError", envErr.Msg, now)
		rev.Status.MarkResourcesAvailableFalse("CreateContainerConfigError", envErr.Msg, now)
		// Look again later: the ConfigMap or Secret may be created.
		if err := r.write(ctx, key, rev, before); err != nil {
			return err
		}
		return controller.RequeueAfter{After: requeueMissingEnv}
	case err != nil:
		return err
	}
	prog, args, err := resources.Command(path, c)
	if err == nil {
		args = resources.ExpandArgs(args, env)
	}
	if err != nil {
		rev.Status.MarkContainerHealthyFalse(servingv1.ReasonContainerMissing, err.Error(), now)
		rev.Status.MarkResourcesAvailableFalse(servingv1.ReasonContainerMissing, err.Error(), now)
		return r.write(ctx, key, rev, before)
	}
	spec := resources.PoolSpec(rev, prog, args, env)
	var st pool.Status
	if r.autoscale {
		r.instances.Ensure(spec)
		if err := r.reconcilePodAutoscaler(ctx, rev); err != nil {
			return err
		}
		st, _ = r.instances.Status(pk)
		r.report(rev, st, st.Desired)
	} else {
		desired := desiredScale(rev)
		r.instances.Apply(spec, desired)
		st, _ = r.instances.Status(pk)
		r.report(rev, st, desired)
	}
	return r.write(ctx, key, rev, before)
}

// requeueMissingEnv is how soon a revision whose env names a missing
// ConfigMap or Secret looks again.
const requeueMissingEnv = 5 * time.Second

// desiredScale is the scale of a revision before autoscaling: a revision
// that takes traffic, or waits to (pending), runs max(min-scale,
// initial-scale, 1) instances; one in reserve runs none.
func desiredScale(rev *servingv1.Revision) int {
	if rev.GetRoutingState() == servingv1.RoutingStateReserve {
		return 0
	}
	n := 1
	for _, k := range []string{servingv1.MinScaleAnnotationKey, servingv1.InitialScaleAnnotationKey} {
		if _, v, ok := servingv1.LookupAnnotation(rev.Annotations, k); ok {
			if i, err := strconv.Atoi(v); err == nil && i > n {
				n = i
			}
		}
	}
	return n
}

// report turns the pool's view into the revision's status.
func (r *Reconciler) report(rev *servingv1.Revision, st pool.Status, desired int) {
	now := r.c.Now()
	actual, want := int32(st.Ready), int32(desired)
	rev.Status.ActualReplicas, rev.Status.DesiredReplicas = &actual, &want
	restarts := 0
	for _, in := range st.Instances {
		restarts += in.Restarts
	}
	if restarts > 0 {
		if rev.Status.Annotations == nil {
			rev.Status.Annotations = map[string]string{}
		}
		rev.Status.Annotations[RestartsAnnotation] = strconv.Itoa(restarts)
	}
	switch f := st.Failure; {
	case f != nil && f.Fatal:
		rev.Status.MarkContainerHealthyFalse(f.Reason, f.Message, now)
		rev.Status.MarkResourcesAvailableFalse(f.Reason, f.Message, now)
	case f != nil && st.Ready == 0:
		rev.Status.MarkContainerHealthyFalse(f.Reason, "Container failed with: "+f.Message, now)
		if st.EverReady {
			rev.Status.MarkResourcesAvailableTrue(now)
		} else {
			rev.Status.MarkResourcesAvailableUnknown(servingv1.ReasonDeploying, "", now)
		}
	case st.Ready > 0 || st.EverReady:
		rev.Status.MarkContainerHealthyTrue(now)
		rev.Status.MarkResourcesAvailableTrue(now)
	case desired == 0:
		// In reserve without ever having been ready: nothing runs.
		rev.Status.MarkResourcesAvailableUnknown(servingv1.ReasonNoTraffic, "The target is not receiving traffic.", now)
	default:
		rev.Status.MarkContainerHealthyUnknown(servingv1.ReasonDeploying, "", now)
		rev.Status.MarkResourcesAvailableUnknown(servingv1.ReasonDeploying, "", now)
	}
	switch {
	case st.Ready > 0:
		rev.Status.MarkActiveTrue(now)
	case desired == 0:
		rev.Status.MarkActiveFalse(servingv1.ReasonNoTraffic, "The target is not receiving traffic.", now)
	default:
		rev.Status.MarkActiveUnknown(servingv1.ReasonActivating, "", now)
	}
}

func (r *Reconciler) write(ctx context.Context, key store.Key, rev *servingv1.Revision, before servingv1.RevisionStatus) error {
	if typed.Equal(before, rev.Status) {
		return nil
	}
	return r.c.UpdateStatus(ctx, key, rev)
}

// envSource reads ConfigMaps and Secrets from the store.
type envSource struct{ c *typed.Client }

func (e envSource) ConfigMap(ctx context.Context, ns, name string) (*corev1.ConfigMap, error) {
	cm := &corev1.ConfigMap{}
	err := e.c.Get(ctx, typed.Key("", "configmaps", ns, name), cm)
	if typed.IsNotFound(err) {
		return nil, fmt.Errorf("configmap %s: %w", name, resources.ErrNotFound)
	}
	return cm, err
}

func (e envSource) Secret(ctx context.Context, ns, name string) (*corev1.Secret, error) {
	s := &corev1.Secret{}
	err := e.c.Get(ctx, typed.Key("", "secrets", ns, name), s)
	if typed.IsNotFound(err) {
		return nil, fmt.Errorf("secret %s: %w", name, resources.ErrNotFound)
	}
	return s, err
}

// ErrNoContainerRuntime is returned for an OCI image when no container
// runtime is configured.
var ErrNoContainerRuntime = errors.New("no container runtime is configured")

// LocalImages resolves local executables: an absolute path, or a file://
// URL. Stored images (digest references) go to Stored when it is set.
type LocalImages struct {
	Stored ImageResolver
}

// Resolve implements ImageResolver.
func (l LocalImages) Resolve(ctx context.Context, image string) (string, string, error) {
	p := image
	if rest, ok := strings.CutPrefix(image, "file://"); ok {
		p = rest
	}
	switch {
	case strings.HasPrefix(image, "ko://"):
		return "", "", fmt.Errorf("%s has not been built: apply it with `skiff apply`, which builds ko:// images as ko does", image)
	case filepath.IsAbs(p):
		st, err := os.Stat(p)
		if err != nil {
			return "", "", fmt.Errorf("executable %s not found", p)
		}
		if st.IsDir() || st.Mode()&0o111 == 0 {
			return "", "", fmt.Errorf("%s is not executable", p)
		}
		return p, "", nil
	case l.Stored != nil && strings.Contains(image, "@sha256:"):
		return l.Stored.Resolve(ctx, image)
	}
	return "", "", fmt.Errorf("%w: image %q is an OCI reference; run a local executable (an absolute path or file:// URL) or a ko:// import path", ErrNoContainerRuntime, image)
}

// reconcilePodAutoscaler creates or updates the revision's PodAutoscaler.
func (r *Reconciler) reconcilePodAutoscaler(ctx context.Context, rev *servingv1.Revision) error {
	want := podautoscaler.MakePodAutoscaler(rev)
	key := typed.Key(podautoscaler.Group, podautoscaler.Resource, rev.Namespace, rev.Name)
	cur := &autoscalingv1alpha1.PodAutoscaler{}
	err := r.c.Get(ctx, key, cur)
	if typed.IsNotFound(err) {
		return r.c.Create(ctx, key, want)
	}
	if err != nil {
		return err
	}
	if typed.Equal(cur.Spec, want.Spec) && typed.Equal(cur.Annotations, want.Annotations) && typed.Equal(cur.Labels, want.Labels) {
		return nil
	}
	old := typed.Clone(cur)
	cur.Spec, cur.Annotations, cur.Labels = want.Spec, want.Annotations, want.Labels
	return r.c.Update(ctx, key, cur, old)
}
