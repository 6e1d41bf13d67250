// Package platform wires every skiff subsystem from configuration and runs
// them under one owner: the embedded NATS server, the resource store, the
// API server and the ingress listener. Nothing else imports it.
package platform

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/skiff-sh/skiff/internal/apis"
	"github.com/skiff-sh/skiff/internal/apis/registry"
	"github.com/skiff-sh/skiff/internal/apiserver"
	"github.com/skiff-sh/skiff/internal/certs"
	"github.com/skiff-sh/skiff/internal/config"
	"github.com/skiff-sh/skiff/internal/controller"
	"github.com/skiff-sh/skiff/internal/eventing/broker"
	"github.com/skiff-sh/skiff/internal/kubeconfig"
	"github.com/skiff-sh/skiff/internal/natsembed"
	"github.com/skiff-sh/skiff/internal/reconciler/namespace"
	"github.com/skiff-sh/skiff/internal/reconciler/typed"
	"github.com/skiff-sh/skiff/internal/runtime/images"
	"github.com/skiff-sh/skiff/internal/serving/logs"
	"github.com/skiff-sh/skiff/internal/store"
)

// Config is everything `skiff server` takes from its flags.
type Config struct {
	// DataDir holds NATS files, the token and the kubeconfig.
	DataDir string
	// APIAddr is where the Kubernetes-style API listens.
	APIAddr string
	// HTTPAddr is where the ingress listens.
	HTTPAddr string
	// ConfigFile is the cluster-wide settings file; empty means
	// DataDir/config.yaml (which may be absent).
	ConfigFile string
	// NATSURL, when set, uses an external NATS instead of the embedded one.
	NATSURL string
	// NATSListen, when set, opens the embedded NATS server's client port.
	NATSListen string
	// SyncAlways makes JetStream fsync every write before acknowledging it
	// (an event's 202 then survives power loss, not only a process kill).
	SyncAlways bool
	// Version is skiff's version.
	Version string
	// Logger receives every subsystem's logs.
	Logger *slog.Logger
	// OnReady, when set, runs once skiff is ready (in its own goroutine,
	// stopped with the server), with the kubeconfig path of the data dir.
	OnReady func(ctx context.Context, kubeconfigPath string)
}

// Log keys used across the platform.
const (
	logKeyAddr  = "addr"
	logKeyErr   = "err"
	logKeyCount = "count"
)

// shutdownGrace bounds how long listeners wait for requests in flight.
const shutdownGrace = 10 * time.Second

