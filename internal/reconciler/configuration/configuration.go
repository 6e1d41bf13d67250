// Package configuration reconciles Knative Configurations: each template
// change stamps out one immutable Revision, the status follows the latest
// created and the latest ready Revision, and old Revisions that take no
// traffic are garbage collected by Knative's config-gc rules.
package configuration

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"time"

	servingv1 "github.com/skiff-sh/skiff/internal/apis/serving/v1"
	"github.com/skiff-sh/skiff/internal/controller"
	"github.com/skiff-sh/skiff/internal/reconciler/configuration/resources"
	"github.com/skiff-sh/skiff/internal/reconciler/typed"
	"github.com/skiff-sh/skiff/internal/store"
	"k8s.io/apimachinery/pkg/labels"
)

const group = "serving.knative.dev"

// GC holds Knative's config-gc settings. A negative duration or count
// means "disabled" (Knative's "disabled" value).
type GC struct {
	RetainSinceCreateTime     time.Duration
	RetainSinceLastActiveTime time.Duration
	MinNonActiveRevisions     int
	MaxNonActiveRevisions     int
}

// DefaultGC returns Knative's config-gc defaults.
func DefaultGC() GC {
	return GC{
		RetainSinceCreateTime:     48 * time.Hour,
		RetainSinceLastActiveTime: 15 * time.Hour,
		MinNonActiveRevisions:     20,
		MaxNonActiveRevisions:     1000,
	}
}

// Reconciler reconciles one Configuration.
type Reconciler struct {
	c   *typed.Client
	gc  GC
	log *slog.Logger
}

var _ controller.Reconciler = (*Reconciler)(nil)

// NewController returns the Configuration controller: it watches
// Configurations and the Revisions they own.
func NewController(c *typed.Client, gc GC, logger *slog.Logger) *controller.Controller {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	owner := func(o *store.Object) []store.Key {
		name := o.Meta.Labels[servingv1.ConfigurationLabelKey]
		if name == "" {
			return nil
		}
		return []store.Key{typed.Key(group, "configurations", o.Key.Namespace, name)}
	}
	return controller.New("configuration", c.Store, &Reconciler{c: c, gc: gc, log: logger}, []controller.Source{
		{Watch: store.WatchOptions{Group: group, Resource: "configurations"}},
		{Watch: store.WatchOptions{Group: group, Resource: "revisions"}, Map: owner},
	}, controller.Options{Logger: logger})
}

// Reconcile implements controller.Reconciler.
func (r *Reconciler) Reconcile(ctx context.Context, key store.Key) error {
	cfg := &servingv1.Configuration{}
	if err := r.c.Get(ctx, key, cfg); err != nil {
		if typed.IsNotFound(err) {
			return nil
		}
		return err
	}
	if cfg.DeletionTimestamp != nil {
		return nil
	}
	before := typed.Clone(cfg.Status)
	now := r.c.Now()
	cfg.Status.InitializeConditions(now)

	name := resources.RevisionName(cfg)
	revKey := typed.Key(group, "revisions", cfg.Namespace, name)
	rev := &servingv1.Revision{}
	err := r.c.Get(ctx, revKey, rev)
	switch {
	case typed.IsNotFound(err):
		rev = resources.MakeRevision(cfg)
		if err := r.c.Create(ctx, revKey, rev); err != nil {
			cfg.Status.MarkRevisionCreationFailed(err.Error(), now)
			rev = nil
		}
	case err != nil:
		return err
	case !typed.IsControlledBy(rev, cfg):
		cfg.Status.MarkRevisionCreationFailed(fmt.Sprintf("revision %q already exists and is not owned by configuration %q", name, cfg.Name), now)
		rev = nil
	}
	if rev != nil {
		cfg.Status.SetLatestCreatedRevisionName(name, now)
		switch {
		case rev.IsReady():
			cfg.Status.SetLatestReadyRevisionName(name, now)
		case rev.IsFailed():
			c := rev.Status.GetCondition(servingv1.RevisionConditionReady)
			cfg.Status.MarkLatestCreatedFailed(name, c.Message, now)
		}
	}
	// The latest ready revision may have been deleted meanwhile.
	if lr := cfg.Status.LatestReadyRevisionName; lr != "" && lr != name {
		err := r.c.Get(ctx, typed.Key(group, "revisions", cfg.Namespace, lr), &servingv1.Revision{})
		if typed.IsNotFound(err) {
			cfg.Status.MarkLatestReadyDeleted(now)
		} else if err != nil {
			return err
		}
	}
	cfg.Status.ObservedGeneration = cfg.Generation
	if !typed.Equal(before, cfg.Status) {
		if err := r.c.UpdateStatus(ctx, key, cfg); err != nil {
			return err
		}
	}
	return r.collect(ctx, cfg, now)
}

