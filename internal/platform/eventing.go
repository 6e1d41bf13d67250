package platform

import (
	"context"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/skiff-sh/skiff/internal/controller"
	"github.com/skiff-sh/skiff/internal/eventing/broker"
	"github.com/skiff-sh/skiff/internal/eventing/dispatch"
	brokerrec "github.com/skiff-sh/skiff/internal/reconciler/broker"
	"github.com/skiff-sh/skiff/internal/reconciler/trigger"
	"github.com/skiff-sh/skiff/internal/reconciler/typed"
	"github.com/skiff-sh/skiff/internal/store"
)

// eventingPlane is the eventing data plane (broker ingress, trigger
// dispatchers) and its reconcilers.
type eventingPlane struct {
	ingress     *broker.Ingress
	dispatcher  *dispatch.Dispatcher
	controllers []*controller.Controller
}

// newEventing builds the eventing plane on js; baseURL is the ingress URL
// brokers are addressed under.
func newEventing(js jetstream.JetStream, c *typed.Client, baseURL string, log *slog.Logger) *eventingPlane {
	e := &eventingPlane{}
	e.ingress = broker.NewIngress(js, broker.IngressOptions{Logger: log.With("component", "broker-ingress")})
	e.dispatcher = dispatch.New(js, e.ingress.Publish, dispatch.Options{Logger: log.With("component", "dispatcher")})
	ctrlLog := log.With("component", "controller")
	e.controllers = []*controller.Controller{
		brokerrec.NewController(c, e.ingress, baseURL, ctrlLog),
		trigger.NewController(c, e.dispatcher, ctrlLog),
	}
	return e
}

func (e *eventingPlane) close(context.Context) { e.dispatcher.Close() }

// pruneConsumers removes the consumers of Triggers that were deleted
// without a reconciler seeing it (the server stopped in between).
// Only consumers made before started are candidates.
func (e *eventingPlane) pruneConsumers(ctx context.Context, started time.Time, st store.Store, log *slog.Logger) {
	n, err := e.dispatcher.PruneConsumers(ctx, started, func(ctx context.Context) (map[string]bool, error) {
		list, err := st.List(ctx, store.ListOptions{Group: "eventing.knative.dev", Resource: "triggers"})
		if err != nil {
			return nil, err
		}
		uids := make(map[string]bool, len(list.Items))
		for _, it := range list.Items {
			uids[string(it.Meta.UID)] = true
		}
		return uids, nil
	})
	switch {
	case err != nil && ctx.Err() == nil:
		log.Warn("prune the consumers of deleted triggers", logKeyErr, err)
	case n > 0:
		log.Info("pruned the consumers of deleted triggers", logKeyCount, n)
	}
}
