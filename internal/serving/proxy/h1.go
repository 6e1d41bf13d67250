package proxy

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// The fast path: a minimal HTTP/1.1 client over pooled connections, for the
// requests that make up nearly all of an ingress's traffic. Measured on a
// 2-core machine, net/http's Transport spent three times nginx's CPU per
// proxied request, most of it in the hand-offs between the caller and the
// connection's read and write goroutines. Here the handler's goroutine writes
// the request and reads the response itself, the response headers are parsed
// from one string straight into the ResponseWriter's header map, and the
// request headers are written straight into the connection's buffer, so a
// small request costs a few allocations and two syscalls on the backend side.
// Anything unusual (request trailers, CONNECT) goes through net/http.

// useFastPath reports whether r can take the fast path.
func useFastPath(r *http.Request, o Options) bool {
	return o.Protocol == HTTP1 && len(r.Trailer) == 0 && r.Method != http.MethodConnect
}

var (
	errMalformedResponse = errors.New("malformed HTTP response")
	errHeaderTooLarge    = errors.New("response header too large")
	errUnsupportedTE     = errors.New("unsupported transfer encoding")
	errUnexpected101     = errors.New("unexpected 101 Switching Protocols")
)

// limits are the deadlines of one request as points in time.
type limits struct {
	start, total time.Time // zero: none
	idle         time.Duration
}

func newLimits(o Options) limits {
	if !hasDeadlines(o) {
		return limits{}
	}
	now := time.Now()
	l := limits{idle: o.IdleTimeout}
	if o.ResponseStartTimeout > 0 {
		l.start = coarse(now, o.ResponseStartTimeout)
	}
	if o.Timeout > 0 {
		l.total = coarse(now, o.Timeout)
	}
	return l
}

// coarse returns now+d rounded up to a step of d/1000 (at most 100 ms), so
// that the requests that follow one another on a connection within a step
// share one deadline and the runtime's timer is not moved for each of them.
// Knative's timeouts are whole seconds: 300 s fires at most 100 ms late.
func coarse(now time.Time, d time.Duration) time.Time {
	step := min(max(d/1000, time.Millisecond), 100*time.Millisecond)
	return now.Add(d).Truncate(step).Add(step)
}

func earliest(a, b time.Time) time.Time {
	switch {
	case a.IsZero():
		return b
	case b.IsZero(), a.Before(b):
		return a
	}
	return b
}

// exchange is one request/response over one pooled connection.
type exchange struct {
	p       *Proxy
	w       http.ResponseWriter
	r       *http.Request
	c       *h1Conn
	addr    string
	lim     limits
	started bool // the response status went to the client
	buf     *[]byte

	bodyFailed atomic.Bool // the request body could not be read or sent
	bodyDone   chan error  // the request body goroutine's result, when there is one
}

// arm sets the connection's read deadline and reports whether the request
// is still wanted. The check after the set closes the race with the
// AfterFunc that poisons the deadline when the client goes away.
func (x *exchange) arm(t time.Time) bool {
	x.c.setReadDeadline(t)
	return x.r.Context().Err() == nil
}

// headDeadline bounds everything before the response headers.
func (x *exchange) headDeadline() time.Time { return earliest(x.lim.start, x.lim.total) }

// dialTimeout tells which limit a failed dial ran into, if any.
func (x *exchange) dialTimeout() error {
	if t := x.headDeadline(); t.IsZero() || time.Now().Before(t) {
		return nil
	}
	if !x.lim.total.IsZero() && !time.Now().Before(x.lim.total) {
		return ErrTimeout
	}
	return ErrResponseStartTimeout
}

// bodyDeadline is the read deadline for the next read of the response body.
func (x *exchange) bodyDeadline() time.Time {
	if x.lim.idle > 0 {
		return earliest(x.lim.total, time.Now().Add(x.lim.idle))
	}
	return x.lim.total
}

// timeoutCause tells which limit a failed read or write ran into, if any.
func (x *exchange) timeoutCause(err error) error {
	if x.r.Context().Err() != nil || !errors.Is(err, os.ErrDeadlineExceeded) {
		return nil
	}
	switch {
	case !x.lim.total.IsZero() && !time.Now().Before(x.lim.total):
		return ErrTimeout
	case !x.started:
		return ErrResponseStartTimeout
	}
	return ErrIdleTimeout
}

