package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/h2c"

	"github.com/skiff-sh/skiff/internal/gctune"
	"github.com/skiff-sh/skiff/internal/serving/proxy"
)

// serveRole runs one of the child processes: it listens on a free loopback
// port, prints the address on stdout for the parent, and serves until
// SIGTERM or SIGINT.
func serveRole(role, backend string, knativeTimeouts, wrapH2C bool) error {
	if role == "relay" {
		return serveRelay(backend)
	}
	var h http.Handler
	switch role {
	case "backend":
		body := []byte("hello")
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hd := w.Header()
			hd["Content-Type"] = []string{"text/plain"}
			hd["Content-Length"] = []string{"5"}
			_, _ = w.Write(body)
		})
	case "skiff":
		// The garbage collector as skiff server sets it.
		gctune.Apply()
		p := proxy.New(slog.New(slog.DiscardHandler))
		defer p.Close()
		var opts proxy.Options
		if knativeTimeouts {
			// What the ingress passes for a revision with Knative's
			// defaults: timeoutSeconds 300, responseStartTimeoutSeconds
			// defaulting to it, idleTimeoutSeconds 0.
			opts.Timeout = 300 * time.Second
			opts.ResponseStartTimeout = 300 * time.Second
		}
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_ = p.Forward(w, r, backend, opts)
		})
		if wrapH2C {
			// As the ingress serves: h2c from clients accepted.
			h = h2c.NewHandler(h, &http2.Server{})
		}
	case "revproxy":
		u, err := url.Parse("http://" + backend)
		if err != nil {
			return err
		}
		rp := httputil.NewSingleHostReverseProxy(u)
		rp.ErrorLog = log.New(io.Discard, "", 0) // a load generator's hang-ups are not news
		h = rp
	default:
		return fmt.Errorf("unknown role %q", role)
	}

	if path := os.Getenv("PROXYBENCH_CPUPROFILE"); path != "" && role != "backend" {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Println(ln.Addr().String())
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		return nil
	case err := <-errc:
		fmt.Fprintln(os.Stderr, err)
		return err
	}
}

// serveRelay is the floor of the latency comparison: a TCP relay that
// copies bytes between each client connection and a backend connection of
// its own, without reading HTTP at all. Whatever it adds over direct is
// the cost of one more process on the path (two more wake-ups per request
// on loopback), which no proxy in a process of its own can go below.
func serveRelay(backend string) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Println(ln.Addr().String())
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go func() {
		<-ctx.Done()
		_ = ln.Close()
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		go relay(c, backend)
	}
}

// relay copies between c and a new connection to backend until either
// side closes.
func relay(c net.Conn, backend string) {
	defer c.Close()
	b, err := net.Dial("tcp", backend)
	if err != nil {
		return
	}
	defer b.Close()
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(c, b)
		_ = c.Close()
		close(done)
	}()
	_, _ = io.Copy(b, c)
	_ = b.Close()
	<-done
}
