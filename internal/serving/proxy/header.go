package proxy

import (
	"net"
	"net/http"
	"net/textproto"
	"strings"
)

// isHopHeader reports whether the canonical header key k is hop-by-hop
// (RFC 9110 section 7.6.1, plus the de facto Proxy-* and Keep-Alive) and so
// must not be forwarded. Upgrade and Connection are re-added by the upgrade
// path, and "TE: trailers" by the request builders, on purpose.
func isHopHeader(k string) bool {
	switch k {
	case "Connection", "Keep-Alive", "Te", "Trailer", "Transfer-Encoding", "Upgrade":
		return true
	}
	return strings.HasPrefix(k, "Proxy-")
}

// connectionTokens returns the canonical header names listed in the
// Connection header values, which are hop-by-hop too. nil when there are none
// besides the common keep-alive/close/upgrade, which are dropped anyway.
func connectionTokens(h http.Header) []string {
	vv := h["Connection"]
	if len(vv) == 0 {
		return nil
	}
	var out []string
	for _, v := range vv {
		for v != "" {
			var tok string
			tok, v, _ = strings.Cut(v, ",")
			tok = strings.TrimSpace(tok)
			if tok == "" {
				continue
			}
			k := textproto.CanonicalMIMEHeaderKey(tok)
			if k == "Keep-Alive" || k == "Close" || k == "Upgrade" {
				continue
			}
			out = append(out, k)
		}
	}
	return out
}

func listed(tokens []string, k string) bool {
	for _, t := range tokens {
		if t == k {
			return true
		}
	}
	return false
}

// forwardable reports whether the canonical request or response header key k
// crosses the proxy.
func forwardable(k string, conn []string) bool {
	if isHopHeader(k) {
		return false
	}
	return conn == nil || !listed(conn, k)
}

// wantsTrailers reports whether the client sent "TE: trailers", the one TE
// value that must be passed on (gRPC requires it).
func wantsTrailers(h http.Header) bool {
	for _, v := range h["Te"] {
		for v != "" {
			var tok string
			tok, v, _ = strings.Cut(v, ",")
			tok = strings.TrimSpace(tok)
			if i := strings.IndexByte(tok, ';'); i >= 0 {
				tok = strings.TrimSpace(tok[:i])
			}
			if strings.EqualFold(tok, "trailers") {
				return true
			}
		}
	}
	return false
}

// clientIP returns the IP of r.RemoteAddr without the port, or "" when the
// address is not host:port (a unix socket, or a test's made-up value).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return ""
	}
	return host
}

func scheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// xForwardedFor returns the X-Forwarded-For value to send: the client's
// previous list, if any, with the client's IP appended.
func xForwardedFor(h http.Header, ip string) string {
	prior := h["X-Forwarded-For"]
	switch {
	case ip == "" && len(prior) == 0:
		return ""
	case ip == "":
		return strings.Join(prior, ", ")
	case len(prior) == 0:
		return ip
	case len(prior) == 1:
		return prior[0] + ", " + ip
	}
	return strings.Join(prior, ", ") + ", " + ip
}

// stringWriter is what strings.Builder and bufio.Writer have in common, so
// that the fast path writes header values straight into the connection's
// buffer and the net/http path builds them as strings, with one code.
type stringWriter interface {
	WriteString(string) (int, error)
	WriteByte(byte) error
}

// forwarded returns the Forwarded header value to send (RFC 7239): the prior
// elements, if any, with one for this hop appended.
func forwarded(h http.Header, ip, host, proto string) string {
	var b strings.Builder
	writeForwarded(&b, h, ip, host, proto)
	return b.String()
}

func writeForwarded(b stringWriter, h http.Header, ip, host, proto string) {
	for _, v := range h["Forwarded"] {
		b.WriteString(v)
		b.WriteString(", ")
	}
	if ip != "" {
		b.WriteString("for=")
		if strings.IndexByte(ip, ':') >= 0 { // IPv6: quoted and bracketed
			b.WriteString(`"[`)
			b.WriteString(ip)
			b.WriteString(`]"`)
		} else {
			b.WriteString(ip)
		}
		b.WriteByte(';')
	}
	if host != "" {
		b.WriteString("host=")
		writeForwardedValue(b, host)
		b.WriteByte(';')
	}
	b.WriteString("proto=")
	b.WriteString(proto)
}

// writeForwardedValue writes v as an RFC 7230 token when it is one, else as
// a quoted-string ("host:port" needs quoting because of the colon).
func writeForwardedValue(b stringWriter, v string) {
	token := v != ""
	for i := 0; i < len(v); i++ {
		if !isTokenChar(v[i]) {
			token = false
			break
		}
	}
	if token {
		b.WriteString(v)
		return
	}
	b.WriteByte('"')
	for i := 0; i < len(v); i++ {
		if v[i] == '"' || v[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(v[i])
	}
	b.WriteByte('"')
}

func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// outHeader builds the header map sent to the backend. r.Header is not
// modified (so a caller may retry the request on another instance); the
// value slices are shared with it, which is safe because nothing below
// writes into them.
func outHeader(r *http.Request, upgrade string) http.Header {
	in := r.Header
	conn := connectionTokens(in)
	out := make(http.Header, len(in)+4)
	for k, vv := range in {
		if forwardable(k, conn) {
			out[k] = vv
		}
	}
	if wantsTrailers(in) {
		out["Te"] = []string{"trailers"}
	}
	if upgrade != "" {
		out["Connection"] = []string{"Upgrade"}
		out["Upgrade"] = []string{upgrade}
	}
	// net/http would otherwise add its own User-Agent.
	if _, ok := out["User-Agent"]; !ok {
		out["User-Agent"] = []string{""}
	}
	ip := clientIP(r)
	proto := scheme(r)
	if xff := xForwardedFor(in, ip); xff != "" {
		out["X-Forwarded-For"] = []string{xff}
	}
	out["X-Forwarded-Proto"] = []string{proto}
	if r.Host != "" {
		out["X-Forwarded-Host"] = []string{r.Host}
	}
	out["Forwarded"] = []string{forwarded(in, ip, r.Host, proto)}
	return out
}

// copyResponseHeader copies the backend's response header into dst, less
// the hop-by-hop ones. The value slices are shared: the response is ours.
func copyResponseHeader(dst, src http.Header) {
	conn := connectionTokens(src)
	for k, vv := range src {
		if forwardable(k, conn) {
			dst[k] = vv
		}
	}
}