func (p *Proxy) forwardH1(w http.ResponseWriter, r *http.Request, addr string, o Options) error {
	x := exchange{p: p, w: w, r: r, addr: addr, lim: newLimits(o)}
	defer func() {
		if x.buf != nil {
			p.putBuf(x.buf)
		}
	}()

	var err error
	x.c, err = p.pool.get(r.Context(), addr, x.headDeadline())
	if err != nil {
		return p.fail(w, r, opDial, addr, err, x.dialTimeout(), true, o)
	}

	// A small body is read whole first (after the dial, so that a dial
	// failure leaves it for a retry elsewhere): the request then goes out in
	// one write, and can be sent again if the pooled connection turns out to
	// have been closed by the backend.
	var body []byte
	stream := false
	switch cl := r.ContentLength; {
	case cl == 0:
	case cl > 0 && cl <= bufSize:
		x.buf = p.getBuf()
		n, err := io.ReadFull(r.Body, (*x.buf)[:cl])
		if err != nil {
			p.pool.put(addr, x.c) // unused, still clean
			return p.fail(w, r, opReadBody, addr, err, nil, false, o)
		}
		body = (*x.buf)[:n]
	default:
		stream = true
	}

	retry, err := x.run(body, stream, o)
	if !retry {
		return err
	}
	if x.c, err = p.pool.dial(r.Context(), addr, x.headDeadline()); err != nil {
		// Retryable elsewhere if there was no body to lose.
		return p.fail(w, r, opDial, addr, err, x.dialTimeout(), r.ContentLength == 0, o)
	}
	_, err = x.run(body, stream, o)
	return err
}

// run does the exchange on x.c and gives the connection back to the pool or
// closes it. retry is true when a reused connection failed before the
// backend answered anything and the request can be sent again on a fresh one.
func (x *exchange) run(body []byte, stream bool, o Options) (retry bool, err error) {
	r, c, p := x.r, x.c, x.p
	ctx := r.Context()
	stop := context.AfterFunc(ctx, func() { _ = c.nc.SetDeadline(aLongTimeAgo) })
	reusable := false
	var cut error // a started response broke: the client's stream is cut last
	defer func() {
		if x.bodyDone != nil {
			select {
			case berr := <-x.bodyDone:
				if berr != nil {
					reusable = false
				}
			default: // the backend answered before taking the whole body
				reusable = false
				c.close()
				<-x.bodyDone
			}
		}
		if !stop() {
			reusable = false // the deadline was poisoned
		}
		if reusable {
			p.pool.put(x.addr, c)
		} else {
			c.close()
		}
		if cut != nil {
			p.abort(x.addr, opCopyResponse, cut)
		}
	}()

	// A stale pooled connection shows as a failure on the first read or
	// write with nothing at all from the backend.
	canRetry := func(err error, anyBytes bool) bool {
		return c.reused && !stream && !anyBytes && ctx.Err() == nil && !errors.Is(err, os.ErrDeadlineExceeded)
	}

	// Writes are bounded only where a body streams: a backend that stops
	// reading it must not hold the request past its limit. A deadline left by
	// an earlier request on this connection is cleared.
	if stream {
		c.setWriteDeadline(x.lim.total)
	} else {
		c.setWriteDeadline(time.Time{})
	}
	if !x.arm(x.headDeadline()) {
		return false, p.fail(x.w, r, opWriteRequest, x.addr, ctx.Err(), nil, false, o)
	}
	cl := r.ContentLength // -1 (unknown) goes chunked
	writeRequestHead(c.bw, r, x.addr, cl)
	if body != nil {
		_, _ = c.bw.Write(body)
	}
	if err := c.bw.Flush(); err != nil {
		if canRetry(err, false) {
			return true, nil
		}
		return false, p.fail(x.w, r, opWriteRequest, x.addr, err, x.timeoutCause(err), false, o)
	}
	if stream {
		x.bodyDone = make(chan error, 1)
		go func() { x.bodyDone <- x.sendBody(cl) }()
	}

	var h respHead
	anyBytes, err := h.read(c.br, r.Method == http.MethodHead)
	if err != nil {
		if canRetry(err, anyBytes) {
			return true, nil
		}
		if x.bodyFailed.Load() {
			return false, p.fail(x.w, r, opReadBody, x.addr, err, nil, false, o)
		}
		return false, p.fail(x.w, r, opReadResponse, x.addr, err, x.timeoutCause(err), false, o)
	}

	hdr := x.w.Header()
	h.commit(hdr)
	x.w.WriteHeader(h.status)
	x.started = true

	if !h.noBody {
		if err := x.copyBody(&h); err != nil {
			var we writeError
			if errors.As(err, &we) {
				return false, &Error{Op: opCopyResponse, Started: true, Err: we.err}
			}
			if tc := x.timeoutCause(err); tc != nil {
				err = tc
			}
			cut = err
			return false, nil
		}
	}
	for i := range h.ntrailers {
		f := h.trailers[i]
		hdr[http.TrailerPrefix+f.k] = append(hdr[http.TrailerPrefix+f.k], f.v)
	}
	reusable = h.keepAlive
	return false, nil
}

