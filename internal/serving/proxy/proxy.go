// Package proxy is the forwarding core of skiff's ingress: given a request
// and the loopback address of an instance chosen for it, it forwards the
// request and streams the response back. It stands in for Knative's ingress,
// activator and queue-proxy hops at once, so it is written for speed: pooled
// keep-alive connections to every instance, pooled buffers, no copies of
// header maps beyond the one sent, and flushes only where the stream needs
// them.
//
// Routing, load balancing, concurrency limits and retries are the caller's;
// Forward reports, through *Error, whether the response had started, so the
// caller knows when a retry on another instance is still possible.
package proxy

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Protocol is the protocol an instance speaks on its port.
type Protocol int

const (
	// HTTP1 is HTTP/1.1 with keep-alive (Knative's default port).
	HTTP1 Protocol = iota
	// H2C is HTTP/2 over cleartext with prior knowledge (Knative's port
	// name "h2c"; gRPC).
	H2C
)

func (p Protocol) String() string {
	if p == H2C {
		return "h2c"
	}
	return "http1"
}

// Options tune one forwarded request. Zero durations mean no limit.
type Options struct {
	// Protocol is what the backend speaks.
	Protocol Protocol
	// ResponseStartTimeout bounds the wait for the response headers; past it
	// the client gets a 504 (Knative's responseStartTimeoutSeconds).
	ResponseStartTimeout time.Duration
	// IdleTimeout bounds the gap between two reads of the response body;
	// past it the stream is cut (Knative's idleTimeoutSeconds).
	IdleTimeout time.Duration
	// Timeout bounds the whole request: a 504 before the response headers,
	// a cut stream after them (Knative's timeoutSeconds).
	Timeout time.Duration
	// NoErrorResponse leaves w untouched when Forward fails before the
	// response started, so that the caller can retry on another instance
	// (see Error.Retryable) or answer with WriteError itself. By default
	// Forward answers such failures with a short 502 or 504.
	NoErrorResponse bool
}

// Sentinel errors, found with errors.Is in the *Error that Forward returns.
var (
	// ErrResponseStartTimeout: no response headers within ResponseStartTimeout.
	ErrResponseStartTimeout = errors.New("response start timeout")
	// ErrIdleTimeout: no response body bytes within IdleTimeout.
	ErrIdleTimeout = errors.New("idle timeout")
	// ErrTimeout: the request outlived Timeout.
	ErrTimeout = errors.New("request timeout")
	// ErrClientGone: the client went away (its request context ended).
	ErrClientGone = errors.New("client gone")
)

// StatusClientClosedRequest is the status Error carries when the client went
// away before the response started (nginx's 499; never sent).
const StatusClientClosedRequest = 499

// Error is the error Forward returns.
type Error struct {
	// Op is the step that failed: "dial", "round trip", "read response",
	// "copy response", "upgrade".
	Op string
	// Started is true when the response status had already been sent to
	// the client: nothing can be retried or answered any more.
	Started bool
	// Status is the status that answers the failure when it did not start:
	// 502 (backend refused, reset or broke the protocol), 504 (a timeout)
	// or 499 (the client went away; nothing is sent).
	Status int
	// Err is the cause.
	Err error
	// dial is true when no connection to the backend could be made, so the
	// backend never saw the request.
	dial bool
}

func (e *Error) Error() string { return "proxy " + e.Op + ": " + e.Err.Error() }

func (e *Error) Unwrap() error { return e.Err }

// Retryable reports whether the request can safely go to another instance:
// the backend never received it and nothing was written to the client
// (when Options.NoErrorResponse was set). The request body, if any, has not
// been read.
func (e *Error) Retryable() bool { return !e.Started && e.dial }

// WriteError answers a failure that Forward returned before the response
// started with its short plain-text status. It does nothing for other
// errors, or when the client is gone.
func WriteError(w http.ResponseWriter, err error) {
	var pe *Error
	if !errors.As(err, &pe) || pe.Started || pe.Status == StatusClientClosedRequest {
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(pe.Status)
	_, _ = w.Write([]byte(strings.ToLower(http.StatusText(pe.Status)) + "\n"))
}

// Log keys.
const (
	logKeyBackend = "backend"
	logKeyOp      = "op"
	logKeyErr     = "err"
	logKeyStarted = "started"
)

// Proxy forwards requests to loopback backends. It is safe for concurrent
// use; one Proxy serves the whole ingress.
type Proxy struct {
	logger *slog.Logger
	h1     *http.Transport // HTTP/1.1 keep-alive pool
	h2c    *http.Transport // HTTP/2 cleartext (prior knowledge)
	pool   *h1Pool         // the fast path's HTTP/1.1 connections
	dialer *net.Dialer
	bufs   sync.Pool // *[]byte of bufSize

	noFastPath bool // tests: everything through net/http
}

const (
	bufSize = 32 << 10
	// maxIdlePerHost is how many idle keep-alive connections are kept to each
	// instance: as many as the ingress may have requests in flight to it, so
	// that a burst does not end in a storm of new connections.
	maxIdlePerHost = 1000
	dialTimeout    = 5 * time.Second
	idleConnTTL    = 90 * time.Second
)

// New returns a Proxy with its connection pools.
func New(logger *slog.Logger) *Proxy {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	d := &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}
	p := &Proxy{logger: logger, dialer: d}
	p.bufs.New = func() any { b := make([]byte, bufSize); return &b }
	p.pool = newH1Pool(d, maxIdlePerHost, idleConnTTL)
	p.h1 = &http.Transport{
		Proxy:               nil, // never an environment proxy for loopback
		DialContext:         d.DialContext,
		MaxIdleConnsPerHost: maxIdlePerHost,
		IdleConnTimeout:     idleConnTTL,
		DisableCompression:  true, // pass Accept-Encoding and bodies through untouched
		ForceAttemptHTTP2:   false,
		WriteBufferSize:     16 << 10,
		ReadBufferSize:      16 << 10,
	}
	var protos http.Protocols
	protos.SetUnencryptedHTTP2(true)
	p.h2c = &http.Transport{
		Proxy:               nil,
		DialContext:         d.DialContext,
		MaxIdleConnsPerHost: maxIdlePerHost,
		IdleConnTimeout:     idleConnTTL,
		DisableCompression:  true,
		Protocols:           &protos,
		HTTP2: &http.HTTP2Config{
			// Find dead connections to instances that went away without
			// a FIN (SIGKILL of a container).
			PingTimeout:     5 * time.Second,
			SendPingTimeout: 15 * time.Second,
		},
	}
	return p
}