// collect deletes the configuration's non-active revisions that config-gc
// no longer keeps, and asks to look again when the next one will expire.
func (r *Reconciler) collect(ctx context.Context, cfg *servingv1.Configuration, now time.Time) error {
	sel := labels.SelectorFromSet(labels.Set{servingv1.ConfigurationLabelKey: cfg.Name})
	list, err := r.c.Store.List(ctx, store.ListOptions{Group: group, Resource: "revisions", Namespace: cfg.Namespace, Labels: sel})
	if err != nil {
		return fmt.Errorf("list revisions of %s: %w", cfg.Name, err)
	}
	type candidate struct {
		key        store.Key
		created    time.Time
		lastActive time.Time
	}
	var nonActive []candidate
	for _, o := range list.Items {
		m := o.Meta
		if m.Name == cfg.Status.LatestCreatedRevisionName || m.Name == cfg.Status.LatestReadyRevisionName {
			continue
		}
		// Only revisions in reserve are collected, as in Knative.
		if servingv1.RoutingState(m.Labels[servingv1.RoutingStateLabelKey]) != servingv1.RoutingStateReserve {
			continue
		}
		if strings.EqualFold(m.Annotations[servingv1.NoGCAnnotationKey], "true") {
			continue
		}
		c := candidate{key: o.Key, created: m.CreationTimestamp.Time, lastActive: m.CreationTimestamp.Time}
		if t, err := time.Parse(time.RFC3339, m.Annotations[servingv1.RoutingStateModifiedAnnotationKey]); err == nil {
			c.lastActive = t
		}
		nonActive = append(nonActive, c)
	}
	// Newest activity first: the oldest are collected first.
	sort.Slice(nonActive, func(i, j int) bool { return nonActive[i].lastActive.After(nonActive[j].lastActive) })
	var next time.Duration
	byTime := r.gc.RetainSinceCreateTime >= 0 || r.gc.RetainSinceLastActiveTime >= 0
	kept := 0
	for i, c := range nonActive {
		// A disabled retain time does not hold a revision back.
		createdOK := r.gc.RetainSinceCreateTime < 0 || now.Sub(c.created) >= r.gc.RetainSinceCreateTime
		activeOK := r.gc.RetainSinceLastActiveTime < 0 || now.Sub(c.lastActive) >= r.gc.RetainSinceLastActiveTime
		collect := false
		switch {
		case r.gc.MinNonActiveRevisions >= 0 && i < r.gc.MinNonActiveRevisions:
		case byTime && createdOK && activeOK:
			collect = true
		case r.gc.MaxNonActiveRevisions >= 0 && kept >= r.gc.MaxNonActiveRevisions:
			collect = true
		case byTime:
			var wait time.Duration
			if r.gc.RetainSinceCreateTime >= 0 {
				wait = max(wait, r.gc.RetainSinceCreateTime-now.Sub(c.created))
			}
			if r.gc.RetainSinceLastActiveTime >= 0 {
				wait = max(wait, r.gc.RetainSinceLastActiveTime-now.Sub(c.lastActive))
			}
			if next == 0 || wait < next {
				next = wait
			}
		}
		if !collect {
			kept++
			continue
		}
		r.log.Info("collecting revision", "revision", c.key.Namespace+"/"+c.key.Name, "position", strconv.Itoa(i))
		if _, err := r.c.Store.Delete(ctx, c.key, store.DeleteOptions{}); err != nil && !typed.IsNotFound(err) {
			return fmt.Errorf("collect revision %s: %w", c.key.Name, err)
		}
	}
	if next > 0 {
		return controller.RequeueAfter{After: next + time.Second}
	}
	return nil
}
