package platform

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"time"

	"github.com/skiff-sh/skiff/internal/config"
	"github.com/skiff-sh/skiff/internal/controller"
	"github.com/skiff-sh/skiff/internal/reconciler/configuration"
	"github.com/skiff-sh/skiff/internal/reconciler/podautoscaler"
	"github.com/skiff-sh/skiff/internal/reconciler/revision"
	"github.com/skiff-sh/skiff/internal/reconciler/route"
	routeres "github.com/skiff-sh/skiff/internal/reconciler/route/resources"
	"github.com/skiff-sh/skiff/internal/reconciler/service"
	"github.com/skiff-sh/skiff/internal/reconciler/typed"
	"github.com/skiff-sh/skiff/internal/runtime"
	"github.com/skiff-sh/skiff/internal/serving/autoscaler"
	"github.com/skiff-sh/skiff/internal/serving/ingress"
	"github.com/skiff-sh/skiff/internal/serving/pool"
	"github.com/skiff-sh/skiff/internal/serving/proxy"
)

// serving is the serving plane: instances, the ingress and the reconcilers
// of Services, Configurations, Routes and Revisions.
type serving struct {
	rt          *runtime.Process
	pool        *pool.Manager
	proxy       *proxy.Proxy
	ingress     *ingress.Ingress
	controllers []*controller.Controller
}

// servingSettings are the config-network, config-domain and config-gc
// sections, parsed.
type servingSettings struct {
	network    routeres.Network
	rollout    time.Duration
	gc         configuration.GC
	autoscaler *autoscaler.Config
}

func parseServingSettings(f config.File, httpPort int) (servingSettings, error) {
	s := servingSettings{network: routeres.DefaultNetwork(), gc: configuration.DefaultGC()}
	as, err := autoscaler.ParseConfig(f["config-autoscaler"])
	if err != nil {
		return s, fmt.Errorf("config-autoscaler: %w", err)
	}
	s.autoscaler = as
	s.network.HTTPPort = httpPort
	if v, ok := f.Get("config-network", "domain-template"); ok && v != "" {
		s.network.DomainTemplate = v
	}
	if v, ok := f.Get("config-network", "tag-template"); ok && v != "" {
		s.network.TagTemplate = v
	}
	if v, ok := f.Get("config-network", "rollout-duration"); ok && v != "" {
		d, err := parseSeconds(v)
		if err != nil {
			return s, fmt.Errorf("config-network.rollout-duration: %w", err)
		}
		s.rollout = d
	}
	for domain := range f["config-domain"] {
		// The first domain with an empty selector is the default, as in
		// Knative; skiff takes any one when there is a single entry.
		s.network.Domain = domain
		if f["config-domain"][domain] == "" {
			break
		}
	}
	if err := s.network.Validate(); err != nil {
		return s, err
	}
	for key, dst := range map[string]*time.Duration{
		"retain-since-create-time":      &s.gc.RetainSinceCreateTime,
		"retain-since-last-active-time": &s.gc.RetainSinceLastActiveTime,
	} {
		if v, ok := f.Get("config-gc", key); ok {
			if v == "disabled" {
				*dst = -1
				continue
			}
			d, err := time.ParseDuration(v)
			if err != nil {
				return s, fmt.Errorf("config-gc.%s: %w", key, err)
			}
			*dst = d
		}
	}
	for key, dst := range map[string]*int{
		"min-non-active-revisions": &s.gc.MinNonActiveRevisions,
		"max-non-active-revisions": &s.gc.MaxNonActiveRevisions,
	} {
		if v, ok := f.Get("config-gc", key); ok {
			if v == "disabled" {
				*dst = -1
				continue
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return s, fmt.Errorf("config-gc.%s: want a non-negative integer or disabled, got %q", key, v)
			}
			*dst = n
		}
	}
	return s, nil
}

// parseSeconds reads a duration as Knative writes them: "60s" or "60".
func parseSeconds(v string) (time.Duration, error) {
	if n, err := strconv.Atoi(v); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	return time.ParseDuration(v)
}

func newServing(dataDir string, c *typed.Client, settings servingSettings, stored revision.ImageResolver, log *slog.Logger) (*serving, error) {
	rt, err := runtime.NewProcess(runtime.ProcessOptions{
		StateDir: filepath.Join(dataDir, "runtime"), Logger: log.With("component", "runtime"),
		RestartBackoff: time.Second,
	})
	if err != nil {
		return nil, fmt.Errorf("process runtime: %w", err)
	}
	s := &serving{rt: rt, proxy: proxy.New(log.With("component", "proxy"))}
	var revCtrl, paCtrl *controller.Controller
	var pa *podautoscaler.Reconciler
	s.pool = pool.NewManager(rt, pool.Options{
		LogDir: filepath.Join(dataDir, "logs"),
		OnChange: func(k pool.RevisionKey) {
			if revCtrl != nil {
				revCtrl.Enqueue(revision.Key(k))
			}
			if paCtrl != nil {
				paCtrl.Enqueue(podautoscaler.Key(k))
			}
		},
		OnCold: func(k pool.RevisionKey) {
			if pa != nil {
				pa.OnCold(k)
			}
		},
		Logger: log.With("component", "pool"),
	})
	s.ingress = ingress.New(s.pool, s.proxy, log.With("component", "ingress"))
	ctrlLog := log.With("component", "controller")
	pa, paCtrl = podautoscaler.New(c, s.pool, func() *autoscaler.Config { return settings.autoscaler }, ctrlLog)
	revCtrl = revision.NewController(c, s.pool, revision.LocalImages{Stored: stored}, true, ctrlLog)
	s.controllers = []*controller.Controller{
		paCtrl,
		service.NewController(c, ctrlLog),
		configuration.NewController(c, settings.gc, ctrlLog),
		route.NewController(c, s.ingress, route.Options{Network: settings.network, RolloutDuration: settings.rollout, Logger: ctrlLog}),
		revCtrl,
	}
	return s, nil
}

// close stops the ingress's route listeners and every instance, draining
// requests in flight until ctx ends.
func (s *serving) close(ctx context.Context) {
	s.ingress.Close()
	s.pool.Close(ctx)
	_ = s.rt.Close(ctx)
	s.proxy.Close()
}

func portOf(a net.Addr) int {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.Port
	}
	return 0
}
