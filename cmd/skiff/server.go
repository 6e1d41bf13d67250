package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/skiff-sh/skiff/internal/apis/registry"
	"github.com/skiff-sh/skiff/internal/client"
	"github.com/skiff-sh/skiff/internal/gctune"
	"github.com/skiff-sh/skiff/internal/kubeconfig"

	"github.com/skiff-sh/skiff/internal/platform"
	"github.com/spf13/cobra"
)

func newServerCmd(s streams, cf *clientFlags) *cobra.Command {
	cfg := platform.Config{Version: version}
	var logLevel, sync string
	var applyPaths []string
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run skiff: the API, the reconcilers and the data planes, on embedded NATS",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var level slog.Level
			if err := level.UnmarshalText([]byte(strings.ToUpper(logLevel))); err != nil {
				return err
			}
			cfg.DataDir = cf.dataDir
			switch sync {
			case "default":
			case "always":
				cfg.SyncAlways = true
			default:
				return fmt.Errorf("--sync must be default or always, got %q", sync)
			}
			gctune.Apply()
			cfg.Logger = slog.New(slog.NewTextHandler(s.err, &slog.HandlerOptions{Level: level}))
			if len(applyPaths) > 0 {
				cfg.OnReady = func(ctx context.Context, kubeconfigPath string) {
					applyAtStart(ctx, kubeconfigPath, applyPaths, s, cfg.Logger)
				}
			}
			return platform.Run(cmd.Context(), cfg)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.APIAddr, "api-addr", "127.0.0.1:7080", "address of the Kubernetes-style API")
	f.StringVar(&cfg.HTTPAddr, "http-addr", "127.0.0.1:8080", "address of the ingress that serves Knative services")
	f.StringVar(&cfg.ConfigFile, "config", "", "cluster-wide settings file, Knative config-* sections (default: <data-dir>/config.yaml if present)")
	f.StringVar(&cfg.NATSURL, "nats-url", "", "use this external NATS (JetStream) instead of the embedded server")
	f.StringVar(&cfg.NATSListen, "nats-listen", "", "open the embedded NATS server's client port on this address")
	f.StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn, error")
	f.StringVar(&sync, "sync", "default", "durability of acknowledged writes and events: default (written to the OS before the ack: survives a process kill) or always (fsync before the ack: survives power loss)")
	f.StringArrayVar(&applyPaths, "apply", nil, "once ready, apply these manifests (files or directories; ko:// images are built from the current directory's module), as `skiff apply -f` would")
	return cmd
}

// applyAtStart applies manifests once the server is ready, logging the
// outcome; a failure does not stop the server.
func applyAtStart(ctx context.Context, kubeconfigPath string, paths []string, s streams, log *slog.Logger) {
	kc, err := kubeconfig.Load(kubeconfigPath)
	if err != nil {
		log.Error("apply at start", "err", err)
		return
	}
	c := client.New(kc, registry.All())
	for _, p := range paths {
		if err := applyPath(ctx, c, c.Namespace(), p, s); err != nil {
			log.Error("apply at start", "path", p, "err", err)
			continue
		}
		log.Info("applied at start", "path", p)
	}
}