// sendBody streams the request body of length cl (-1: chunked) to the
// backend. It runs on a goroutine of its own, so that a backend may answer
// before it has read the whole body; run waits for it.
func (x *exchange) sendBody(cl int64) (err error) {
	defer func() {
		if err != nil {
			x.bodyFailed.Store(true)
			x.c.close() // unblocks the response read
		}
	}()
	bp := x.p.getBuf()
	defer x.p.putBuf(bp)
	buf := *bp
	bw := x.c.bw
	var sent int64
	for {
		n, rerr := x.r.Body.Read(buf)
		if n > 0 {
			if cl >= 0 && sent+int64(n) > cl {
				return errors.New("request body longer than its Content-Length")
			}
			if cl < 0 {
				var hex [16]byte
				_, _ = bw.Write(strconv.AppendInt(hex[:0], int64(n), 16))
				_, _ = bw.WriteString("\r\n")
				_, _ = bw.Write(buf[:n])
				_, _ = bw.WriteString("\r\n")
			} else {
				_, _ = bw.Write(buf[:n])
			}
			sent += int64(n)
			if err := bw.Flush(); err != nil {
				return err
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return rerr
		}
	}
	if cl < 0 {
		_, _ = bw.WriteString("0\r\n\r\n")
	} else if sent != cl {
		return io.ErrUnexpectedEOF
	}
	return bw.Flush()
}

// copyBody streams the response body to the client.
func (x *exchange) copyBody(h *respHead) error {
	br := x.c.br
	flush := h.length < 0 || isEventStream(x.w.Header())

	// The common case: a small body already in the connection's buffer goes
	// out without a copy, and with no flush (the server flushes at the end).
	if !flush && h.length <= int64(br.Buffered()) {
		b, _ := br.Peek(int(h.length))
		_, _ = br.Discard(len(b))
		if _, err := x.w.Write(b); err != nil {
			return writeError{err}
		}
		return nil
	}

	var rc *http.ResponseController
	if flush {
		rc = http.NewResponseController(x.w)
		if err := rc.Flush(); err != nil {
			return writeError{err}
		}
	}
	if x.buf == nil {
		x.buf = x.p.getBuf()
	}
	buf := *x.buf
	var src io.Reader = br
	if h.chunked {
		src = httputil.NewChunkedReader(br)
	}
	remaining := h.length // for a fixed length
	if x.lim.idle == 0 && !x.arm(x.lim.total) {
		return x.r.Context().Err()
	}
	for remaining != 0 {
		// Any read may block (a chunk can be partly buffered), so the idle
		// deadline moves before each one.
		if x.lim.idle > 0 && !x.arm(x.bodyDeadline()) {
			return x.r.Context().Err()
		}
		b := buf
		if remaining > 0 && remaining < int64(len(b)) {
			b = b[:remaining]
		}
		n, rerr := src.Read(b)
		if n > 0 {
			if remaining > 0 {
				remaining -= int64(n)
			}
			if _, err := x.w.Write(b[:n]); err != nil {
				return writeError{err}
			}
			if flush {
				if err := rc.Flush(); err != nil {
					return writeError{err}
				}
			}
		}
		if rerr == io.EOF {
			switch {
			case h.chunked:
				return h.readTrailers(br)
			case remaining > 0:
				return io.ErrUnexpectedEOF
			}
			return nil // read to the end of the connection
		}
		if rerr != nil {
			return rerr
		}
	}
	return nil
}

// field is one header field of a response.
type field struct{ k, v string }

// respHead is a parsed response head. Fields live in fixed arrays so that a
// typical response needs no allocation beyond its header block string.
type respHead struct {
	status    int
	length    int64 // -1: chunked or to the end of the connection
	chunked   bool
	keepAlive bool
	noBody    bool
	trailer   string // the backend's Trailer header, declared again
	conn      []string

	fields    [40]field
	nfields   int
	extra     []field
	trailers  [8]field
	ntrailers int
}

func (h *respHead) add(k, v string) {
	if h.nfields < len(h.fields) {
		h.fields[h.nfields] = field{k, v}
		h.nfields++
		return
	}
	h.extra = append(h.extra, field{k, v})
}

// read reads a response head, skipping interim 1xx responses. anyBytes
// tells whether the backend sent anything at all.
func (h *respHead) read(br *bufio.Reader, isHead bool) (anyBytes bool, err error) {
	for {
		block, any, err := readHeadBlock(br)
		if err != nil {
			return anyBytes || any, err
		}
		*h = respHead{}
		if err := h.parse(block, isHead); err != nil {
			return true, err
		}
		if h.status >= 200 {
			return true, nil
		}
		if h.status == http.StatusSwitchingProtocols {
			return true, errUnexpected101
		}
		anyBytes = true // 100 Continue, 103 Early Hints: not passed on
	}
}

// maxHeadBytes bounds a response head, as net/http's server bounds request
// heads by default.
const maxHeadBytes = 1 << 20

// readHeadBlock takes one response head, through its empty line, from br.
// anyBytes tells whether the backend sent anything.
func readHeadBlock(br *bufio.Reader) (block string, anyBytes bool, err error) {
	end, err := findHeadEnd(br)
	if err == nil {
		raw, _ := br.Peek(end)
		block = string(raw)
		_, _ = br.Discard(end)
		return block, true, nil
	}
	if err != errHeaderTooLarge {
		return "", br.Buffered() > 0, err
	}
	// Longer than the connection's buffer: gather it piece by piece.
	var acc []byte
	for {
		b, _ := br.Peek(br.Buffered())
		// The end may straddle what was gathered and what is buffered.
		from := max(0, len(acc)-3)
		joined := append(acc[from:len(acc):len(acc)], b...)
		if i := headEnd(joined, 0); i >= 0 {
			take := i - (len(acc) - from)
			acc = append(acc, b[:take]...)
			_, _ = br.Discard(take)
			return string(acc), true, nil
		}
		acc = append(acc, b...)
		_, _ = br.Discard(len(b))
		if len(acc) > maxHeadBytes {
			return "", true, errHeaderTooLarge
		}
		if _, err := br.Peek(1); err != nil {
			return "", true, err
		}
	}
}

// findHeadEnd returns the length of the head (through its empty line)
// buffered in br, reading more as needed; errHeaderTooLarge when the buffer
// fills first.
func findHeadEnd(br *bufio.Reader) (int, error) {
	from := 0
	for {
		buf, _ := br.Peek(br.Buffered())
		if i := headEnd(buf, from); i >= 0 {
			return i, nil
		}
		if len(buf) >= br.Size() {
			return 0, errHeaderTooLarge
		}
		from = max(0, len(buf)-3)
		if _, err := br.Peek(len(buf) + 1); err != nil {
			return 0, err
		}
	}
}

// headEnd returns the index just past the empty line that ends a head in
// buf, looking from from on; -1 if there is none yet. Bare LF line ends are
// accepted, as net/http accepts them.
func headEnd(buf []byte, from int) int {
	for i := from; i < len(buf); i++ {
		j := bytesIndexByte(buf[i:], '\n')
		if j < 0 {
			return -1
		}
		i += j
		switch {
		case i+1 < len(buf) && buf[i+1] == '\n':
			return i + 2
		case i+2 < len(buf) && buf[i+1] == '\r' && buf[i+2] == '\n':
			return i + 3
		}
	}
	return -1
}

func bytesIndexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

func cutLine(s string) (line, rest string) {
	i := strings.IndexByte(s, '\n')
	if i < 0 {
		return s, ""
	}
	line, rest = s[:i], s[i+1:]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, rest
}

func (h *respHead) parse(block string, isHead bool) error {
	line, rest := cutLine(block)
	if len(line) < 12 || !strings.HasPrefix(line, "HTTP/1.") || line[8] != ' ' ||
		(len(line) > 12 && line[12] != ' ') {
		return fmt.Errorf("%w: status line %q", errMalformedResponse, line)
	}
	status := 0
	for _, c := range []byte(line[9:12]) {
		if c < '0' || c > '9' {
			return fmt.Errorf("%w: status line %q", errMalformedResponse, line)
		}
		status = status*10 + int(c-'0')
	}
	if status < 100 {
		return fmt.Errorf("%w: status line %q", errMalformedResponse, line)
	}
	h.status = status
	switch line[7] {
	case '1':
		h.keepAlive = true
	case '0':
	default:
		return fmt.Errorf("%w: status line %q", errMalformedResponse, line)
	}
	h.length = -1
	haveLength := false
	for rest != "" {
		line, rest = cutLine(rest)
		if line == "" {
			break
		}
		i := strings.IndexByte(line, ':')
		if i <= 0 || !validFieldName(line[:i]) {
			return fmt.Errorf("%w: header line %q", errMalformedResponse, line)
		}
		k := textproto.CanonicalMIMEHeaderKey(line[:i])
		v := strings.Trim(line[i+1:], " \t")
		switch k {
		case "Content-Length":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 || (haveLength && n != h.length) {
				return fmt.Errorf("%w: Content-Length %q", errMalformedResponse, v)
			}
			h.length, haveLength = n, true
		case "Transfer-Encoding":
			if !strings.EqualFold(v, "chunked") {
				return fmt.Errorf("%w: %q", errUnsupportedTE, v)
			}
			h.chunked = true
		case "Connection":
			for v != "" {
				var tok string
				tok, v, _ = strings.Cut(v, ",")
				tok = strings.TrimSpace(tok)
				switch {
				case strings.EqualFold(tok, "close"):
					h.keepAlive = false
				case strings.EqualFold(tok, "keep-alive"):
					h.keepAlive = true
				case tok != "":
					h.conn = append(h.conn, textproto.CanonicalMIMEHeaderKey(tok))
				}
			}
		case "Trailer":
			if h.trailer != "" {
				h.trailer += ", " + v
			} else {
				h.trailer = v
			}
		}
		h.add(k, v)
	}
	switch {
	case isHead, status < 200, status == http.StatusNoContent, status == http.StatusNotModified:
		h.noBody = true
		h.length = 0
	case h.chunked:
		h.length = -1
	case !haveLength:
		h.keepAlive = false // the body runs to the end of the connection
	}
	return nil
}

func validFieldName(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isTokenChar(s[i]) {
			return false
		}
	}
	return true
}

