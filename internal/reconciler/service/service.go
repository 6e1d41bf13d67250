// Package service reconciles Knative Services: each owns a Configuration
// and a Route of the same name, kept in step with its spec, and reports
// their readiness as ConfigurationsReady and RoutesReady.
package service

import (
	"context"
	"fmt"
	"log/slog"

	servingv1 "github.com/skiff-sh/skiff/internal/apis/serving/v1"
	"github.com/skiff-sh/skiff/internal/controller"
	"github.com/skiff-sh/skiff/internal/reconciler/service/resources"
	"github.com/skiff-sh/skiff/internal/reconciler/typed"
	"github.com/skiff-sh/skiff/internal/store"
)

const group = "serving.knative.dev"

// Reconciler reconciles one Service.
type Reconciler struct {
	c *typed.Client
}

var _ controller.Reconciler = (*Reconciler)(nil)

// NewController returns the Service controller: it watches Services and
// the Configurations and Routes they own.
func NewController(c *typed.Client, logger *slog.Logger) *controller.Controller {
	owner := func(o *store.Object) []store.Key {
		name := o.Meta.Labels[servingv1.ServiceLabelKey]
		if name == "" {
			return nil
		}
		return []store.Key{typed.Key(group, "services", o.Key.Namespace, name)}
	}
	return controller.New("service", c.Store, &Reconciler{c: c}, []controller.Source{
		{Watch: store.WatchOptions{Group: group, Resource: "services"}},
		{Watch: store.WatchOptions{Group: group, Resource: "configurations"}, Map: owner},
		{Watch: store.WatchOptions{Group: group, Resource: "routes"}, Map: owner},
	}, controller.Options{Logger: logger})
}

// Reconcile implements controller.Reconciler.
func (r *Reconciler) Reconcile(ctx context.Context, key store.Key) error {
	svc := &servingv1.Service{}
	if err := r.c.Get(ctx, key, svc); err != nil {
		if typed.IsNotFound(err) {
			return nil
		}
		return err
	}
	if svc.DeletionTimestamp != nil {
		return nil
	}
	before := typed.Clone(svc.Status)
	now := r.c.Now()
	svc.Status.InitializeConditions(now)

	cfg, err := r.reconcileConfiguration(ctx, svc)
	if err != nil {
		return err
	}
	route, err := r.reconcileRoute(ctx, svc)
	if err != nil {
		return err
	}
	if cfg != nil {
		if cfg.Generation != cfg.Status.ObservedGeneration {
			svc.Status.MarkConfigurationNotReconciled(now)
		} else {
			svc.Status.PropagateConfigurationStatus(&cfg.Status, now)
		}
	}
	if route != nil {
		if route.Generation != route.Status.ObservedGeneration {
			svc.Status.MarkRouteNotReconciled(now)
		} else {
			svc.Status.PropagateRouteStatus(&route.Status, now)
			if cfg != nil && !routeServesLatest(route, cfg) {
				svc.Status.MarkRouteNotYetReady(now)
			}
		}
	}
	svc.Status.ObservedGeneration = svc.Generation
	if typed.Equal(before, svc.Status) {
		return nil
	}
	return r.c.UpdateStatus(ctx, key, svc)
}

// routeServesLatest reports whether every latestRevision target of the
// route already points at the Configuration's latest ready revision, as
// Knative checks before calling a Service ready.
func routeServesLatest(route *servingv1.Route, cfg *servingv1.Configuration) bool {
	for _, t := range route.Status.Traffic {
		if t.LatestRevision != nil && *t.LatestRevision && t.RevisionName != cfg.Status.LatestReadyRevisionName {
			return false
		}
	}
	return true
}

func (r *Reconciler) reconcileConfiguration(ctx context.Context, svc *servingv1.Service) (*servingv1.Configuration, error) {
	want := resources.MakeConfiguration(svc)
	key := typed.Key(group, "configurations", svc.Namespace, svc.Name)
	cur := &servingv1.Configuration{}
	err := r.c.Get(ctx, key, cur)
	if typed.IsNotFound(err) {
		if err := r.c.Create(ctx, key, want); err != nil {
			return nil, fmt.Errorf("service %s/%s: %w", svc.Namespace, svc.Name, err)
		}
		return nil, nil // its status comes with the next event
	}
	if err != nil {
		return nil, err
	}
	if !typed.IsControlledBy(cur, svc) {
		svc.Status.MarkConfigurationNotOwned(cur.Name, r.c.Now())
		return nil, nil
	}
	want.SetDefaults(ctx)
	if !typed.Equal(cur.Spec, want.Spec) || !typed.Equal(cur.Labels, want.Labels) || !typed.Equal(cur.Annotations, want.Annotations) {
		old := typed.Clone(cur)
		cur.Spec, cur.Labels, cur.Annotations = want.Spec, want.Labels, want.Annotations
		if err := r.c.Update(ctx, key, cur, old); err != nil {
			return nil, fmt.Errorf("service %s/%s: %w", svc.Namespace, svc.Name, err)
		}
		return nil, nil
	}
	return cur, nil
}

func (r *Reconciler) reconcileRoute(ctx context.Context, svc *servingv1.Service) (*servingv1.Route, error) {
	want := resources.MakeRoute(svc)
	key := typed.Key(group, "routes", svc.Namespace, svc.Name)
	cur := &servingv1.Route{}
	err := r.c.Get(ctx, key, cur)
	if typed.IsNotFound(err) {
		if err := r.c.Create(ctx, key, want); err != nil {
			return nil, fmt.Errorf("service %s/%s: %w", svc.Namespace, svc.Name, err)
		}
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !typed.IsControlledBy(cur, svc) {
		svc.Status.MarkRouteNotOwned(cur.Name, r.c.Now())
		return nil, nil
	}
	want.SetDefaults(ctx)
	if !typed.Equal(cur.Spec, want.Spec) || !typed.Equal(cur.Labels, want.Labels) || !typed.Equal(cur.Annotations, want.Annotations) {
		old := typed.Clone(cur)
		cur.Spec, cur.Labels, cur.Annotations = want.Spec, want.Labels, want.Annotations
		if err := r.c.Update(ctx, key, cur, old); err != nil {
			return nil, fmt.Errorf("service %s/%s: %w", svc.Namespace, svc.Name, err)
		}
		return nil, nil
	}
	return cur, nil
}
