// Package ingress is the front door of skiff's serving data plane. It finds
// a request's route by its Host header (or by the route's own loopback
// address), picks a revision by the route's traffic percentages, waits for
// an instance of that revision with capacity, and forwards the request to
// it: Knative's ingress, activator and queue-proxy in one in-process step.
package ingress

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/skiff-sh/skiff/internal/serving/pool"
	"github.com/skiff-sh/skiff/internal/serving/proxy"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/h2c"
)

// Acquirer hands out request slots on a revision's instances.
type Acquirer interface {
	Acquire(ctx context.Context, key pool.RevisionKey) (*pool.Lease, error)
}

var _ Acquirer = (*pool.Manager)(nil)

// Target is one revision a route sends traffic to.
type Target struct {
	Revision pool.RevisionKey
	// Percent of the route's traffic, 0-100.
	Percent int
	// Protocol the revision's instances speak.
	Protocol proxy.Protocol
	// Timeout, ResponseStartTimeout and IdleTimeout are the revision's
	// timeoutSeconds, responseStartTimeoutSeconds and idleTimeoutSeconds.
	Timeout, ResponseStartTimeout, IdleTimeout time.Duration
}

// Route is what the ingress knows of one Knative Route.
type Route struct {
	// Key is "namespace/name".
	Key string
	// Hosts are the external hosts of the route (none when it is
	// cluster-local).
	Hosts []string
	// Targets share the traffic; their percents sum to 100.
	Targets []Target
	// TagHosts map each tag's host to its target, which gets all of that
	// host's traffic.
	TagHosts map[string]Target
	// AddressPort is the loopback port the route's own address prefers
	// (the one it had before a restart); 0 picks a free one.
	AddressPort int
}

// entry is a route as the request path reads it.
type entry struct {
	targets []Target
}

// table maps lower-case hosts (without port) to entries. It is replaced
// whole on every change, so that requests read it without locks.
type table map[string]*entry

// Ingress routes requests by Host. Build it with New and serve it.
type Ingress struct {
	acq   Acquirer
	proxy *proxy.Proxy
	log   *slog.Logger

	hosts atomic.Pointer[table]
	// fallback serves requests to the ingress's own address (an IP or
	// "localhost" as the host) that no route claims: the broker ingress.
	fallback atomic.Pointer[http.Handler]

	mu     sync.Mutex // guards routes and addrs, and serializes table rebuilds
	routes map[string]Route
	addrs  map[string]*addressServer // route key -> its own listener
	wg     sync.WaitGroup            // address servers
}

// addressServer is the loopback listener of one route's address.
type addressServer struct {
	srv   *http.Server
	port  int
	entry atomic.Pointer[entry]
}

// New returns an ingress that forwards through px to instances acq hands out.
func New(acq Acquirer, px *proxy.Proxy, logger *slog.Logger) *Ingress {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	i := &Ingress{acq: acq, proxy: px, log: logger, routes: map[string]Route{}, addrs: map[string]*addressServer{}}
	i.hosts.Store(&table{})
	return i
}

// Handler returns the ingress as an http.Handler that also accepts HTTP/2
// over cleartext (h2c, for gRPC clients).
func (i *Ingress) Handler() http.Handler {
	return h2c.NewHandler(http.HandlerFunc(i.serveByHost), &http2.Server{})
}

// SetFallback sets the handler of requests whose Host is the ingress's own
// address (an IP literal or "localhost") rather than a route's host.
func (i *Ingress) SetFallback(h http.Handler) { i.fallback.Store(&h) }

// SetRoute installs or replaces a route and returns the URL of its own
// loopback address ("http://127.0.0.1:<port>"), which reaches the route
// without any Host header or DNS.
func (i *Ingress) SetRoute(r Route) (string, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	for _, h := range allHosts(r) {
		for key, other := range i.routes {
			if key != r.Key && hasHost(other, h) {
				return "", fmt.Errorf("host %s is already claimed by route %s", h, key)
			}
		}
	}
	as, err := i.addressLocked(r)
	if err != nil {
		return "", err
	}
	as.entry.Store(&entry{targets: r.Targets})
	i.routes[r.Key] = r
	i.rebuildLocked()
	return "http://127.0.0.1:" + strconv.Itoa(as.port), nil
}

// DeleteRoute removes a route and closes its address.
func (i *Ingress) DeleteRoute(key string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	delete(i.routes, key)
	if as, ok := i.addrs[key]; ok {
		delete(i.addrs, key)
		_ = as.srv.Close()
	}
	i.rebuildLocked()
}

// Close closes every route address and waits for their servers.
func (i *Ingress) Close() {
	i.mu.Lock()
	for key, as := range i.addrs {
		delete(i.addrs, key)
		_ = as.srv.Close()
	}
	i.mu.Unlock()
	i.wg.Wait()
}

func allHosts(r Route) []string {
	hosts := append([]string(nil), r.Hosts...)
	for h := range r.TagHosts {
		hosts = append(hosts, h)
	}
	return hosts
}

func hasHost(r Route, h string) bool {
	for _, x := range allHosts(r) {
		if strings.EqualFold(x, h) {
			return true
		}
	}
	return false
}