// Run starts skiff and blocks until ctx ends, then stops everything in
// reverse order.
func Run(ctx context.Context, cfg Config) error {
	// Trigger consumers made before this are candidates for pruning.
	started := time.Now()
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	cfgPath := cfg.ConfigFile
	if cfgPath == "" {
		cfgPath = filepath.Join(cfg.DataDir, "config.yaml")
	} else if _, err := os.Stat(cfgPath); err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	settings, err := config.Load(cfgPath)
	if err != nil {
		return err
	}
	apiCfg, err := settings.APIConfig()
	if err != nil {
		return err
	}

	// Bind both listeners first, so that a busy port fails fast.
	apiLn, err := net.Listen("tcp", cfg.APIAddr)
	if err != nil {
		return fmt.Errorf("listen api: %w", err)
	}
	defer apiLn.Close()
	httpLn, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen http: %w", err)
	}
	defer httpLn.Close()

	nc, err := natsembed.Start(ctx, natsembed.Config{
		DataDir: cfg.DataDir, URL: cfg.NATSURL, ClientAddr: cfg.NATSListen, SyncAlways: cfg.SyncAlways, Logger: log,
	})
	if err != nil {
		return err
	}
	defer nc.Close()

	st, err := store.NewKV(ctx, nc.JetStream(), store.KVOptions{Logger: log.With("component", "store")})
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer st.Close()
	if err := ensureDefaultNamespace(ctx, st); err != nil {
		return err
	}

	imgStore, err := images.New(ctx, nc.JetStream(), filepath.Join(cfg.DataDir, "images"), log.With("component", "images"))
	if err != nil {
		return err
	}

	token, err := kubeconfig.EnsureToken(filepath.Join(cfg.DataDir, "token"))
	if err != nil {
		return err
	}
	apiHost, _, _ := net.SplitHostPort(apiLn.Addr().String())
	tlsCerts, err := certs.EnsureServing(filepath.Join(cfg.DataDir, "pki"), []string{apiHost}, time.Now())
	if err != nil {
		return err
	}
	apiURL := "https://" + clientAddr(apiLn.Addr())
	if err := kubeconfig.Write(filepath.Join(cfg.DataDir, "kubeconfig"), kubeconfig.Config{
		Server: apiURL, Token: token, Namespace: "default", CAData: tlsCerts.CAPEM,
	}); err != nil {
		return err
	}

	var ready atomic.Bool
	var ev *eventingPlane
	api, err := apiserver.New(apiserver.Config{
		Kinds:     registry.All(),
		Store:     st,
		Token:     token,
		Version:   cfg.Version,
		APIConfig: func() *apis.Config { return apiCfg },
		Ready:     ready.Load,
		Logger:    log.With("component", "apiserver"),
		Extra: map[string]http.Handler{
			// The eventing plane is built below, before any request is served.
			broker.TailPath:   http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ev.ingress.TailHandler().ServeHTTP(w, r) }),
			images.UploadPath: imgStore.Handler(),
			logs.PathPrefix:   logs.New(filepath.Join(cfg.DataDir, "logs"), log.With("component", "logs")),
		},
	})
	if err != nil {
		return err
	}

	settingsServing, err := parseServingSettings(settings, portOf(httpLn.Addr()))
	if err != nil {
		return err
	}
	tc := &typed.Client{Store: st, Config: func() *apis.Config { return apiCfg }, Now: time.Now}
	sv, err := newServing(cfg.DataDir, tc, settingsServing, imgStore, log)
	if err != nil {
		return err
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		sv.close(ctx)
	}()
	ev = newEventing(nc.JetStream(), tc, "http://"+clientAddr(httpLn.Addr()), log)
	sv.ingress.SetFallback(ev.ingress)
	defer ev.close(context.Background())

	// API requests that stream (watches, logs -f, event tail) end when
	// skiff stops, rather than holding the shutdown for its grace period.
	apiReqCtx, endAPIRequests := context.WithCancel(context.Background())
	defer endAPIRequests()
	servers := []*http.Server{
		{Handler: api.Handler(), ReadHeaderTimeout: 10 * time.Second, TLSConfig: &tls.Config{
			Certificates: []tls.Certificate{tlsCerts.Certificate}, MinVersion: tls.VersionTLS12,
		}, BaseContext: func(net.Listener) context.Context { return apiReqCtx }},
		sv.ingress.NewServer(),
	}
	listeners := []net.Listener{tls.NewListener(apiLn, servers[0].TLSConfig), httpLn}
	errc := make(chan error, len(servers))
	var wg sync.WaitGroup
	for i, srv := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := srv.Serve(listeners[i]); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("serve %s: %w", listeners[i].Addr(), err)
			}
		}()
	}
	// Reconcilers run until ctx ends; they stop before the store closes.
	ctrlCtx, stopControllers := context.WithCancel(ctx)
	var ctrlWG sync.WaitGroup
	for _, c := range append([]*controller.Controller{
		namespace.NewController(st, log.With("component", "controller")),
	}, append(sv.controllers, ev.controllers...)...) {
		ctrlWG.Add(1)
		go func() {
			defer ctrlWG.Done()
			_ = c.Run(ctrlCtx)
		}()
	}
	defer func() {
		stopControllers()
		ctrlWG.Wait()
	}()
	ctrlWG.Add(1)
	go func() {
		defer ctrlWG.Done()
		ev.pruneConsumers(ctrlCtx, started, st, log)
	}()

	ready.Store(true)
	if cfg.OnReady != nil {
		ctrlWG.Add(1)
		go func() {
			defer ctrlWG.Done()
			cfg.OnReady(ctrlCtx, filepath.Join(cfg.DataDir, "kubeconfig"))
		}()
	}
	log.Info("skiff is ready", "api", apiURL, "ingress", "http://"+httpLn.Addr().String(),
		"kubeconfig", filepath.Join(cfg.DataDir, "kubeconfig"))

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
	}
	ready.Store(false)
	log.Info("skiff is stopping")
	shCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	endAPIRequests()
	for _, srv := range servers {
		if err := srv.Shutdown(shCtx); err != nil {
			log.Warn("shutdown listener", logKeyErr, err)
		}
	}
	wg.Wait()
	return runErr
}

// ensureDefaultNamespace creates the namespace "default" if it is missing.
func ensureDefaultNamespace(ctx context.Context, st store.Store) error {
	key := store.Key{Resource: "namespaces", Name: "default"}
	_, err := st.Get(ctx, key)
	if err == nil {
		return nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("get namespace default: %w", err)
	}
	_, err = st.Create(ctx, key, []byte(`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"default"}}`))
	if err != nil && !errors.Is(err, store.ErrExists) {
		return fmt.Errorf("create namespace default: %w", err)
	}
	return nil
}

// clientAddr is the address clients dial for a listener: a wildcard bind
// is reached on loopback.
func clientAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