// commit copies the end-to-end header fields into dst, the ResponseWriter's
// header. All values share one backing array.
func (h *respHead) commit(dst http.Header) {
	n := h.nfields + len(h.extra)
	vals := make([]string, n)
	for i := range n {
		var f field
		if i < h.nfields {
			f = h.fields[i]
		} else {
			f = h.extra[i-h.nfields]
		}
		if !forwardable(f.k, h.conn) || (h.chunked && f.k == "Content-Length") {
			continue
		}
		if old, ok := dst[f.k]; ok {
			dst[f.k] = append(old, f.v)
			continue
		}
		vals[i] = f.v
		dst[f.k] = vals[i : i+1 : i+1]
	}
	if h.chunked && h.trailer != "" {
		dst["Trailer"] = []string{h.trailer}
	}
}

// readTrailers reads the trailer section after the last chunk.
func (h *respHead) readTrailers(br *bufio.Reader) error {
	for n := 0; ; n++ {
		line, err := br.ReadSlice('\n')
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		s := strings.TrimRight(string(line), "\r\n")
		if s == "" {
			return nil
		}
		i := strings.IndexByte(s, ':')
		if i <= 0 || !validFieldName(s[:i]) || n >= 1000 {
			return fmt.Errorf("%w: trailer line %q", errMalformedResponse, s)
		}
		k := textproto.CanonicalMIMEHeaderKey(s[:i])
		if isHopHeader(k) || k == "Content-Length" {
			continue
		}
		if h.ntrailers < len(h.trailers) {
			h.trailers[h.ntrailers] = field{k, strings.Trim(s[i+1:], " \t")}
			h.ntrailers++
		}
	}
}