// Close closes the idle connections of the pools and stops their upkeep.
// Requests in flight go on; their connections close when they end.
func (p *Proxy) Close() {
	p.pool.closeIdle(true)
	p.h1.CloseIdleConnections()
	p.h2c.CloseIdleConnections()
}

func (p *Proxy) getBuf() *[]byte  { return p.bufs.Get().(*[]byte) }
func (p *Proxy) putBuf(b *[]byte) { p.bufs.Put(b) }

// deadlines carries the timers of one request. Its context is cancelled with
// the sentinel error of whichever limit passed first.
type deadlines struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	start  *time.Timer
	idle   *time.Timer
	total  *time.Timer
	idleD  time.Duration
}

func newDeadlines(parent context.Context, o Options) *deadlines {
	ctx, cancel := context.WithCancelCause(parent)
	d := &deadlines{ctx: ctx, cancel: cancel, idleD: o.IdleTimeout}
	if o.ResponseStartTimeout > 0 {
		d.start = time.AfterFunc(o.ResponseStartTimeout, func() { cancel(ErrResponseStartTimeout) })
	}
	if o.Timeout > 0 {
		d.total = time.AfterFunc(o.Timeout, func() { cancel(ErrTimeout) })
	}
	return d
}

// started stops the response-start timer and arms the idle one.
func (d *deadlines) started() {
	if d == nil {
		return
	}
	if d.start != nil {
		d.start.Stop()
	}
	if d.idleD > 0 {
		d.idle = time.AfterFunc(d.idleD, func() { d.cancel(ErrIdleTimeout) })
	}
}

// progress pushes the idle deadline back after a read.
func (d *deadlines) progress() {
	if d != nil && d.idle != nil {
		d.idle.Reset(d.idleD)
	}
}

func (d *deadlines) stop() {
	if d == nil {
		return
	}
	for _, t := range []*time.Timer{d.start, d.idle, d.total} {
		if t != nil {
			t.Stop()
		}
	}
	d.cancel(context.Canceled)
}

// cause tells which limit ended ctx, if one did.
func (d *deadlines) cause() error {
	if d == nil {
		return nil
	}
	switch c := context.Cause(d.ctx); c {
	case ErrResponseStartTimeout, ErrIdleTimeout, ErrTimeout:
		return c
	}
	return nil
}

func hasDeadlines(o Options) bool {
	return o.ResponseStartTimeout > 0 || o.IdleTimeout > 0 || o.Timeout > 0
}

// Steps of a forward, as Error.Op names them.
const (
	opDial         = "dial"
	opReadBody     = "read request body"
	opWriteRequest = "write request"
	opReadResponse = "read response"
	opRoundTrip    = "round trip"
	opCopyResponse = "copy response"
	opUpgrade      = "upgrade"
)

// fail builds the *Error for a failure before the response started and,
// unless told not to, answers the client. timeout is the limit that ran out,
// if one did.
func (p *Proxy) fail(w http.ResponseWriter, r *http.Request, op, backend string, err, timeout error, dial bool, o Options) error {
	e := &Error{Op: op, Err: err, Status: http.StatusBadGateway, dial: dial}
	switch {
	case r.Context().Err() != nil:
		e.Status, e.Err, e.dial = StatusClientClosedRequest, ErrClientGone, false
	case timeout != nil:
		e.Status, e.Err, e.dial = http.StatusGatewayTimeout, timeout, false
	case op == opReadBody:
		e.Status = http.StatusBadRequest
	}
	p.logger.Debug("forward failed", logKeyBackend, backend, logKeyOp, op, logKeyErr, e.Err)
	if !o.NoErrorResponse {
		WriteError(w, e)
	}
	return e
}

// abort cuts a response that has started: the client must see a truncated
// stream (a connection reset for HTTP/1.1, RST_STREAM for HTTP/2), not a clean
// end. net/http does that when the handler panics with ErrAbortHandler, and
// recovers it quietly.
func (p *Proxy) abort(backend, op string, err error) {
	p.logger.Debug("forward cut", logKeyBackend, backend, logKeyOp, op, logKeyErr, err, logKeyStarted, true)
	panic(http.ErrAbortHandler)
}
