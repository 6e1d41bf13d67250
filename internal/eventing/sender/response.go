package sender

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/textproto"
	"strings"
)

const (
	// maxHeadBytes bounds a response head, and the trailers of a chunked
	// body.
	maxHeadBytes = 64 << 10
	// max1xx bounds the informational responses before the final one.
	max1xx = 8
)

// framing is how a response body is delimited.
type framing uint8

const (
	frameNone    framing = iota // no body: HEAD, 204, 304
	frameLength                 // Content-Length bytes
	frameChunked                // chunked transfer coding
	frameEOF                    // until the server closes the connection
)

// respHead is a parsed final response head.
type respHead struct {
	status     int
	minor      int    // of HTTP/1.minor
	statusText string // "200 OK"
	header     http.Header
	framing    framing
	length     int64 // the body's length; -1 unknown
	keepAlive  bool  // the connection may serve another request afterwards
}

// response builds the http.Response for h, without its body.
func (h *respHead) response(req *http.Request) *http.Response {
	resp := &http.Response{
		Status:        h.statusText,
		StatusCode:    h.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    h.minor,
		Header:        h.header,
		ContentLength: h.length,
		Close:         !h.keepAlive,
		Request:       req,
	}
	if h.minor == 0 {
		resp.Proto = "HTTP/1.0"
	}
	if h.framing == frameChunked {
		resp.TransferEncoding = []string{"chunked"}
	}
	return resp
}

// readResponse reads the head of the final response to a request made with
// method, skipping informational ones. anyBytes tells whether the server
// sent anything at all, which decides whether a request may be sent again.
func readResponse(br *bufio.Reader, method string) (h respHead, anyBytes bool, err error) {
	for range max1xx + 1 {
		block, any, err := readHead(br)
		if err != nil {
			return h, anyBytes || any, err
		}
		anyBytes = true
		if h, err = parseHead(block, method); err != nil {
			return h, true, err
		}
		switch {
		case h.status == http.StatusSwitchingProtocols:
			return h, true, errSwitching
		case h.status >= 200:
			return h, true, nil
		}
		// 100 Continue, 103 Early Hints: the final response follows.
	}
	return h, true, errTooMany1xx
}

// readHead takes one head from br, through the empty line that ends it.
// anyBytes tells whether the server sent anything.
func readHead(br *bufio.Reader) (head string, anyBytes bool, err error) {
	// Nearly always the head fits in br's buffer and is copied once.
	from := 0
	for {
		buf, _ := br.Peek(br.Buffered())
		if end := headEnd(buf, from); end >= 0 {
			head = string(buf[:end])
			_, _ = br.Discard(end)
			return head, true, nil
		}
		if len(buf) >= br.Size() {
			break
		}
		from = max(0, len(buf)-2)
		if _, err := br.Peek(len(buf) + 1); err != nil {
			return "", br.Buffered() > 0, err
		}
	}
	// A head larger than the buffer is gathered line by line.
	var acc []byte
	for {
		line, err := br.ReadSlice('\n')
		acc = append(acc, line...)
		if len(acc) > maxHeadBytes {
			return "", true, errHeaderTooLarge
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err != nil:
			return "", true, err
		}
		if n := len(acc); (n >= 2 && acc[n-2] == '\n') || (n >= 3 && acc[n-3] == '\n' && acc[n-2] == '\r') {
			return string(acc), true, nil
		}
	}
}

