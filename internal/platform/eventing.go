package platform

import (
	"context"
	"log/slog"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/skiff-sh/skiff/internal/controller"
	"github.com/skiff-sh/skiff/internal/eventing/broker"
	"github.com/skiff-sh/skiff/internal/eventing/dispatch"
	brokerrec "github.com/skiff-sh/skiff/internal/reconciler/broker"
	"github.com/skiff-sh/skiff/internal/reconciler/trigger"
	"github.com/skiff-sh/skiff/internal/reconciler/typed"
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
