// Package natsembed runs the NATS server with JetStream inside the skiff
// process and hands out in-process connections to it. It is the backbone
// that holds resource state (KV), events (streams) and image blobs (object
// store). With an external URL it connects to a NATS cluster instead and runs
// no server of its own.
package natsembed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Config says how to run or reach NATS.
type Config struct {
	// DataDir is skiff's data dir; JetStream files go under DataDir/nats.
	DataDir string
	// ClientAddr, when set (host:port), opens a NATS client listener there
	// so that other processes can connect. Empty: no port is opened.
	ClientAddr string
	// URL, when set, connects to an external NATS server or cluster and runs
	// no embedded server.
	URL string
	// SyncAlways makes JetStream fsync every write before acknowledging it.
	SyncAlways bool
	// ServerName names the embedded server; it defaults to "skiff".
	ServerName string
	// Logger receives the server's warnings and errors.
	Logger *slog.Logger
}

// NATS is a running embedded server (or a link to an external one) and the
// connection skiff uses.
type NATS struct {
	srv *server.Server // nil when connected to an external URL
	nc  *nats.Conn
	js  jetstream.JetStream
}

// Start runs the embedded server (or dials cfg.URL) and connects to it.
func Start(ctx context.Context, cfg Config) (*NATS, error) {
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if cfg.URL != "" {
		nc, err := nats.Connect(cfg.URL, nats.Name("skiff"), nats.MaxReconnects(-1))
		if err != nil {
			return nil, fmt.Errorf("connect nats %s: %w", cfg.URL, err)
		}
		return finish(nil, nc)
	}

	name := cfg.ServerName
	if name == "" {
		name = "skiff"
	}
	opts := &server.Options{
		ServerName:         name,
		JetStream:          true,
		StoreDir:           filepath.Join(cfg.DataDir, "nats"),
		NoSigs:             true,
		DontListen:         cfg.ClientAddr == "",
		SyncAlways:         cfg.SyncAlways,
		JetStreamMaxMemory: -1,
		JetStreamMaxStore:  -1,
	}
	if cfg.ClientAddr != "" {
		host, port, err := net.SplitHostPort(cfg.ClientAddr)
		if err != nil {
			return nil, fmt.Errorf("nats client addr %q: %w", cfg.ClientAddr, err)
		}
		p, err := strconv.Atoi(port)
		if err != nil {
			return nil, fmt.Errorf("nats client port %q: %w", port, err)
		}
		opts.Host, opts.Port = host, p
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("new nats server: %w", err)
	}
	srv.SetLoggerV2(&slogAdapter{l: logger.With("component", "nats")}, false, false, false)
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		return nil, errors.New("start nats server: not ready after 10s")
	}
	nc, err := nats.Connect("", nats.InProcessServer(srv), nats.Name("skiff"))
	if err != nil {
		srv.Shutdown()
		return nil, fmt.Errorf("connect embedded nats: %w", err)
	}
	return finish(srv, nc)
}

func finish(srv *server.Server, nc *nats.Conn) (*NATS, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		if srv != nil {
			srv.Shutdown()
		}
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	return &NATS{srv: srv, nc: nc, js: js}, nil
}

// Conn returns the connection skiff uses.
func (n *NATS) Conn() *nats.Conn { return n.nc }

// JetStream returns the JetStream context of Conn.
func (n *NATS) JetStream() jetstream.JetStream { return n.js }

// NewConn opens another connection to the same server, for a subsystem that
// wants its own (so that its slow consumers do not stall the others).
func (n *NATS) NewConn(name string) (*nats.Conn, error) {
	if n.srv == nil {
		return nats.Connect(n.nc.ConnectedUrl(), nats.Name(name), nats.MaxReconnects(-1))
	}
	return nats.Connect("", nats.InProcessServer(n.srv), nats.Name(name))
}

// ClientURL returns the URL other processes can dial, or "" when no client
// port is open.
func (n *NATS) ClientURL() string {
	if n.srv == nil {
		return n.nc.ConnectedUrl()
	}
	if n.srv.Addr() == nil {
		return ""
	}
	return n.srv.ClientURL()
}

// Close drains the connection and shuts the embedded server down, waiting for
// JetStream to flush its files.
func (n *NATS) Close() {
	if n.nc != nil {
		_ = n.nc.Drain()
		n.nc.Close()
	}
	if n.srv != nil {
		n.srv.Shutdown()
		n.srv.WaitForShutdown()
	}
}

// slogAdapter routes the NATS server's logger to slog.
type slogAdapter struct{ l *slog.Logger }

func (a *slogAdapter) Noticef(format string, v ...any) {
	a.l.Debug(fmt.Sprintf(format, v...))
}
func (a *slogAdapter) Warnf(format string, v ...any) { a.l.Warn(fmt.Sprintf(format, v...)) }
func (a *slogAdapter) Fatalf(format string, v ...any) {
	a.l.Error(fmt.Sprintf(format, v...))
}
func (a *slogAdapter) Errorf(format string, v ...any) { a.l.Error(fmt.Sprintf(format, v...)) }
func (a *slogAdapter) Debugf(format string, v ...any) { a.l.Debug(fmt.Sprintf(format, v...)) }
func (a *slogAdapter) Tracef(format string, v ...any) {}