// headEnd returns the length of the head in buf, through its empty line,
// looking for line ends from from on; -1 when the head goes on. A bare LF
// ends a line, as net/http accepts.
func headEnd(buf []byte, from int) int {
	for i := from; i < len(buf); i++ {
		j := bytes.IndexByte(buf[i:], '\n')
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

// cutLine splits s after its first line end, CRLF or LF.
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

// parseHead parses a response head (as readHead returns it) to a request
// made with method.
func parseHead(block, method string) (respHead, error) {
	var h respHead
	line, rest := cutLine(block)
	// "HTTP/1.1 200 OK"; the reason phrase may be missing.
	if len(line) < 12 || !strings.HasPrefix(line, "HTTP/1.") || line[8] != ' ' ||
		(len(line) > 12 && line[12] != ' ') {
		return h, fmt.Errorf("%w: status line %q", errMalformed, line)
	}
	switch line[7] {
	case '0':
	case '1':
		h.minor = 1
	default:
		return h, fmt.Errorf("%w: status line %q", errMalformed, line)
	}
	for _, c := range []byte(line[9:12]) {
		if c < '0' || c > '9' {
			return h, fmt.Errorf("%w: status line %q", errMalformed, line)
		}
		h.status = h.status*10 + int(c-'0')
	}
	if h.status < 100 {
		return h, fmt.Errorf("%w: status line %q", errMalformed, line)
	}
	h.statusText = statusText(h.status, line)

	// All values are slices of one array and substrings of block: a head
	// costs a map, an array and the block.
	n := strings.Count(rest, "\n")
	h.header = make(http.Header, n)
	vals := make([]string, 0, n)
	var (
		length   int64 = -1
		te       bool  // Transfer-Encoding: chunked
		closeTok bool  // Connection: close
		keepTok  bool  // Connection: keep-alive
	)
	for rest != "" {
		line, rest = cutLine(rest)
		if line == "" {
			break
		}
		i := strings.IndexByte(line, ':')
		if i <= 0 || !validToken(line[:i]) {
			// Obsolete line folding ends up here too.
			return h, fmt.Errorf("%w: header line %q", errMalformed, line)
		}
		k := textproto.CanonicalMIMEHeaderKey(line[:i])
		v := strings.Trim(line[i+1:], " \t")
		if !validValue(v) {
			return h, fmt.Errorf("%w: header %q", errMalformed, k)
		}
		switch k {
		case "Content-Length":
			cl, ok := parseLength(v)
			if !ok || (length >= 0 && cl != length) {
				return h, fmt.Errorf("%w: Content-Length %q", errMalformed, v)
			}
			length = cl
		case "Transfer-Encoding":
			if te || !strings.EqualFold(v, "chunked") {
				return h, fmt.Errorf("%w %q", errUnsupportedTE, v)
			}
			te = true
			continue // net/http reports it in Response.TransferEncoding only
		case "Connection":
			for tok := range strings.SplitSeq(v, ",") {
				tok = strings.Trim(tok, " \t")
				closeTok = closeTok || strings.EqualFold(tok, "close")
				keepTok = keepTok || strings.EqualFold(tok, "keep-alive")
			}
		}
		vals = append(vals, v)
		if old, ok := h.header[k]; ok {
			h.header[k] = append(old, v)
		} else {
			h.header[k] = vals[len(vals)-1 : len(vals) : len(vals)]
		}
	}

	h.keepAlive = !closeTok && (h.minor == 1 || keepTok)
	switch {
	case method == http.MethodHead:
		h.framing, h.length = frameNone, length
	case h.status < 200, h.status == http.StatusNoContent, h.status == http.StatusNotModified:
		h.framing, h.length = frameNone, 0
	case te:
		h.framing, h.length = frameChunked, -1
		// Both framings at once smell of smuggling: do not trust what
		// follows on this connection.
		h.keepAlive = h.keepAlive && length < 0
	case length >= 0:
		h.framing, h.length = frameLength, length
	default:
		h.framing, h.length = frameEOF, -1
		h.keepAlive = false
	}
	return h, nil
}

// statusText is Response.Status for a status line: the code and its
// http.StatusText, or the server's reason phrase for a code net/http does
// not know. The common case is a substring of the line.
func statusText(code int, line string) string {
	text := http.StatusText(code)
	reason := ""
	if len(line) > 13 {
		reason = line[13:]
	}
	switch {
	case text != "" && reason == text:
		return line[9:]
	case text != "":
		return line[9:12] + " " + text
	case reason != "":
		return line[9:]
	}
	return line[9:12]
}

// parseLength parses a Content-Length value: digits only.
func parseLength(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// bodyReader reads a response body off a connection's reader, up to the end
// its framing sets, and returns io.EOF exactly when the body ended as framed.
// It does not own the connection.
type bodyReader struct {
	br        *bufio.Reader
	framing   framing
	remaining int64     // frameLength: bytes still to come
	chunked   io.Reader // frameChunked
	done      bool      // io.EOF was returned
}

func newBodyReader(br *bufio.Reader, h *respHead) *bodyReader {
	r := &bodyReader{br: br, framing: h.framing, remaining: h.length}
	switch h.framing {
	case frameNone:
		r.done = true
	case frameChunked:
		r.chunked = httputil.NewChunkedReader(br)
	}
	return r
}

// Read reads the body.
func (r *bodyReader) Read(p []byte) (int, error) {
	if r.done {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	switch r.framing {
	case frameLength:
		if r.remaining == 0 {
			r.done = true
			return 0, io.EOF
		}
		if int64(len(p)) > r.remaining {
			p = p[:r.remaining]
		}
		n, err := r.br.Read(p)
		r.remaining -= int64(n)
		switch {
		case r.remaining == 0:
			r.done = true
			return n, io.EOF
		case err == io.EOF:
			return n, io.ErrUnexpectedEOF
		}
		return n, err
	case frameChunked:
		n, err := r.chunked.Read(p)
		if err == io.EOF {
			// What follows the last chunk: trailers, then an empty line.
			if terr := discardTrailers(r.br); terr != nil {
				return n, terr
			}
			r.done = true
		}
		return n, err
	default: // frameEOF
		n, err := r.br.Read(p)
		if err == io.EOF {
			r.done = true
		}
		return n, err
	}
}

// remainder returns how many bytes of the body are still to be read; -1
// when unknown.
func (r *bodyReader) remainder() int64 {
	switch {
	case r.done:
		return 0
	case r.framing == frameLength:
		return r.remaining
	}
	return -1
}

// discardTrailers reads the trailer section of a chunked body, through its
// empty line, and drops it.
func discardTrailers(br *bufio.Reader) error {
	total := 0
	atStart := true // at the start of a line
	for {
		line, err := br.ReadSlice('\n')
		total += len(line)
		if total > maxHeadBytes {
			return errHeaderTooLarge
		}
		switch {
		case err == bufio.ErrBufferFull:
			atStart = false
			continue
		case err == io.EOF:
			return io.ErrUnexpectedEOF
		case err != nil:
			return err
		}
		if atStart && (len(line) == 1 || (len(line) == 2 && line[0] == '\r')) {
			return nil
		}
		atStart = true
	}
}
