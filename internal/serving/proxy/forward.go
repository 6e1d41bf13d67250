package proxy

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Forward sends r to the backend at addr ("127.0.0.1:port") and streams the
// response to w.
//
// The request keeps its Host header; hop-by-hop headers are dropped and
// X-Forwarded-For, X-Forwarded-Proto, X-Forwarded-Host and Forwarded are set
// for the backend. r itself is not modified. Bodies stream both ways;
// responses of unknown length and event streams are flushed after every
// write. Upgrade requests (WebSocket) are spliced both ways once the backend
// answers 101.
//
// On failure before the response started, Forward answers 502 or 504 (unless
// opts.NoErrorResponse) and returns an *Error with Started false. When the
// client goes away, the backend request is cancelled and the *Error has
// ErrClientGone. When a started response breaks (backend reset, IdleTimeout,
// Timeout), Forward cuts the client's stream by panicking with
// http.ErrAbortHandler, as httputil.ReverseProxy does; release what the
// request holds with defer.
func (p *Proxy) Forward(w http.ResponseWriter, r *http.Request, addr string, opts Options) error {
	if r.ProtoMajor == 1 && opts.Protocol == HTTP1 {
		if up := upgradeType(r.Header); up != "" {
			return p.forwardUpgrade(w, r, addr, up, opts)
		}
	}
	if !p.noFastPath && useFastPath(r, opts) {
		return p.forwardH1(w, r, addr, opts)
	}
	var d *deadlines
	ctx := r.Context()
	if hasDeadlines(opts) {
		d = newDeadlines(ctx, opts)
		defer d.stop()
		ctx = d.ctx
	}

	out := outRequest(ctx, r, addr, "")
	tr := p.h1
	if opts.Protocol == H2C {
		tr = p.h2c
	}
	resp, err := tr.RoundTrip(out)
	d.started()
	if err != nil {
		return p.fail(w, r, opRoundTrip, addr, err, d.cause(), isDialError(err), opts)
	}
	defer resp.Body.Close()
	return p.writeResponse(w, resp, d, addr)
}

// outRequest builds the request for the backend. It shares r's body, URL
// path and header values; r is left as it was.
func outRequest(ctx context.Context, r *http.Request, addr, upgrade string) *http.Request {
	u := &url.URL{
		Scheme:   "http",
		Host:     addr,
		Path:     r.URL.Path,
		RawPath:  r.URL.RawPath,
		RawQuery: r.URL.RawQuery,
	}
	out := &http.Request{
		Method:        r.Method,
		URL:           u,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        outHeader(r, upgrade),
		Body:          r.Body,
		ContentLength: r.ContentLength,
		Host:          r.Host,
		Trailer:       r.Trailer,
	}
	if r.ContentLength == 0 {
		out.Body = nil // no chunked empty body
	}
	if r.URL.Opaque != "" {
		u.Opaque = r.URL.Opaque
	}
	return out.WithContext(ctx)
}

// writeResponse sends resp's status, headers, body and trailers to w.
func (p *Proxy) writeResponse(w http.ResponseWriter, resp *http.Response, d *deadlines, addr string) error {
	h := w.Header()
	copyResponseHeader(h, resp.Header)
	// Trailers the backend declared are declared to the client; others
	// (gRPC's, over HTTP/2) go out with net/http's TrailerPrefix.
	var declared []string
	if len(resp.Trailer) > 0 {
		declared = make([]string, 0, len(resp.Trailer))
		for k := range resp.Trailer {
			declared = append(declared, k)
		}
		h["Trailer"] = []string{strings.Join(declared, ", ")}
	}
	w.WriteHeader(resp.StatusCode)

	flush := resp.ContentLength == -1 || isEventStream(resp.Header)
	if err := p.copyBody(w, resp.Body, flush, d); err != nil {
		var we writeError
		if errors.As(err, &we) {
			return &Error{Op: opCopyResponse, Started: true, Err: we.err}
		}
		if c := d.cause(); c != nil {
			err = c
		}
		p.abort(addr, opCopyResponse, err)
	}

	for k, vv := range resp.Trailer {
		if !listed(declared, k) {
			k = http.TrailerPrefix + k
		}
		h[k] = vv
	}
	return nil
}

// writeError marks a failed write to the client, as against a failed read
// from the backend.
type writeError struct{ err error }

func (e writeError) Error() string { return e.err.Error() }

// copyBody streams body to w through a pooled buffer, flushing after each
// write when flush is set.
func (p *Proxy) copyBody(w http.ResponseWriter, body io.Reader, flush bool, d *deadlines) error {
	var rc *http.ResponseController
	if flush {
		rc = http.NewResponseController(w)
		// Headers go at once: an event stream may be quiet for a while.
		if err := rc.Flush(); err != nil {
			return writeError{err}
		}
	}
	bp := p.getBuf()
	defer p.putBuf(bp)
	buf := *bp
	for {
		n, rerr := body.Read(buf)
		if n > 0 {
			d.progress()
			if _, err := w.Write(buf[:n]); err != nil {
				return writeError{err}
			}
			if flush {
				if err := rc.Flush(); err != nil {
					return writeError{err}
				}
			}
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return rerr
		}
	}
}

func isEventStream(h http.Header) bool {
	vv := h["Content-Type"]
	return len(vv) > 0 && strings.HasPrefix(strings.TrimSpace(vv[0]), "text/event-stream")
}
