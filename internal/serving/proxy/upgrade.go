package proxy

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// upgradeType returns the protocol an HTTP/1.1 request asks to switch to
// ("websocket"), or "".
func upgradeType(h http.Header) string {
	up := h["Upgrade"]
	if len(up) == 0 || !hasToken(h["Connection"], opUpgrade) {
		return ""
	}
	return up[0]
}

// hasToken reports whether the comma-separated header values hold tok,
// ignoring case.
func hasToken(vv []string, tok string) bool {
	for _, v := range vv {
		for v != "" {
			var t string
			t, v, _ = strings.Cut(v, ",")
			if strings.EqualFold(strings.TrimSpace(t), tok) {
				return true
			}
		}
	}
	return false
}

// aLongTimeAgo is a deadline that unblocks pending I/O at once.
var aLongTimeAgo = time.Unix(1, 0)

// forwardUpgrade forwards an Upgrade request over a connection of its own
// (it will never go back to the pool) and, once the backend answers 101,
// hijacks the client connection and copies bytes both ways until either side
// closes. Timeouts govern the wait for the 101; the upgraded connection then
// lives as long as both ends keep it.
func (p *Proxy) forwardUpgrade(w http.ResponseWriter, r *http.Request, addr, up string, opts Options) error {
	var d *deadlines
	ctx := r.Context()
	if hasDeadlines(opts) {
		d = newDeadlines(ctx, opts)
		defer d.stop()
		ctx = d.ctx
	}
	backend, err := p.dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return p.fail(w, r, opDial, addr, err, d.cause(), true, opts)
	}
	// Until the switch, the request's context governs the connection.
	stop := context.AfterFunc(ctx, func() { _ = backend.SetDeadline(aLongTimeAgo) })
	closeBackend := true
	defer func() {
		stop()
		if closeBackend {
			_ = backend.Close()
		}
	}()

	out := outRequest(ctx, r, addr, up)
	if err := out.Write(backend); err != nil {
		return p.fail(w, r, opUpgrade, addr, err, d.cause(), false, opts)
	}
	br := bufio.NewReaderSize(backend, 4<<10)
	resp, err := http.ReadResponse(br, out)
	d.started()
	if err != nil {
		return p.fail(w, r, opUpgrade, addr, err, d.cause(), false, opts)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		defer resp.Body.Close()
		return p.writeResponse(w, resp, d, addr)
	}
	if !stop() {
		return p.fail(w, r, opUpgrade, addr, context.Cause(ctx), d.cause(), false, opts)
	}
	_ = backend.SetDeadline(time.Time{})
	if got := upgradeType(resp.Header); !strings.EqualFold(got, up) {
		return p.fail(w, r, opUpgrade, addr,
			fmt.Errorf("backend switched to %q, asked %q", got, up), nil, false, opts)
	}

	client, cbrw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return p.fail(w, r, opUpgrade, addr, fmt.Errorf("hijack: %w", err), d.cause(), false, opts)
	}
	closeBackend = false
	defer client.Close()
	defer backend.Close()

	// The 101 goes out as the backend wrote it, less hop-by-hop headers.
	h := make(http.Header, len(resp.Header)+2)
	copyResponseHeader(h, resp.Header)
	h["Connection"] = []string{"Upgrade"}
	h["Upgrade"] = []string{up}
	_, _ = cbrw.WriteString("HTTP/1.1 101 Switching Protocols\r\n")
	_ = h.Write(cbrw)
	_, _ = cbrw.WriteString("\r\n")
	if err := cbrw.Flush(); err != nil {
		return &Error{Op: opUpgrade, Started: true, Err: err}
	}

	errc := make(chan error, 1)
	go func() { errc <- splice(backend, client, cbrw.Reader) }()
	err = splice(client, backend, br)
	// Either side closing ends both; the closes above unblock the other copy.
	_ = client.Close()
	_ = backend.Close()
	if err2 := <-errc; err == nil {
		err = err2
	}
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return &Error{Op: opUpgrade, Started: true, Err: err}
	}
	return nil
}

// splice copies from src to dst, bytes already buffered in br first, then
// straight from the socket (splice(2) between TCP sockets on Linux).
func splice(dst, src net.Conn, br *bufio.Reader) error {
	if n := br.Buffered(); n > 0 {
		b, _ := br.Peek(n)
		if _, err := dst.Write(b); err != nil {
			return err
		}
		_, _ = br.Discard(n)
	}
	_, err := io.Copy(dst, src)
	return err
}

// isDialError reports whether err says no connection could be made, so the
// request never reached the backend.
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == opDial
}
