// Package sender is a lean HTTP/1.1 client for the eventing dispatcher,
// which POSTs one CloudEvent per request to subscribers over keep-alive
// connections.
//
// net/http.Transport hands each request and response between the caller's
// goroutine and the connection's read and write goroutines; in a CPU profile
// of the broker throughput benchmark those hand-offs took about 13% of a
// 2-core machine. Here the caller's goroutine writes the request, head and
// body in one write, and reads the response itself, and no goroutine is
// started per request. Whatever the lean path does not handle (https, a
// proxy, CONNECT, upgrades, request trailers) goes to a fallback
// http.RoundTripper unchanged.
//
// A request whose reused connection fails before any byte of an answer
// comes back (the write fails, or the connection ends or is reset) is taken
// to have met a connection that the server closed while it was idle, and is
// sent once more on a fresh connection. A server that read the request, and
// may have acted on it, and then closed without answering looks the same,
// so a POST can reach it twice; net/http resends only idempotent requests
// in that case. The dispatcher's delivery is at-least-once, which allows
// duplicates, but this means that even with a retry budget of 0 at the
// dispatcher a subscriber can see an event twice.
package sender

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Defaults of Options.
const (
	defaultMaxIdlePerHost = 256
	defaultIdleTimeout    = 90 * time.Second
	defaultDialTimeout    = 30 * time.Second
	tcpKeepAlive          = 30 * time.Second
)

// Request buffers larger than this are not kept for reuse, so that one big
// event does not pin its buffer for the life of the Transport.
const maxPooledBuf = 64 << 10

// earlyAnswerWait bounds the wait for a response after writing the request
// failed: an answer the server sent before closing is already on its way.
const earlyAnswerWait = 100 * time.Millisecond

// Errors of the lean path.
var (
	errNoHost        = errors.New("no host in request URL")
	errInvalidMethod = errors.New("invalid method")
	errInvalidHeader = errors.New("invalid header field")
	errInvalidURI    = errors.New("invalid request URI")
	errBodyLength    = errors.New("request body shorter than its ContentLength")
	errNilBody       = errors.New("ContentLength set with a nil Body")

	errMalformed      = errors.New("malformed HTTP response")
	errHeaderTooLarge = errors.New("response header too large")
	errUnsupportedTE  = errors.New("unsupported transfer encoding")
	errSwitching      = errors.New("unexpected 101 Switching Protocols")
	errTooMany1xx     = errors.New("too many 1xx informational responses")
	errBodyClosed     = errors.New("read on closed response body")
)

// aLongTimeAgo is a deadline in the past: setting it aborts blocked I/O.
var aLongTimeAgo = time.Unix(1, 0)

// Transport is an http.RoundTripper for plain-HTTP/1.1 requests with
// bodies held in memory, such as CloudEvents deliveries. The caller's
// goroutine does all the work of a request; connections are kept alive per
// host:port, and a request whose reused connection turns out to have been
// closed by the server is sent once more on a fresh one. Requests it does not
// handle go to Options.Fallback. A Transport is safe for concurrent use.
type Transport struct {
	fallback http.RoundTripper
	pool     *pool
	bufs     sync.Pool // of *[]byte: request bytes being built and sent
}

var _ http.RoundTripper = (*Transport)(nil)

// Options tunes a Transport.
type Options struct {
	// Fallback takes every request the lean path does not (https, a proxy
	// from the environment, anything unusual). nil means a clone of
	// http.DefaultTransport.
	Fallback http.RoundTripper
	// MaxIdlePerHost bounds the idle connections kept per host:port; zero
	// means 256.
	MaxIdlePerHost int
	// IdleTimeout closes connections idle for longer; zero means 90s.
	IdleTimeout time.Duration
	// DialTimeout bounds a dial; zero means 30s.
	DialTimeout time.Duration
}

// New returns a Transport. It starts a goroutine that closes idle
// connections; Close stops it.
func New(opts Options) *Transport {
	if opts.Fallback == nil {
		if dt, ok := http.DefaultTransport.(*http.Transport); ok {
			opts.Fallback = dt.Clone()
		} else {
			opts.Fallback = http.DefaultTransport
		}
	}
	if opts.MaxIdlePerHost <= 0 {
		opts.MaxIdlePerHost = defaultMaxIdlePerHost
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = defaultIdleTimeout
	}
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = defaultDialTimeout
	}
	d := &net.Dialer{Timeout: opts.DialTimeout, KeepAlive: tcpKeepAlive}
	return &Transport{
		fallback: opts.Fallback,
		pool:     newPool(d, opts.MaxIdlePerHost, opts.IdleTimeout),
	}
}