// writeRequestHead writes the request line and headers for the backend into
// bw. cl is the body length: 0 none, -1 chunked.
func writeRequestHead(bw *bufio.Writer, r *http.Request, addr string, cl int64) {
	_, _ = bw.WriteString(r.Method)
	_ = bw.WriteByte(' ')
	u := r.URL
	if u.Opaque != "" {
		_, _ = bw.WriteString(u.RequestURI())
	} else {
		p := u.EscapedPath()
		if p == "" {
			p = "/"
		}
		_, _ = bw.WriteString(p)
		if u.ForceQuery || u.RawQuery != "" {
			_ = bw.WriteByte('?')
			_, _ = bw.WriteString(u.RawQuery)
		}
	}
	_, _ = bw.WriteString(" HTTP/1.1\r\nHost: ")
	host := r.Host
	if host == "" {
		host = addr
	}
	_, _ = bw.WriteString(host)
	_, _ = bw.WriteString("\r\n")

	conn := connectionTokens(r.Header)
	for k, vv := range r.Header {
		switch k {
		case "Host", "Content-Length", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "Forwarded":
			continue
		}
		if !forwardable(k, conn) {
			continue
		}
		for _, v := range vv {
			_, _ = bw.WriteString(k)
			_, _ = bw.WriteString(": ")
			_, _ = bw.WriteString(v)
			_, _ = bw.WriteString("\r\n")
		}
	}
	if wantsTrailers(r.Header) {
		_, _ = bw.WriteString("Te: trailers\r\n")
	}
	ip, proto := clientIP(r), scheme(r)
	if prior := r.Header["X-Forwarded-For"]; ip != "" || len(prior) > 0 {
		_, _ = bw.WriteString("X-Forwarded-For: ")
		for i, v := range prior {
			if i > 0 {
				_, _ = bw.WriteString(", ")
			}
			_, _ = bw.WriteString(v)
		}
		if ip != "" {
			if len(prior) > 0 {
				_, _ = bw.WriteString(", ")
			}
			_, _ = bw.WriteString(ip)
		}
		_, _ = bw.WriteString("\r\n")
	}
	_, _ = bw.WriteString("X-Forwarded-Proto: ")
	_, _ = bw.WriteString(proto)
	if r.Host != "" {
		_, _ = bw.WriteString("\r\nX-Forwarded-Host: ")
		_, _ = bw.WriteString(r.Host)
	}
	_, _ = bw.WriteString("\r\nForwarded: ")
	writeForwarded(bw, r.Header, ip, r.Host, proto)
	_, _ = bw.WriteString("\r\n")
	switch {
	case cl < 0:
		_, _ = bw.WriteString("Transfer-Encoding: chunked\r\n")
	case cl > 0:
		var num [20]byte
		_, _ = bw.WriteString("Content-Length: ")
		_, _ = bw.Write(strconv.AppendInt(num[:0], cl, 10))
		_, _ = bw.WriteString("\r\n")
	case r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodPatch:
		_, _ = bw.WriteString("Content-Length: 0\r\n")
	}
	_, _ = bw.WriteString("\r\n")
}