func (i *Ingress) rebuildLocked() {
	t := table{}
	for _, r := range i.routes {
		e := &entry{targets: r.Targets}
		for _, h := range r.Hosts {
			t[strings.ToLower(h)] = e
		}
		for h, tg := range r.TagHosts {
			tg.Percent = 100
			t[strings.ToLower(h)] = &entry{targets: []Target{tg}}
		}
	}
	i.hosts.Store(&t)
}

// addressLocked returns the route's address server, starting it on the
// preferred port when it can.
func (i *Ingress) addressLocked(r Route) (*addressServer, error) {
	if as, ok := i.addrs[r.Key]; ok {
		return as, nil
	}
	var ln net.Listener
	var err error
	if r.AddressPort > 0 {
		ln, err = net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(r.AddressPort))
	}
	if ln == nil {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		return nil, fmt.Errorf("listen for route %s: %w", r.Key, err)
	}
	as := &addressServer{port: ln.Addr().(*net.TCPAddr).Port}
	as.srv = &http.Server{
		Handler: h2c.NewHandler(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			i.serveEntry(w, req, as.entry.Load())
		}), &http2.Server{}),
		ReadHeaderTimeout: 30 * time.Second,
		MaxHeaderBytes:    maxHeaderBytes,
	}
	i.addrs[r.Key] = as
	i.wg.Add(1)
	go func() {
		defer i.wg.Done()
		if err := as.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			i.log.Error("route address stopped", "route", r.Key, "err", err)
		}
	}()
	return as, nil
}

// maxHeaderBytes bounds request headers on every ingress listener; larger
// ones get 431 from net/http.
const maxHeaderBytes = 64 << 10

// NewServer returns the http.Server of the ingress's main listener.
func (i *Ingress) NewServer() *http.Server {
	return &http.Server{Handler: i.Handler(), ReadHeaderTimeout: 30 * time.Second, MaxHeaderBytes: maxHeaderBytes}
}

func (i *Ingress) serveByHost(w http.ResponseWriter, r *http.Request) {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	e := (*i.hosts.Load())[strings.ToLower(strings.TrimSuffix(host, "."))]
	if e == nil {
		if fb := i.fallback.Load(); fb != nil && (net.ParseIP(host) != nil || strings.EqualFold(host, "localhost")) {
			(*fb).ServeHTTP(w, r)
			return
		}
		http.Error(w, "no route for host "+host, http.StatusNotFound)
		return
	}
	i.serveEntry(w, r, e)
}

// pick chooses a target by percent.
func pick(targets []Target) *Target {
	if len(targets) == 1 {
		return &targets[0]
	}
	n := rand.IntN(100)
	for k := range targets {
		n -= targets[k].Percent
		if n < 0 {
			return &targets[k]
		}
	}
	return nil
}

// acquireRetries bounds how often a request moves to another instance when
// the chosen one refused the connection before seeing the request.
const acquireRetries = 2

func (i *Ingress) serveEntry(w http.ResponseWriter, r *http.Request, e *entry) {
	if e == nil || len(e.targets) == 0 {
		http.Error(w, "route has no traffic targets", http.StatusServiceUnavailable)
		return
	}
	t := pick(e.targets)
	if t == nil {
		http.Error(w, "route has no traffic targets", http.StatusServiceUnavailable)
		return
	}
	opts := proxy.Options{
		Protocol: t.Protocol, Timeout: t.Timeout, ResponseStartTimeout: t.ResponseStartTimeout,
		IdleTimeout: t.IdleTimeout, NoErrorResponse: true,
	}
	for attempt := 0; ; attempt++ {
		ctx := r.Context()
		var cancel context.CancelFunc
		if t.Timeout > 0 {
			// Waiting for an instance (starting, or all busy) counts
			// against the revision's timeout, as in Knative's activator.
			ctx, cancel = context.WithTimeout(ctx, t.Timeout)
		}
		lease, err := i.acq.Acquire(ctx, t.Revision)
		if cancel != nil {
			cancel()
		}
		if err != nil {
			writeAcquireError(w, r, err)
			return
		}
		err = forward(i.proxy, w, r, lease, opts)
		if err == nil {
			return
		}
		var pe *proxy.Error
		if errors.As(err, &pe) && pe.Retryable() && attempt < acquireRetries {
			continue
		}
		proxy.WriteError(w, err)
		return
	}
}

func writeAcquireError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case r.Context().Err() != nil:
		// The client is gone; nobody reads an answer.
	case errors.Is(err, context.DeadlineExceeded):
		http.Error(w, "timed out waiting for an instance", http.StatusGatewayTimeout)
	case errors.Is(err, pool.ErrOverload):
		http.Error(w, "overload: too many requests waiting for this revision", http.StatusServiceUnavailable)
	case errors.Is(err, pool.ErrFailed):
		http.Error(w, "revision cannot start: "+err.Error(), http.StatusServiceUnavailable)
	default:
		http.Error(w, "revision unavailable", http.StatusServiceUnavailable)
	}
}

// forward sends the request to the leased instance and always returns the
// lease, also when Forward cuts a broken stream by panicking with
// http.ErrAbortHandler.
func forward(px *proxy.Proxy, w http.ResponseWriter, r *http.Request, lease *pool.Lease, opts proxy.Options) error {
	defer lease.Release()
	return px.Forward(w, r, lease.Addr, opts)
}