// RoundTrip sends req and returns the response, as http.RoundTripper. On
// the lean path the response body must be read to its end or closed for the
// connection to be reused; the request body is read whole before anything is
// sent.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !lean(req) {
		return t.fallback.RoundTrip(req)
	}
	return t.roundTrip(req)
}

// CloseIdleConnections closes idle connections (also of the fallback when
// it has the method); http.Client calls it.
func (t *Transport) CloseIdleConnections() {
	t.pool.closeIdle(false)
	if f, ok := t.fallback.(interface{ CloseIdleConnections() }); ok {
		f.CloseIdleConnections()
	}
}

// Close closes idle connections and stops the reaper goroutine; the
// Transport must not be used afterwards. Connections still in use are closed
// when their responses are done.
func (t *Transport) Close() {
	t.pool.closeIdle(true)
	if f, ok := t.fallback.(interface{ CloseIdleConnections() }); ok {
		f.CloseIdleConnections()
	}
}

// lean reports whether req can take the lean path.
func lean(req *http.Request) bool {
	u := req.URL
	if u == nil || u.Scheme != "http" || u.User != nil || req.Method == http.MethodConnect ||
		len(req.Trailer) > 0 || !isASCII(u.Host) || !isASCII(req.Host) {
		return false
	}
	if _, ok := req.Header["Upgrade"]; ok {
		return false
	}
	if p, err := http.ProxyFromEnvironment(req); p != nil || err != nil {
		return false
	}
	return true
}

// roundTrip is the lean path.
func (t *Transport) roundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	addr, err := hostPort(req.URL.Host)
	if err != nil {
		closeBody(req)
		return nil, fmt.Errorf("%s to %s: %w", opName(method), req.URL.Host, err)
	}

	bp := t.getBuf()
	defer t.putBuf(bp)
	wire, closeConn, err := appendRequest((*bp)[:0], req, method)
	*bp = wire[:0] // keep what the buffer grew to
	if err != nil {
		return nil, fmt.Errorf("%s to %s: %w", opName(method), addr, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s to %s: %w", opName(method), addr, err)
	}

	x := exchange{t: t, req: req, method: method, addr: addr, close: closeConn}
	x.deadline, x.hasDeadline = ctx.Deadline()
	c, err := t.pool.get(ctx, addr)
	if err != nil {
		return nil, x.fail("dial", err)
	}
	resp, retry, err := x.run(c, wire)
	if !retry {
		return resp, err
	}
	// The reused connection had been closed by the server before it saw
	// the request: send it once more on a fresh one.
	if c, err = t.pool.dial(ctx, addr); err != nil {
		return nil, x.fail("dial", err)
	}
	resp, _, err = x.run(c, wire)
	return resp, err
}

// exchange is one request on the lean path, over one or (after a stale
// connection) two connections.
type exchange struct {
	t           *Transport
	req         *http.Request
	method      string
	addr        string
	close       bool // the request asked for Connection: close
	deadline    time.Time
	hasDeadline bool
}

// run sends wire on c and reads the response head. retry reports that c was
// reused and failed before the server answered anything, so that the request
// may go again on a fresh connection; c is closed then.
func (x *exchange) run(c *conn, wire []byte) (resp *http.Response, retry bool, err error) {
	ctx := x.req.Context()
	if x.hasDeadline {
		c.setDeadline(x.deadline)
	}
	// Cancellation aborts whatever I/O is blocked on c; the deadline set
	// here stays until c is released, which stop tells.
	var stop func() bool
	if ctx.Done() != nil {
		nc := c.nc
		stop = context.AfterFunc(ctx, func() { _ = nc.SetDeadline(aLongTimeAgo) })
	}

	if _, err := c.nc.Write(wire); err != nil {
		return x.writeFailed(c, stop, err)
	}

	h, anyBytes, err := readResponse(c.br, x.method)
	if err != nil {
		x.t.release(c, stop, false)
		if c.reused && !anyBytes && x.ctxErr(err) == nil &&
			(errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)) {
			return nil, true, nil
		}
		return nil, false, x.fail("read response", err)
	}
	return x.respond(c, stop, &h, h.keepAlive && !x.close), false, nil
}

