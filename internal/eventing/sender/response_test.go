package sender

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

func TestParseHead(t *testing.T) {
	tests := []struct {
		name   string
		head   string
		method string // POST when empty
		want   respHead
	}{{
		name: "length",
		head: "HTTP/1.1 202 Accepted\r\nContent-Length: 12\r\n\r\n",
		want: respHead{status: 202, minor: 1, statusText: "202 Accepted", framing: frameLength, length: 12, keepAlive: true,
			header: http.Header{"Content-Length": {"12"}}},
	}, {
		name: "chunked",
		head: "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n",
		want: respHead{status: 200, minor: 1, statusText: "200 OK", framing: frameChunked, length: -1, keepAlive: true,
			header: http.Header{}},
	}, {
		name: "until close",
		head: "HTTP/1.1 200 OK\r\n\r\n",
		want: respHead{status: 200, minor: 1, statusText: "200 OK", framing: frameEOF, length: -1, header: http.Header{}},
	}, {
		name:   "HEAD without a length",
		head:   "HTTP/1.1 200 OK\r\n\r\n",
		method: http.MethodHead,
		want:   respHead{status: 200, minor: 1, statusText: "200 OK", framing: frameNone, length: -1, keepAlive: true, header: http.Header{}},
	}, {
		name: "HTTP/1.0 default close",
		head: "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n",
		want: respHead{status: 200, statusText: "200 OK", framing: frameLength, length: 0,
			header: http.Header{"Content-Length": {"0"}}},
	}, {
		name: "close token among others",
		head: "HTTP/1.1 200 OK\r\nConnection: foo,\tCLOSE\r\nContent-Length: 0\r\n\r\n",
		want: respHead{status: 200, minor: 1, statusText: "200 OK", framing: frameLength, length: 0,
			header: http.Header{"Connection": {"foo,\tCLOSE"}, "Content-Length": {"0"}}},
	}, {
		name: "same length twice",
		head: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n",
		want: respHead{status: 200, minor: 1, statusText: "200 OK", framing: frameLength, length: 3, keepAlive: true,
			header: http.Header{"Content-Length": {"3", "3"}}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := tt.method
			if method == "" {
				method = http.MethodPost
			}
			got, err := parseHead(tt.head, method)
			if err != nil {
				t.Fatalf("parseHead(%q) error: %v", tt.head, err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(respHead{})); diff != "" {
				t.Errorf("parseHead(%q) (-want +got):\n%s", tt.head, diff)
			}
		})
	}
}

func TestReadHeadByteByByte(t *testing.T) {
	// Heads arriving a byte at a time, ending in each way a line can end,
	// with the body's first bytes behind them.
	tests := []struct {
		in, wantHead string
	}{
		{"HTTP/1.1 200 OK\r\nA: b\r\n\r\nbody", "HTTP/1.1 200 OK\r\nA: b\r\n\r\n"},
		{"HTTP/1.1 200 OK\nA: b\n\nbody", "HTTP/1.1 200 OK\nA: b\n\n"},
		{"HTTP/1.1 200 OK\r\nA: b\n\r\nbody", "HTTP/1.1 200 OK\r\nA: b\n\r\n"},
		{"HTTP/1.1 200 OK\r\nX: " + strings.Repeat("y", 2*readBufSize) + "\r\n\r\nbody",
			"HTTP/1.1 200 OK\r\nX: " + strings.Repeat("y", 2*readBufSize) + "\r\n\r\n"},
		{"HTTP/1.1 200 OK\nX: " + strings.Repeat("y", 2*readBufSize) + "\n\nbody",
			"HTTP/1.1 200 OK\nX: " + strings.Repeat("y", 2*readBufSize) + "\n\n"},
	}
	for _, tt := range tests {
		br := bufio.NewReaderSize(iotest.OneByteReader(strings.NewReader(tt.in)), readBufSize)
		got, anyBytes, err := readHead(br)
		if err != nil || got != tt.wantHead || !anyBytes {
			t.Errorf("readHead(%.40q...) = %.40q..., %v, %v; want %.40q...", tt.in, got, anyBytes, err, tt.wantHead)
			continue
		}
		if rest, _ := io.ReadAll(br); string(rest) != "body" {
			t.Errorf("readHead(%.40q...) left %q, want %q", tt.in, rest, "body")
		}
	}
	for _, in := range []string{"", "HTTP/1.1 200 OK\r\n"} {
		br := bufio.NewReaderSize(iotest.OneByteReader(strings.NewReader(in)), readBufSize)
		_, anyBytes, err := readHead(br)
		if !errors.Is(err, io.EOF) || anyBytes != (in != "") {
			t.Errorf("readHead(%q) = _, %v, %v; want %v, EOF", in, anyBytes, err, in != "")
		}
	}
}

func TestAppendRequest(t *testing.T) {
	tests := []struct {
		name string
		req  func() *http.Request
		want string
	}{{
		name: "known length",
		req: func() *http.Request {
			r, _ := http.NewRequest(http.MethodPost, "http://sub.example:8080/p?q=1", strings.NewReader("hi"))
			r.Header["Ce-Id"] = []string{"1", "2"}
			return r
		},
		want: "POST /p?q=1 HTTP/1.1\r\nHost: sub.example:8080\r\nCe-Id: 1\r\nCe-Id: 2\r\nContent-Length: 2\r\n\r\nhi",
	}, {
		name: "unknown length",
		req: func() *http.Request {
			r, _ := http.NewRequest(http.MethodPost, "http://sub.example", io.NopCloser(strings.NewReader("hello")))
			r.Header.Set("Ce-Id", "1")
			return r
		},
		want: "POST / HTTP/1.1\r\nHost: sub.example\r\nCe-Id: 1\r\nContent-Length: 5\r\n\r\nhello",
	}, {
		name: "GET",
		req: func() *http.Request {
			r, _ := http.NewRequest(http.MethodGet, "http://sub.example/x", nil)
			return r
		},
		want: "GET /x HTTP/1.1\r\nHost: sub.example\r\n\r\n",
	}, {
		name: "a body larger than the buffer steps",
		req: func() *http.Request {
			r, _ := http.NewRequest(http.MethodPost, "http://h/", io.NopCloser(strings.NewReader(strings.Repeat("z", 200<<10))))
			return r
		},
		want: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 204800\r\n\r\n" + strings.Repeat("z", 200<<10),
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := tt.req()
			got, _, err := appendRequest(make([]byte, 0, 16), req, req.Method)
			if err != nil {
				t.Fatalf("appendRequest: %v", err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("appendRequest (-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzReadResponse feeds arbitrary bytes to the response parser and body
// framing, as they would come off a connection.
func FuzzReadResponse(f *testing.F) {
	seeds := []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
		"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-T\r\n\r\n5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nab",
		"HTTP/1.0 200 OK\r\n\r\nuntil the end",
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
		"HTTP/1.1 200 OK\nSet-Cookie: a\nSet-Cookie: b\nContent-Length: 2\n\nok",
		"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\nshort",
		"HTTP/1.1 101 Switching Protocols\r\n\r\n",
		"HTTP/1.1 2",
	}
	for _, s := range seeds {
		f.Add([]byte(s), false)
	}
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"), true)
	f.Fuzz(func(t *testing.T, data []byte, head bool) {
		method := http.MethodPost
		if head {
			method = http.MethodHead
		}
		// A small buffer for odd lengths, so that heads longer than the
		// buffer are fuzzed too.
		size := readBufSize
		if len(data)%2 == 1 {
			size = 16
		}
		br := bufio.NewReaderSize(iotest.HalfReader(bytes.NewReader(data)), size)
		h, _, err := readResponse(br, method)
		if err != nil {
			return
		}
		if h.status < 200 || h.status > 999 || h.status == http.StatusSwitchingProtocols {
			t.Fatalf("final status %d", h.status)
		}
		if h.header == nil {
			t.Fatal("nil header")
		}
		resp := h.response(nil)
		if resp.Status == "" || resp.ProtoMajor != 1 {
			t.Fatalf("response Status %q Proto %q", resp.Status, resp.Proto)
		}
		r := newBodyReader(br, &h)
		body, err := io.ReadAll(io.LimitReader(r, int64(len(data))+1))
		if len(body) > len(data) {
			t.Fatalf("body of %d bytes from %d bytes of input", len(body), len(data))
		}
		if err == nil && r.done && h.framing == frameLength && int64(len(body)) != h.length {
			t.Fatalf("body of %d bytes, Content-Length %d", len(body), h.length)
		}
		if h.framing == frameNone && len(body) != 0 {
			t.Fatalf("body of %d bytes where there is none", len(body))
		}
	})
}
