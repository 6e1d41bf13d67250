package sender

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// appendRequest appends req as it goes on the wire, head and body, to b.
// The body is read whole, so that the request goes out in one write and can
// be sent again; req.Body is closed, whatever the outcome. closeConn tells
// that the request asks for Connection: close, by req.Close or in its
// header, so that the connection must not serve another.
func appendRequest(b []byte, req *http.Request, method string) (_ []byte, closeConn bool, err error) {
	defer closeBody(req)
	if !validToken(method) {
		return b, false, fmt.Errorf("%w %q", errInvalidMethod, method)
	}
	uri := req.URL.RequestURI()
	if !validURI(uri) {
		return b, false, fmt.Errorf("%w %q", errInvalidURI, uri)
	}
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	if !validValue(host) {
		return b, false, fmt.Errorf("%w: Host %q", errInvalidHeader, host)
	}

	b = append(b, method...)
	b = append(b, ' ')
	b = append(b, uri...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, host...)
	b = append(b, "\r\n"...)
	closeConn = req.Close
	for k, vv := range req.Header {
		if skipHeader(k, vv) {
			// The caller's Connection field is not sent, but a close in
			// it is honoured, as net/http honours it.
			closeConn = closeConn || (len(k) == 10 && strings.EqualFold(k, "Connection") && hasClose(vv))
			continue
		}
		if !validToken(k) {
			return b, false, fmt.Errorf("%w: name %q", errInvalidHeader, k)
		}
		for _, v := range vv {
			if !validValue(v) {
				return b, false, fmt.Errorf("%w: value for %q", errInvalidHeader, k)
			}
			b = append(b, k...)
			b = append(b, ": "...)
			b = append(b, v...)
			b = append(b, "\r\n"...)
		}
	}
	if closeConn {
		b = append(b, "Connection: close\r\n"...)
	}

	// For client requests net/http reads a ContentLength of 0 with a body
	// other than NoBody as unknown, and so does this.
	cl := req.ContentLength
	hasBody := req.Body != nil && req.Body != http.NoBody
	if !hasBody && cl > 0 {
		return b, false, fmt.Errorf("%w: ContentLength %d", errNilBody, cl)
	}
	if cl > 0 {
		b = appendContentLength(b, cl, method)
		start := len(b)
		b, err = appendBody(b, req.Body, cl)
		if err != nil {
			return b, false, fmt.Errorf("read request body: %w", err)
		}
		if n := int64(len(b) - start); n != cl {
			return b, false, fmt.Errorf("%w: ContentLength %d, body %d bytes", errBodyLength, cl, n)
		}
		return b, closeConn, nil
	}
	if !hasBody {
		return appendContentLength(b, 0, method), closeConn, nil
	}
	// Unknown length: read the body, then put the header before it.
	start := len(b)
	b, err = appendBody(b, req.Body, -1)
	if err != nil {
		return b, false, fmt.Errorf("read request body: %w", err)
	}
	var num [64]byte
	head := appendContentLength(num[:0], int64(len(b)-start), method)
	return slices.Insert(b, start, head...), closeConn, nil
}

// appendContentLength ends the head with a Content-Length for a body of n
// bytes: as net/http, none for an empty body but of the methods that are
// expected to carry one.
func appendContentLength(b []byte, n int64, method string) []byte {
	if n > 0 || method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch {
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, n, 10)
		b = append(b, "\r\n"...)
	}
	return append(b, "\r\n"...)
}

// appendBody appends what r yields to b: up to limit bytes, or all of it
// when limit is negative. The buffer grows as bytes arrive, so that a
// ContentLength larger than the body does not allocate in advance.
func appendBody(b []byte, r io.Reader, limit int64) ([]byte, error) {
	const step = 64 << 10
	for limit != 0 {
		if len(b) == cap(b) {
			grow := int64(step)
			if limit > 0 {
				grow = min(grow, limit)
			}
			b = slices.Grow(b, int(grow))
		}
		room := b[len(b):cap(b)]
		if limit > 0 && int64(len(room)) > limit {
			room = room[:limit]
		}
		n, err := r.Read(room)
		b = b[:len(b)+n]
		if limit > 0 {
			limit -= int64(n)
		}
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
	return b, nil
}

// skipHeader reports whether a request header field is left out: the
// hop-by-hop fields, and those written from other request fields.
func skipHeader(k string, vv []string) bool {
	switch len(k) {
	case 2:
		return strings.EqualFold(k, "Te")
	case 4:
		return strings.EqualFold(k, "Host")
	case 7:
		return strings.EqualFold(k, "Trailer") || strings.EqualFold(k, "Upgrade")
	case 10:
		// An empty User-Agent tells net/http to send none; so here.
		return strings.EqualFold(k, "Connection") || strings.EqualFold(k, "Keep-Alive") ||
			(strings.EqualFold(k, "User-Agent") && len(vv) == 1 && vv[0] == "")
	case 14:
		return strings.EqualFold(k, "Content-Length")
	case 16:
		return strings.EqualFold(k, "Proxy-Connection")
	case 17:
		return strings.EqualFold(k, "Transfer-Encoding")
	}
	return false
}

// hasClose reports whether the values of a Connection field hold the
// close option.
func hasClose(vv []string) bool {
	for _, v := range vv {
		for opt := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.Trim(opt, " \t"), "close") {
				return true
			}
		}
	}
	return false
}

// validToken reports whether s is a non-empty RFC 9110 token, as a method
// or a field name must be.
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTokenChar(s[i]) {
			return false
		}
	}
	return true
}

func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// validValue reports whether s can be a field value: no control characters
// (CR and LF above all) but the horizontal tab, as net/http checks.
func validValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// validURI reports whether s can be the request target: no spaces or
// control characters.
func validURI(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f {
			return false
		}
	}
	return true
}