// writeFailed ends an exchange whose request could not be written whole on
// c, with the write error werr. A server may answer before it has read the
// request, as with a 413 to a body it will not take, and close, which
// breaks the write; as with net/http, that answer is returned when its head
// comes within earlyAnswerWait, and c is not reused. Otherwise a reused
// connection on which nothing at all came back is stale: retry tells the
// caller to send the request again on a fresh one.
func (x *exchange) writeFailed(c *conn, stop func() bool, werr error) (resp *http.Response, retry bool, err error) {
	h, anyBytes, rerr := x.readEarlyAnswer(c, werr)
	if rerr == nil {
		h.keepAlive = false
		return x.respond(c, stop, &h, false), false, nil
	}
	x.t.release(c, stop, false)
	if cerr := x.ctxErr(rerr); cerr != nil {
		return nil, false, x.fail("write request", cerr)
	}
	if c.reused && !anyBytes && x.ctxErr(werr) == nil {
		return nil, true, nil
	}
	return nil, false, x.fail("write request", werr)
}

// readEarlyAnswer reads the head of a response that the server sent before
// the request failed to write with werr, waiting for it no longer than
// earlyAnswerWait nor past the request's deadline. Once the head is read,
// c's deadline is the request's again, for the body.
func (x *exchange) readEarlyAnswer(c *conn, werr error) (h respHead, anyBytes bool, err error) {
	ctx := x.req.Context()
	if err := x.ctxErr(werr); err != nil {
		return h, false, err
	}
	wait := time.Now().Add(earlyAnswerWait)
	if x.hasDeadline && x.deadline.Before(wait) {
		wait = x.deadline
	}
	c.setDeadline(wait)
	// That may have undone the deadline in the past that a cancellation
	// sets: look at the context after it, not before.
	if err := ctx.Err(); err != nil {
		return h, false, err
	}
	if h, anyBytes, err = readResponse(c.br, x.method); err != nil {
		return h, anyBytes, err
	}
	if x.hasDeadline {
		c.setDeadline(x.deadline)
	} else {
		_ = c.nc.SetDeadline(time.Time{})
	}
	return h, true, ctx.Err()
}

// respond returns the response whose head h was read off c; keepAlive tells
// whether c may serve another request once the body is done.
func (x *exchange) respond(c *conn, stop func() bool, h *respHead, keepAlive bool) *http.Response {
	resp := h.response(x.req)
	if h.framing == frameNone || (h.framing == frameLength && h.length == 0) {
		resp.Body = http.NoBody
		x.t.release(c, stop, keepAlive)
		return resp
	}
	resp.Body = &body{
		x:         *x,
		c:         c,
		stop:      stop,
		r:         newBodyReader(c.br, h),
		keepAlive: keepAlive,
	}
	return resp
}

// ctxErr returns the context's error when err, or the state of the request,
// comes from the request's context: cancelled, or past its deadline (which
// the connection may notice before the context does).
func (x *exchange) ctxErr(err error) error {
	if cerr := x.req.Context().Err(); cerr != nil {
		return cerr
	}
	if x.hasDeadline && errors.Is(err, os.ErrDeadlineExceeded) && !time.Now().Before(x.deadline) {
		return context.DeadlineExceeded
	}
	return nil
}

// fail wraps err of operation op, as the context's error when that is the
// cause.
func (x *exchange) fail(op string, err error) error {
	if cerr := x.ctxErr(err); cerr != nil {
		err = cerr
	}
	return fmt.Errorf("%s to %s: %s: %w", opName(x.method), x.addr, op, err)
}

// release ends c's part in a request: back to the pool when reuse says the
// exchange ended cleanly and the context never poisoned c, else closed.
func (t *Transport) release(c *conn, stop func() bool, reuse bool) {
	if stop != nil && !stop() {
		reuse = false // the AfterFunc ran, or is running
	}
	if reuse {
		t.pool.put(c)
		return
	}
	c.close()
}

func (t *Transport) getBuf() *[]byte {
	if bp, ok := t.bufs.Get().(*[]byte); ok {
		return bp
	}
	b := make([]byte, 0, 4<<10)
	return &b
}

func (t *Transport) putBuf(bp *[]byte) {
	if cap(*bp) > maxPooledBuf {
		return
	}
	t.bufs.Put(bp)
}

// hostPort returns the address to dial for a URL host, port 80 by default.
func hostPort(host string) (string, error) {
	if host == "" {
		return "", errNoHost
	}
	// A port is there when the last colon follows any IPv6 literal.
	if i := strings.LastIndexByte(host, ':'); i > strings.LastIndexByte(host, ']') {
		if i == len(host)-1 {
			host = host[:i] // "example.com:" means the default port
		} else {
			return host, nil
		}
	}
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	}
	return net.JoinHostPort(host, "80"), nil
}

// opName is the start of an error message: "post to host:port: ...".
func opName(method string) string {
	if method == http.MethodPost {
		return "post"
	}
	return strings.ToLower(method)
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
