package sender

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRoundTripResponses(t *testing.T) {
	tests := []struct {
		name       string
		method     string // POST when empty
		resp       string // written for each request
		closeAfter bool   // the server closes the connection after resp

		wantStatus string
		wantBody   string
		wantHeader http.Header // a subset of the response header
		wantLength int64
		wantTE     []string
		wantClose  bool
		wantProto  string // HTTP/1.1 when empty
		wantConns  int32  // after two requests
	}{{
		name:       "200 empty",
		resp:       "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
		wantStatus: "200 OK",
		wantConns:  1,
	}, {
		name:       "202 with length",
		resp:       "HTTP/1.1 202 Accepted\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello",
		wantStatus: "202 Accepted",
		wantBody:   "hello",
		wantHeader: http.Header{"Content-Type": {"text/plain"}, "Content-Length": {"5"}},
		wantLength: 5,
		wantConns:  1,
	}, {
		name: "chunked with trailers",
		resp: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n" +
			"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Sum: 1\r\nX-Other: 2\r\n\r\n",
		wantStatus: "200 OK",
		wantBody:   "hello world",
		wantHeader: http.Header{"Trailer": {"X-Sum"}},
		wantLength: -1,
		wantTE:     []string{"chunked"},
		wantConns:  1,
	}, {
		name:       "chunked without trailers",
		resp:       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
		wantStatus: "200 OK",
		wantBody:   "ok",
		wantLength: -1,
		wantTE:     []string{"chunked"},
		wantConns:  1,
	}, {
		name:       "body until close",
		resp:       "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nhello until the end",
		closeAfter: true,
		wantStatus: "200 OK",
		wantBody:   "hello until the end",
		wantLength: -1,
		wantClose:  true,
		wantConns:  2,
	}, {
		name: "multiple values",
		resp: "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\nx-lower:  v \r\n" +
			"Vary: A\r\nVary: B, C\r\nContent-Length: 0\r\n\r\n",
		wantStatus: "200 OK",
		wantHeader: http.Header{"Set-Cookie": {"a=1", "b=2"}, "X-Lower": {"v"}, "Vary": {"A", "B, C"}},
		wantConns:  1,
	}, {
		name:       "HEAD",
		method:     http.MethodHead,
		resp:       "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n",
		wantStatus: "200 OK",
		wantLength: 10,
		wantConns:  1,
	}, {
		name:       "204",
		resp:       "HTTP/1.1 204 No Content\r\n\r\n",
		wantStatus: "204 No Content",
		wantConns:  1,
	}, {
		name:       "304 with a length",
		resp:       "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n",
		wantStatus: "304 Not Modified",
		wantConns:  1,
	}, {
		name:       "1xx skipped",
		resp:       "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
		wantStatus: "200 OK",
		wantBody:   "ok",
		wantLength: 2,
		wantConns:  1,
	}, {
		name:       "HTTP/1.0",
		resp:       "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
		closeAfter: true,
		wantStatus: "200 OK",
		wantBody:   "ok",
		wantLength: 2,
		wantClose:  true,
		wantProto:  "HTTP/1.0",
		wantConns:  2,
	}, {
		name:       "HTTP/1.0 keep-alive",
		resp:       "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok",
		wantStatus: "200 OK",
		wantBody:   "ok",
		wantLength: 2,
		wantProto:  "HTTP/1.0",
		wantConns:  1,
	}, {
		name:       "Connection: close",
		resp:       "HTTP/1.1 200 OK\r\nConnection: Keep-Alive, close\r\nContent-Length: 2\r\n\r\nok",
		closeAfter: true,
		wantStatus: "200 OK",
		wantBody:   "ok",
		wantLength: 2,
		wantClose:  true,
		wantConns:  2,
	}, {
		name:       "bare LF",
		resp:       "HTTP/1.1 200 OK\nContent-Length: 2\n\nok",
		wantStatus: "200 OK",
		wantBody:   "ok",
		wantLength: 2,
		wantConns:  1,
	}, {
		name:       "odd reason phrase",
		resp:       "HTTP/1.1 200 Fine\r\nContent-Length: 0\r\n\r\n",
		wantStatus: "200 OK",
		wantConns:  1,
	}, {
		name:       "unknown code",
		resp:       "HTTP/1.1 299 Odd\r\nContent-Length: 0\r\n\r\n",
		wantStatus: "299 Odd",
		wantConns:  1,
	}, {
		name:       "no reason phrase",
		resp:       "HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n",
		wantStatus: "404 Not Found",
		wantConns:  1,
	}, {
		name:       "chunked and a length",
		resp:       "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
		closeAfter: true,
		wantStatus: "200 OK",
		wantBody:   "ok",
		wantLength: -1,
		wantTE:     []string{"chunked"},
		wantClose:  true,
		wantConns:  2,
	}, {
		name:       "bytes after the body",
		resp:       "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA",
		wantStatus: "200 OK",
		wantBody:   "ok",
		wantLength: 2,
		wantConns:  2,
	}, {
		name:       "head larger than the read buffer",
		resp:       "HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("b", 3*readBufSize) + "\r\nContent-Length: 2\r\n\r\nok",
		wantStatus: "200 OK",
		wantBody:   "ok",
		wantHeader: http.Header{"X-Big": {strings.Repeat("b", 3*readBufSize)}},
		wantLength: 2,
		wantConns:  1,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRawServer(t, respondEach(tt.resp, tt.closeAfter))
			tr := newTransport(t, Options{})
			method := tt.method
			if method == "" {
				method = http.MethodPost
			}
			for i := range 2 {
				req, err := http.NewRequest(method, srv.url+"/x", strings.NewReader("event"))
				if err != nil {
					t.Fatal(err)
				}
				resp, err := tr.RoundTrip(req)
				if err != nil {
					t.Fatalf("request %d: RoundTrip: %v", i, err)
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					t.Fatalf("request %d: read body: %v", i, err)
				}
				if got := string(b); got != tt.wantBody {
					t.Errorf("request %d: body = %q, want %q", i, got, tt.wantBody)
				}
				if resp.Status != tt.wantStatus {
					t.Errorf("request %d: Status = %q, want %q", i, resp.Status, tt.wantStatus)
				}
				for k, want := range tt.wantHeader {
					if diff := cmp.Diff(want, resp.Header[k]); diff != "" {
						t.Errorf("request %d: Header[%q] (-want +got):\n%s", i, k, diff)
					}
				}
				if resp.ContentLength != tt.wantLength {
					t.Errorf("request %d: ContentLength = %d, want %d", i, resp.ContentLength, tt.wantLength)
				}
				if diff := cmp.Diff(tt.wantTE, resp.TransferEncoding); diff != "" {
					t.Errorf("request %d: TransferEncoding (-want +got):\n%s", i, diff)
				}
				if _, ok := resp.Header["Transfer-Encoding"]; ok {
					t.Errorf("request %d: Transfer-Encoding left in Header", i)
				}
				if resp.Close != tt.wantClose {
					t.Errorf("request %d: Close = %v, want %v", i, resp.Close, tt.wantClose)
				}
				wantProto := tt.wantProto
				if wantProto == "" {
					wantProto = "HTTP/1.1"
				}
				if resp.Proto != wantProto || resp.ProtoMajor != 1 {
					t.Errorf("request %d: Proto = %q (%d), want %q", i, resp.Proto, resp.ProtoMajor, wantProto)
				}
				if resp.Request != req {
					t.Errorf("request %d: Request is not the request sent", i)
				}
			}
			if got := srv.conns.Load(); got != tt.wantConns {
				t.Errorf("server connections = %d, want %d", got, tt.wantConns)
			}
		})
	}
}

func TestNetHTTPServer(t *testing.T) {
	big := strings.Repeat("0123456789abcdef", 64<<10) // 1 MiB
	tests := []struct {
		name       string
		method     string // POST when empty
		handler    http.HandlerFunc
		wantStatus int
		wantBody   string
		wantLength int64
		wantTE     []string
	}{{
		name:       "200 empty",
		handler:    func(http.ResponseWriter, *http.Request) {},
		wantStatus: http.StatusOK,
	}, {
		name: "202 with a body",
		handler: func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusAccepted)
			_, _ = io.WriteString(w, "accepted")
		},
		wantStatus: http.StatusAccepted,
		wantBody:   "accepted",
		wantLength: 8,
	}, {
		name: "chunked with a trailer",
		handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Trailer", "X-Sum")
			_, _ = io.WriteString(w, "part one, ")
			w.(http.Flusher).Flush()
			_, _ = io.WriteString(w, "part two")
			w.Header().Set("X-Sum", "42")
		},
		wantStatus: http.StatusOK,
		wantBody:   "part one, part two",
		wantLength: -1,
		wantTE:     []string{"chunked"},
	}, {
		name: "1 MiB",
		handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", fmt.Sprint(len(big)))
			_, _ = io.WriteString(w, big)
		},
		wantStatus: http.StatusOK,
		wantBody:   big,
		wantLength: int64(len(big)),
	}, {
		name:   "HEAD",
		method: http.MethodHead,
		handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "7")
		},
		wantStatus: http.StatusOK,
		wantLength: 7,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, opened, _ := serverConns(t, tt.handler)
			tr := newTransport(t, Options{})
			method := tt.method
			if method == "" {
				method = http.MethodPost
			}
			for i := range 3 {
				req, _ := http.NewRequest(method, srv.URL, strings.NewReader("event"))
				resp, err := tr.RoundTrip(req)
				if err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					t.Fatalf("request %d: read body: %v", i, err)
				}
				if resp.StatusCode != tt.wantStatus || string(b) != tt.wantBody {
					t.Errorf("request %d: %d %.40q, want %d %.40q", i, resp.StatusCode, b, tt.wantStatus, tt.wantBody)
				}
				if resp.ContentLength != tt.wantLength {
					t.Errorf("request %d: ContentLength = %d, want %d", i, resp.ContentLength, tt.wantLength)
				}
				if diff := cmp.Diff(tt.wantTE, resp.TransferEncoding); diff != "" {
					t.Errorf("request %d: TransferEncoding (-want +got):\n%s", i, diff)
				}
			}
			if got := opened.Load(); got != 1 {
				t.Errorf("server connections = %d, want 1", got)
			}
		})
	}
}

func TestRoundTripErrors(t *testing.T) {
	tests := []struct {
		name     string
		resp     string // written after the request; then the connection closes
		wantErr  error  // from RoundTrip, or with inBody from reading the body
		inBody   bool
		wantText string // in the error message
	}{
		{name: "101", resp: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n", wantErr: errSwitching},
		{name: "head too large", resp: "HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("a", 70<<10) + "\r\n\r\n", wantErr: errHeaderTooLarge},
		{name: "too many fields", resp: "HTTP/1.1 200 OK\r\n" + strings.Repeat("X-Field: 0123456789012345678901234567890123456789\r\n", 2000) + "\r\n", wantErr: errHeaderTooLarge},
		{name: "HTTP/2 status line", resp: "HTTP/2 200 OK\r\n\r\n", wantErr: errMalformed},
		{name: "bad code", resp: "HTTP/1.1 2x0 OK\r\n\r\n", wantErr: errMalformed},
		{name: "code below 100", resp: "HTTP/1.1 099 Odd\r\n\r\n", wantErr: errMalformed},
		{name: "no colon", resp: "HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", wantErr: errMalformed},
		{name: "folded line", resp: "HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\n\r\n", wantErr: errMalformed},
		{name: "gzip coding", resp: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", wantErr: errUnsupportedTE},
		{name: "conflicting lengths", resp: "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", wantErr: errMalformed},
		{name: "negative length", resp: "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", wantErr: errMalformed},
		{name: "too many 1xx", resp: strings.Repeat("HTTP/1.1 100 Continue\r\n\r\n", 20), wantErr: errTooMany1xx},
		{name: "empty reply", resp: "", wantErr: io.EOF, wantText: "post to 127.0.0.1:"},
		{name: "half a status line", resp: "HTTP/1.1 2", wantErr: io.EOF},
		{name: "short body", resp: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", inBody: true, wantErr: io.ErrUnexpectedEOF},
		{name: "short chunk", resp: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", inBody: true, wantErr: io.ErrUnexpectedEOF},
		{name: "bad chunk size", resp: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", inBody: true},
		{name: "short trailers", resp: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: 1\r\n", inBody: true, wantErr: io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRawServer(t, respondEach(tt.resp, true))
			tr := newTransport(t, Options{})
			resp, _, err := post(context.Background(), tr, srv.url, "event")
			if !tt.inBody && resp != nil {
				t.Fatalf("RoundTrip = %s, want an error", resp.Status)
			}
			if err == nil {
				t.Fatal("got no error")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("error = %v, want one wrapping %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error = %q, want it to contain %q", err, tt.wantText)
			}
			if got := srv.reqs.Load(); got != 1 {
				t.Errorf("server saw %d requests, want 1", got)
			}
			if n := tr.pool.idleCount(srv.addr); n != 0 {
				t.Errorf("%d idle connections after a failure, want 0", n)
			}
		})
	}
}

func TestRequestWritten(t *testing.T) {
	type seen struct {
		method, uri, host string
		header            http.Header
		length            int64
		te                []string
		body              string
	}
	tests := []struct {
		name       string
		req        func(url string) *http.Request
		want       seen
		wantHeader http.Header // a subset of what the server saw
		wantAbsent []string    // header fields the server must not see
	}{{
		name: "known length",
		req: func(url string) *http.Request {
			r, _ := http.NewRequest(http.MethodPost, url+"/path/x?q=1&r=a%20b", strings.NewReader("hello"))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Ce-Id", "1")
			r.Header["X-Multi"] = []string{"a", "b"}
			return r
		},
		want:       seen{method: "POST", uri: "/path/x?q=1&r=a%20b", length: 5, body: "hello"},
		wantHeader: http.Header{"Content-Type": {"application/json"}, "Ce-Id": {"1"}, "X-Multi": {"a", "b"}, "Content-Length": {"5"}},
		wantAbsent: []string{"User-Agent", "Accept-Encoding", "Transfer-Encoding"},
	}, {
		name: "unknown length",
		req: func(url string) *http.Request {
			r, _ := http.NewRequest(http.MethodPost, url, io.NopCloser(strings.NewReader("abc")))
			r.ContentLength = -1
			return r
		},
		want:       seen{method: "POST", uri: "/", length: 3, body: "abc"},
		wantHeader: http.Header{"Content-Length": {"3"}},
	}, {
		name: "zero length with a body",
		req: func(url string) *http.Request {
			r, _ := http.NewRequest(http.MethodPost, url, io.NopCloser(strings.NewReader("xyz")))
			r.ContentLength = 0
			return r
		},
		want:       seen{method: "POST", uri: "/", length: 3, body: "xyz"},
		wantHeader: http.Header{"Content-Length": {"3"}},
	}, {
		name: "unknown length, empty",
		req: func(url string) *http.Request {
			r, _ := http.NewRequest(http.MethodPut, url, io.NopCloser(strings.NewReader("")))
			r.ContentLength = -1
			return r
		},
		want:       seen{method: "PUT", uri: "/", length: 0},
		wantHeader: http.Header{"Content-Length": {"0"}},
	}, {
		name: "empty POST",
		req: func(url string) *http.Request {
			r, _ := http.NewRequest(http.MethodPost, url, nil)
			return r
		},
		want:       seen{method: "POST", uri: "/", length: 0},
		wantHeader: http.Header{"Content-Length": {"0"}},
	}, {
		name: "GET",
		req: func(url string) *http.Request {
			r, _ := http.NewRequest(http.MethodGet, url+"/g", nil)
			return r
		},
		want:       seen{method: "GET", uri: "/g", length: 0},
		wantAbsent: []string{"Content-Length"},
	}, {
		name: "empty method is GET",
		req: func(url string) *http.Request {
			r, _ := http.NewRequest(http.MethodGet, url+"/g", nil)
			r.Method = ""
			return r
		},
		want: seen{method: "GET", uri: "/g", length: 0},
	}, {
		name: "Host and User-Agent from the caller",
		req: func(url string) *http.Request {
			r, _ := http.NewRequest(http.MethodPost, url, strings.NewReader("e"))
			r.Host = "broker.example"
			r.Header.Set("User-Agent", "skiff-dispatcher")
			return r
		},
		want:       seen{method: "POST", uri: "/", host: "broker.example", length: 1, body: "e"},
		wantHeader: http.Header{"User-Agent": {"skiff-dispatcher"}},
	}, {
		name: "empty User-Agent means none",
		req: func(url string) *http.Request {
			r, _ := http.NewRequest(http.MethodPost, url, strings.NewReader("e"))
			r.Header.Set("User-Agent", "")
			return r
		},
		want:       seen{method: "POST", uri: "/", length: 1, body: "e"},
		wantAbsent: []string{"User-Agent"},
	}, {
		name: "hop-by-hop and framing fields dropped",
		req: func(url string) *http.Request {
			r, _ := http.NewRequest(http.MethodPost, url, strings.NewReader("body"))
			r.Header.Set("Connection", "x-drop")
			r.Header.Set("Keep-Alive", "timeout=5")
			r.Header.Set("Proxy-Connection", "keep-alive")
			r.Header.Set("Te", "trailers")
			r.Header.Set("Trailer", "X-T")
			r.Header.Set("Transfer-Encoding", "chunked")
			r.Header.Set("Content-Length", "999")
			r.Header.Set("Host", "wrong.example")
			r.Header["content-length"] = []string{"998"}
			r.Header.Set("X-Kept", "yes")
			return r
		},
		want:       seen{method: "POST", uri: "/", length: 4, body: "body"},
		wantHeader: http.Header{"X-Kept": {"yes"}, "Content-Length": {"4"}},
		wantAbsent: []string{"Connection", "Keep-Alive", "Proxy-Connection", "Te", "Trailer", "Transfer-Encoding"},
	}, {
		name: "Close asks for Connection: close",
		req: func(url string) *http.Request {
			r, _ := http.NewRequest(http.MethodPost, url, strings.NewReader("e"))
			r.Close = true
			return r
		},
		want: seen{method: "POST", uri: "/", length: 1, body: "e"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := make(chan seen, 1)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				got <- seen{method: r.Method, uri: r.RequestURI, host: r.Host, header: r.Header,
					length: r.ContentLength, te: r.TransferEncoding, body: string(b)}
			}))
			defer srv.Close()
			tr := newTransport(t, Options{})
			req := tt.req(srv.URL)
			rec := &closeRecorder{}
			if req.Body != nil && req.Body != http.NoBody {
				rec.Reader = req.Body
				req.Body = rec
			}
			resp, err := tr.RoundTrip(req)
			if err != nil {
				t.Fatalf("RoundTrip: %v", err)
			}
			resp.Body.Close()
			if rec.Reader != nil && !rec.closed.Load() {
				t.Error("request body not closed")
			}
			s := <-got
			want := tt.want
			if want.host == "" {
				want.host = srv.Listener.Addr().String()
			}
			header := s.header
			s.header = nil
			if diff := cmp.Diff(want, s, cmp.AllowUnexported(seen{})); diff != "" {
				t.Errorf("server saw (-want +got):\n%s", diff)
			}
			for k, want := range tt.wantHeader {
				if diff := cmp.Diff(want, header[k]); diff != "" {
					t.Errorf("Header[%q] (-want +got):\n%s", k, diff)
				}
			}
			for _, k := range tt.wantAbsent {
				if v, ok := header[k]; ok {
					t.Errorf("Header[%q] = %q, want none", k, v)
				}
			}
		})
	}
}

func TestInvalidRequest(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(r *http.Request)
		wantErr error
	}{
		{"CRLF in a value", func(r *http.Request) { r.Header.Set("X-Evil", "a\r\nX-Injected: 1") }, errInvalidHeader},
		{"LF in a value", func(r *http.Request) { r.Header["X-Evil"] = []string{"a\nb"} }, errInvalidHeader},
		{"space in a name", func(r *http.Request) { r.Header["Bad Name"] = []string{"v"} }, errInvalidHeader},
		{"CRLF in a name", func(r *http.Request) { r.Header["X\r\nY"] = []string{"v"} }, errInvalidHeader},
		{"CRLF in Host", func(r *http.Request) { r.Host = "h\r\nX: 1" }, errInvalidHeader},
		{"bad method", func(r *http.Request) { r.Method = "BAD METHOD" }, errInvalidMethod},
		{"CRLF in the query", func(r *http.Request) { r.URL.RawQuery = "a\r\nb" }, errInvalidURI},
		{"body shorter than its length", func(r *http.Request) { r.ContentLength = 10 }, errBodyLength},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRawServer(t, respondEach("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false))
			tr := newTransport(t, Options{})
			rec := &closeRecorder{Reader: strings.NewReader("event")}
			req, err := http.NewRequest(http.MethodPost, srv.url, rec)
			if err != nil {
				t.Fatal(err)
			}
			req.ContentLength = 5
			tt.edit(req)
			resp, err := tr.RoundTrip(req)
			if err == nil {
				resp.Body.Close()
				t.Fatal("RoundTrip succeeded, want an error")
			}
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("error = %v, want one wrapping %v", err, tt.wantErr)
			}
			if !rec.closed.Load() {
				t.Error("request body not closed")
			}
			if got := srv.conns.Load(); got != 0 {
				t.Errorf("server saw %d connections, want 0", got)
			}
		})
	}

	t.Run("no host", func(t *testing.T) {
		tr := newTransport(t, Options{})
		req, _ := http.NewRequest(http.MethodPost, "http:///path", nil)
		if _, err := tr.RoundTrip(req); !errors.Is(err, errNoHost) {
			t.Errorf("error = %v, want %v", err, errNoHost)
		}
	})
	t.Run("nil body with a length", func(t *testing.T) {
		tr := newTransport(t, Options{})
		req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:1/", nil)
		req.ContentLength = 3
		if _, err := tr.RoundTrip(req); !errors.Is(err, errNilBody) {
			t.Errorf("error = %v, want %v", err, errNilBody)
		}
	})
}

// serverConns returns an httptest server running h that counts the
// connections it accepts and closes.
func serverConns(t *testing.T, h http.Handler) (srv *httptest.Server, opened, closed *atomic.Int32) {
	t.Helper()
	opened, closed = new(atomic.Int32), new(atomic.Int32)
	srv = httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			opened.Add(1)
		case http.StateClosed, http.StateHijacked:
			closed.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, opened, closed
}

// echo answers with the request body.
var echo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "text/plain")
	_, _ = w.Write(b)
})

func TestKeepAlive(t *testing.T) {
	srv, opened, _ := serverConns(t, echo)
	tr := newTransport(t, Options{})
	client := &http.Client{Transport: tr}
	for i := range 50 {
		body := fmt.Sprintf("event %d", i)
		resp, err := client.Post(srv.URL, "text/plain", strings.NewReader(body))
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || string(b) != body {
			t.Fatalf("request %d: body %q, %v; want %q", i, b, err, body)
		}
	}
	if got := opened.Load(); got != 1 {
		t.Errorf("server connections = %d, want 1", got)
	}
	if n := tr.pool.idleCount(srv.Listener.Addr().String()); n != 1 {
		t.Errorf("idle connections = %d, want 1", n)
	}
	client.CloseIdleConnections()
	if n := tr.pool.idleCount(srv.Listener.Addr().String()); n != 0 {
		t.Errorf("idle connections after CloseIdleConnections = %d, want 0", n)
	}
}

func TestConcurrent(t *testing.T) {
	const workers, each = 32, 50
	srv, opened, _ := serverConns(t, echo)
	tr := newTransport(t, Options{})
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				body := fmt.Sprintf("worker %d event %d", w, i)
				_, got, err := post(context.Background(), tr, srv.URL, body)
				if err == nil && got != body {
					err = fmt.Errorf("body %q, want %q", got, body)
				}
				if err != nil {
					errs <- fmt.Errorf("worker %d request %d: %w", w, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := opened.Load(); got > workers {
		t.Errorf("server connections = %d, want at most %d", got, workers)
	}
}

func TestStaleConnectionRetry(t *testing.T) {
	t.Run("closed after each response", func(t *testing.T) {
		// No Connection: close, so the client pools each connection and
		// finds it closed on the next request.
		srv := newRawServer(t, respondEach("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", true))
		tr := newTransport(t, Options{})
		const n = 20
		for i := range n {
			_, body, err := post(context.Background(), tr, srv.url, "event")
			if err != nil || body != "ok" {
				t.Fatalf("request %d: body %q, error %v", i, body, err)
			}
		}
		if got := srv.reqs.Load(); got != n {
			t.Errorf("server saw %d requests, want %d", got, n)
		}
	})
	t.Run("reset while idle", func(t *testing.T) {
		// The server resets the connection once the client has its
		// response, so that the next request fails as it is written.
		answered := make(chan struct{})
		srv := newRawServer(t, func(s *rawServer, c net.Conn, br *bufio.Reader) {
			if _, err := s.readRequest(br); err != nil {
				return
			}
			if _, err := io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"); err != nil {
				return
			}
			if s.conns.Load() > 1 {
				respondEach("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false)(s, c, br)
				return
			}
			<-answered
			_ = c.(*net.TCPConn).SetLinger(0)
		})
		tr := newTransport(t, Options{})
		if _, body, err := post(context.Background(), tr, srv.url, "first"); err != nil || body != "ok" {
			t.Fatalf("first request: body %q, error %v", body, err)
		}
		close(answered)
		checkFor(t, 5*time.Second, func() error {
			if got := srv.finished.Load(); got != 1 {
				return fmt.Errorf("server closed %d connections, want 1", got)
			}
			return nil
		})
		if _, body, err := post(context.Background(), tr, srv.url, "second"); err != nil || body != "ok" {
			t.Fatalf("second request: body %q, error %v", body, err)
		}
		if got := srv.reqs.Load(); got != 2 {
			t.Errorf("server saw %d requests, want 2", got)
		}
	})
	t.Run("server idle timeout", func(t *testing.T) {
		// As a Node.js subscriber with its 5 s keep-alive, faster.
		srv := httptest.NewUnstartedServer(echo)
		srv.Config.IdleTimeout = 20 * time.Millisecond
		var closed atomic.Int32
		srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
			if s == http.StateClosed {
				closed.Add(1)
			}
		}
		srv.Start()
		defer srv.Close()
		tr := newTransport(t, Options{})
		for i := range 3 {
			_, body, err := post(context.Background(), tr, srv.URL, "event")
			if err != nil || body != "event" {
				t.Fatalf("request %d: body %q, error %v", i, body, err)
			}
			checkFor(t, 5*time.Second, func() error {
				if got := closed.Load(); got != int32(i+1) {
					return fmt.Errorf("server closed %d connections, want %d", got, i+1)
				}
				return nil
			})
		}
	})
}

func TestNoRetryAfterPartialResponse(t *testing.T) {
	tests := []struct {
		name    string
		partial string
	}{
		{"half a status line", "HTTP/1.1 2"},
		{"head without its end", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"},
		{"garbage", "\x00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The first request on each connection is answered in full, the
			// second only in part.
			srv := newRawServer(t, func(s *rawServer, c net.Conn, br *bufio.Reader) {
				for i := 0; ; i++ {
					if _, err := s.readRequest(br); err != nil {
						return
					}
					if i > 0 {
						_, _ = io.WriteString(c, tt.partial)
						return
					}
					_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
				}
			})
			tr := newTransport(t, Options{})
			if _, _, err := post(context.Background(), tr, srv.url, "first"); err != nil {
				t.Fatalf("first request: %v", err)
			}
			if _, _, err := post(context.Background(), tr, srv.url, "second"); err == nil {
				t.Fatal("second request succeeded, want an error")
			}
			if got := srv.reqs.Load(); got != 2 {
				t.Errorf("server saw %d requests, want 2", got)
			}
			if got := srv.conns.Load(); got != 1 {
				t.Errorf("server saw %d connections, want 1", got)
			}
		})
	}
}

func TestEarlyAnswer(t *testing.T) {
	const tooLarge = "HTTP/1.1 413 Request Entity Too Large\r\nConnection: close\r\nContent-Length: 9\r\n\r\ntoo large"
	// More than loopback socket buffers take before the server reads.
	big := strings.Repeat("x", 8<<20)
	tests := []struct {
		name     string
		answer   string // to a large body, unread; then the server closes
		warm     bool   // a small request first, so that the large one reuses its connection
		wantErr  bool
		wantReqs int32
	}{
		{name: "new connection", answer: tooLarge, wantReqs: 1},
		{name: "reused connection", answer: tooLarge, warm: true, wantReqs: 2},
		{name: "no answer", wantErr: true, wantReqs: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Closing with the body unread resets the connection, which
			// fails the client's write.
			srv := newRawServer(t, func(s *rawServer, c net.Conn, br *bufio.Reader) {
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					s.reqs.Add(1)
					if req.ContentLength > 1<<20 {
						_, _ = io.WriteString(c, tt.answer)
						return
					}
					if _, err := io.Copy(io.Discard, req.Body); err != nil {
						return
					}
					_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
				}
			})
			tr := newTransport(t, Options{})
			if tt.warm {
				if _, body, err := post(context.Background(), tr, srv.url, "small"); err != nil || body != "ok" {
					t.Fatalf("first request: body %q, error %v", body, err)
				}
			}
			resp, body, err := post(context.Background(), tr, srv.url, big)
			switch {
			case tt.wantErr:
				if err == nil || !strings.Contains(err.Error(), ": write request: ") {
					t.Errorf("error = %v, want a write error", err)
				}
			case err != nil:
				t.Fatalf("RoundTrip: %v, want the early answer", err)
			default:
				if resp.StatusCode != http.StatusRequestEntityTooLarge || body != "too large" || !resp.Close {
					t.Errorf("response = %d %q, Close %v; want 413 %q, Close true", resp.StatusCode, body, resp.Close, "too large")
				}
			}
			if got := srv.reqs.Load(); got != tt.wantReqs {
				t.Errorf("server saw %d requests, want %d", got, tt.wantReqs)
			}
			if got := srv.conns.Load(); got != 1 {
				t.Errorf("server connections = %d, want 1", got)
			}
			if n := tr.pool.idleCount(srv.addr); n != 0 {
				t.Errorf("idle connections = %d, want 0", n)
			}
		})
	}
}

func TestConnectionClose(t *testing.T) {
	tests := []struct {
		name      string
		edit      func(r *http.Request)
		wantClose bool
	}{
		{"Close", func(r *http.Request) { r.Close = true }, true},
		{"header", func(r *http.Request) { r.Header.Set("Connection", "close") }, true},
		{"among other options", func(r *http.Request) { r.Header.Set("Connection", "x-opt,\tClose") }, true},
		{"in a second value", func(r *http.Request) { r.Header["Connection"] = []string{"x-opt", "close"} }, true},
		{"lower-case name", func(r *http.Request) { r.Header["connection"] = []string{"close"} }, true},
		{"keep-alive", func(r *http.Request) { r.Header.Set("Connection", "keep-alive") }, false},
		{"close in a longer option", func(r *http.Request) { r.Header.Set("Connection", "x-close") }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The server keeps every connection open: whether one is
			// reused is up to the client.
			var (
				mu   sync.Mutex // guards seen
				seen [][]string // the Connection field of each request
			)
			srv := newRawServer(t, func(s *rawServer, c net.Conn, br *bufio.Reader) {
				for {
					req, err := s.readRequest(br)
					if err != nil {
						return
					}
					mu.Lock()
					seen = append(seen, req.Header["Connection"])
					mu.Unlock()
					if _, err := io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"); err != nil {
						return
					}
				}
			})
			tr := newTransport(t, Options{})
			for i := range 2 {
				req, _ := http.NewRequest(http.MethodPost, srv.url, strings.NewReader("event"))
				tt.edit(req)
				resp, err := tr.RoundTrip(req)
				if err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
				if b, err := io.ReadAll(resp.Body); err != nil || string(b) != "ok" {
					t.Fatalf("request %d: body %q, %v", i, b, err)
				}
				resp.Body.Close()
			}
			var want []string
			wantConns := int32(1)
			if tt.wantClose {
				want, wantConns = []string{"close"}, 2
			}
			mu.Lock()
			defer mu.Unlock()
			for i, got := range seen {
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("request %d: Connection field (-want +got):\n%s", i, diff)
				}
			}
			if got := srv.conns.Load(); got != wantConns {
				t.Errorf("server connections = %d, want %d", got, wantConns)
			}
			if n := tr.pool.idleCount(srv.addr); tt.wantClose && n != 0 {
				t.Errorf("idle connections = %d, want 0", n)
			}
		})
	}
}

// hangOnFirst answers every request but the first on a server, which it
// leaves without an answer until the client goes. head is written before
// hanging.
func hangOnFirst(head string) rawHandler {
	return func(s *rawServer, c net.Conn, br *bufio.Reader) {
		for {
			if _, err := s.readRequest(br); err != nil {
				return
			}
			if s.reqs.Load() == 1 {
				_, _ = io.WriteString(c, head)
				hang(c)
				return
			}
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		}
	}
}

func TestContext(t *testing.T) {
	tests := []struct {
		name    string
		head    string // written before the server hangs
		inBody  bool   // the error comes from reading the body
		cancel  bool   // cancel after 50ms instead of a 50ms deadline
		wantErr error
	}{
		{name: "deadline before the head", wantErr: context.DeadlineExceeded},
		{name: "deadline in the head", head: "HTTP/1.1 200 OK\r\n", wantErr: context.DeadlineExceeded},
		{name: "deadline in the body", head: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", inBody: true, wantErr: context.DeadlineExceeded},
		{name: "deadline in a chunked body", head: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n", inBody: true, wantErr: context.DeadlineExceeded},
		{name: "cancel before the head", cancel: true, wantErr: context.Canceled},
		{name: "cancel in the body", head: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", inBody: true, cancel: true, wantErr: context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRawServer(t, hangOnFirst(tt.head))
			tr := newTransport(t, Options{})
			var (
				ctx    context.Context
				cancel context.CancelFunc
			)
			if tt.cancel {
				ctx, cancel = context.WithCancel(context.Background())
				time.AfterFunc(50*time.Millisecond, cancel)
			} else {
				ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
			}
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.url, strings.NewReader("event"))
			resp, err := tr.RoundTrip(req)
			if tt.inBody {
				if err != nil {
					t.Fatalf("RoundTrip: %v", err)
				}
				var b []byte
				b, err = io.ReadAll(resp.Body)
				if string(b) != "abc" {
					t.Errorf("body read = %q, want %q", b, "abc")
				}
				resp.Body.Close()
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want one wrapping %v", err, tt.wantErr)
			}
			// The hung connection is closed, not pooled.
			if n := tr.pool.idleCount(srv.addr); n != 0 {
				t.Errorf("idle connections = %d, want 0", n)
			}
			checkFor(t, 5*time.Second, func() error {
				if got := srv.finished.Load(); got != 1 {
					return fmt.Errorf("server saw %d connections end, want 1", got)
				}
				return nil
			})
			// The next request takes a new connection.
			if _, body, err := post(context.Background(), tr, srv.url, "again"); err != nil || body != "ok" {
				t.Fatalf("next request: body %q, error %v", body, err)
			}
			if got := srv.conns.Load(); got != 2 {
				t.Errorf("server connections = %d, want 2", got)
			}
		})
	}

	t.Run("done before", func(t *testing.T) {
		srv := newRawServer(t, respondEach("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false))
		tr := newTransport(t, Options{})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, _, err := post(ctx, tr, srv.url, "event"); !errors.Is(err, context.Canceled) {
			t.Errorf("error = %v, want one wrapping %v", err, context.Canceled)
		}
		if got := srv.conns.Load(); got != 0 {
			t.Errorf("server connections = %d, want 0", got)
		}
	})
	t.Run("deadline cleared in the pool", func(t *testing.T) {
		srv := newRawServer(t, respondEach("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false))
		tr := newTransport(t, Options{})
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		if _, _, err := post(ctx, tr, srv.url, "event"); err != nil {
			t.Fatalf("first request: %v", err)
		}
		<-ctx.Done()
		// The pooled connection must not carry the first request's deadline.
		if _, _, err := post(context.Background(), tr, srv.url, "event"); err != nil {
			t.Fatalf("second request: %v", err)
		}
		if got := srv.conns.Load(); got != 1 {
			t.Errorf("server connections = %d, want 1", got)
		}
	})
}

func TestBodyClose(t *testing.T) {
	tests := []struct {
		name      string
		resp      string
		read      int   // bytes read before Close
		wantConns int32 // after two requests
	}{
		{"small rest drained", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + strings.Repeat("x", 100), 10, 1},
		{"nothing read", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + strings.Repeat("x", 100), 0, 1},
		{"large rest", "HTTP/1.1 200 OK\r\nContent-Length: 102400\r\n\r\n" + strings.Repeat("x", 100<<10), 10, 2},
		{"chunked rest", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n", 3, 2},
		{"all read", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 5, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRawServer(t, respondEach(tt.resp, false))
			tr := newTransport(t, Options{})
			for i := range 2 {
				req, _ := http.NewRequest(http.MethodPost, srv.url, strings.NewReader("event"))
				resp, err := tr.RoundTrip(req)
				if err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
				if _, err := io.ReadFull(resp.Body, make([]byte, tt.read)); err != nil {
					t.Fatalf("request %d: read %d bytes: %v", i, tt.read, err)
				}
				if err := resp.Body.Close(); err != nil {
					t.Errorf("request %d: Close: %v", i, err)
				}
				if err := resp.Body.Close(); err != nil {
					t.Errorf("request %d: second Close: %v", i, err)
				}
				if _, err := resp.Body.Read(make([]byte, 1)); !errors.Is(err, errBodyClosed) {
					t.Errorf("request %d: Read after Close = %v, want %v", i, err, errBodyClosed)
				}
			}
			if got := srv.conns.Load(); got != tt.wantConns {
				t.Errorf("server connections = %d, want %d", got, tt.wantConns)
			}
		})
	}

	t.Run("small rest arriving late", func(t *testing.T) {
		more := make(chan struct{})
		srv := newRawServer(t, func(s *rawServer, c net.Conn, br *bufio.Reader) {
			if _, err := s.readRequest(br); err != nil {
				return
			}
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"+strings.Repeat("x", 10))
			<-more
			_, _ = io.WriteString(c, strings.Repeat("x", 90))
			respondEach("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false)(s, c, br)
		})
		tr := newTransport(t, Options{})
		req, _ := http.NewRequest(http.MethodPost, srv.url, strings.NewReader("event"))
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatalf("RoundTrip: %v", err)
		}
		if _, err := io.ReadFull(resp.Body, make([]byte, 10)); err != nil {
			t.Fatal(err)
		}
		close(more)
		resp.Body.Close()
		if _, body, err := post(context.Background(), tr, srv.url, "again"); err != nil || body != "ok" {
			t.Fatalf("next request: body %q, error %v", body, err)
		}
		if got := srv.conns.Load(); got != 1 {
			t.Errorf("server connections = %d, want 1", got)
		}
	})

	t.Run("small rest never arriving", func(t *testing.T) {
		srv := newRawServer(t, hangOnFirst("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"))
		tr := newTransport(t, Options{})
		req, _ := http.NewRequest(http.MethodPost, srv.url, strings.NewReader("event"))
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatalf("RoundTrip: %v", err)
		}
		start := time.Now()
		resp.Body.Close()
		if d := time.Since(start); d > 5*drainTimeout {
			t.Errorf("Close took %v, want about %v", d, drainTimeout)
		}
		if n := tr.pool.idleCount(srv.addr); n != 0 {
			t.Errorf("idle connections = %d, want 0", n)
		}
		checkFor(t, 5*time.Second, func() error {
			if got := srv.finished.Load(); got != 1 {
				return fmt.Errorf("server saw %d connections end, want 1", got)
			}
			return nil
		})
	})

	t.Run("during a read", func(t *testing.T) {
		srv := newRawServer(t, hangOnFirst("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"))
		tr := newTransport(t, Options{})
		req, _ := http.NewRequest(http.MethodPost, srv.url, strings.NewReader("event"))
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatalf("RoundTrip: %v", err)
		}
		b := resp.Body.(*body)
		errc := make(chan error, 1)
		go func() {
			if _, err := io.ReadFull(b, make([]byte, 3)); err != nil {
				errc <- err
				return
			}
			_, err := io.ReadAll(b) // blocks: the server sends no more
			errc <- err
		}()
		// Close once the second Read is under way.
		checkFor(t, 5*time.Second, func() error {
			b.mu.Lock()
			defer b.mu.Unlock()
			if !b.reading || b.r.remaining != 7 {
				return errors.New("no Read blocked yet")
			}
			return nil
		})
		resp.Body.Close()
		if err := <-errc; !errors.Is(err, errBodyClosed) {
			t.Errorf("read of a body closed under it: %v, want %v", err, errBodyClosed)
		}
		checkFor(t, 5*time.Second, func() error {
			if got := srv.finished.Load(); got != 1 {
				return fmt.Errorf("server saw %d connections end, want 1", got)
			}
			return nil
		})
	})
}

func TestDialError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	tr := newTransport(t, Options{DialTimeout: time.Second})
	_, _, err = post(context.Background(), tr, "http://"+addr, "e")
	if want := "post to " + addr + ": dial: "; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error = %v, want one starting %q", err, want)
	}
}

func TestFallback(t *testing.T) {
	tests := []struct {
		name string
		req  func(url string) *http.Request
	}{
		{"https", func(string) *http.Request {
			r, _ := http.NewRequest(http.MethodPost, "https://example.invalid/", strings.NewReader("e"))
			return r
		}},
		{"CONNECT", func(url string) *http.Request {
			r, _ := http.NewRequest(http.MethodConnect, url, nil)
			return r
		}},
		{"Upgrade", func(url string) *http.Request {
			r, _ := http.NewRequest(http.MethodGet, url, nil)
			r.Header.Set("Connection", "Upgrade")
			r.Header.Set("Upgrade", "websocket")
			return r
		}},
		{"trailers", func(url string) *http.Request {
			r, _ := http.NewRequest(http.MethodPost, url, strings.NewReader("e"))
			r.Trailer = http.Header{"X-Sum": nil}
			return r
		}},
		{"user info", func(url string) *http.Request {
			r, _ := http.NewRequest(http.MethodPost, strings.Replace(url, "://", "://u:p@", 1), strings.NewReader("e"))
			return r
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRawServer(t, respondEach("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false))
			fake := &fakeRoundTripper{}
			tr := newTransport(t, Options{Fallback: fake})
			req := tt.req(srv.url)
			resp, err := tr.RoundTrip(req)
			if err != nil {
				t.Fatalf("RoundTrip: %v", err)
			}
			resp.Body.Close()
			if resp.StatusCode != 299 {
				t.Errorf("StatusCode = %d, want the fallback's 299", resp.StatusCode)
			}
			fake.mu.Lock()
			defer fake.mu.Unlock()
			if len(fake.reqs) != 1 || fake.reqs[0] != req {
				t.Errorf("fallback got %d requests, want the one request", len(fake.reqs))
			}
			if got := srv.conns.Load(); got != 0 {
				t.Errorf("lean path connections = %d, want 0", got)
			}
		})
	}

	t.Run("default", func(t *testing.T) {
		tr := newTransport(t, Options{})
		ft, ok := tr.fallback.(*http.Transport)
		if !ok || ft == http.DefaultTransport {
			t.Errorf("fallback = %T %p, want a clone of http.DefaultTransport", tr.fallback, tr.fallback)
		}
	})
}

func TestCloseIdleConnections(t *testing.T) {
	srv := newRawServer(t, respondEach("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false))
	fake := &fakeRoundTripper{}
	tr := newTransport(t, Options{Fallback: fake})
	if _, _, err := post(context.Background(), tr, srv.url, "e"); err != nil {
		t.Fatal(err)
	}
	tr.CloseIdleConnections()
	if n := tr.pool.idleCount(srv.addr); n != 0 {
		t.Errorf("idle connections = %d, want 0", n)
	}
	fake.mu.Lock()
	if fake.closeIdle != 1 {
		t.Errorf("fallback CloseIdleConnections calls = %d, want 1", fake.closeIdle)
	}
	fake.mu.Unlock()
	if _, _, err := post(context.Background(), tr, srv.url, "e"); err != nil {
		t.Fatal(err)
	}
	if got := srv.conns.Load(); got != 2 {
		t.Errorf("server connections = %d, want 2", got)
	}
	checkFor(t, 5*time.Second, func() error {
		if got := srv.finished.Load(); got != 1 {
			return fmt.Errorf("server saw %d connections end, want 1", got)
		}
		return nil
	})
}

func TestIdleTimeout(t *testing.T) {
	srv := newRawServer(t, respondEach("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false))
	tr := newTransport(t, Options{IdleTimeout: 20 * time.Millisecond})
	if _, _, err := post(context.Background(), tr, srv.url, "e"); err != nil {
		t.Fatal(err)
	}
	checkFor(t, 5*time.Second, func() error {
		if n := tr.pool.idleCount(srv.addr); n != 0 {
			return fmt.Errorf("idle connections = %d, want 0", n)
		}
		if got := srv.finished.Load(); got != 1 {
			return fmt.Errorf("server saw %d connections end, want 1", got)
		}
		return nil
	})
}

func TestMaxIdlePerHost(t *testing.T) {
	const n = 5
	var (
		mu      sync.Mutex
		arrived int
		all     = make(chan struct{})
	)
	// Every request waits for the others, so that n connections are open.
	srv, opened, _ := serverConns(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		arrived++
		if arrived == n {
			close(all)
		}
		mu.Unlock()
		<-all
	}))
	tr := newTransport(t, Options{MaxIdlePerHost: 2})
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if _, _, err := post(context.Background(), tr, srv.URL, "e"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := opened.Load(); got != n {
		t.Errorf("server connections = %d, want %d", got, n)
	}
	if got := tr.pool.idleCount(srv.Listener.Addr().String()); got != 2 {
		t.Errorf("idle connections = %d, want 2", got)
	}
}

func TestClose(t *testing.T) {
	srv := newRawServer(t, respondEach("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false))
	tr := New(Options{})
	req, _ := http.NewRequest(http.MethodPost, srv.url, strings.NewReader("e"))
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	tr.Close()
	tr.Close()
	// A response in flight at Close finishes, and its connection is not
	// kept.
	if b, err := io.ReadAll(resp.Body); err != nil || string(b) != "ok" {
		t.Errorf("body = %q, %v; want %q", b, err, "ok")
	}
	resp.Body.Close()
	if n := tr.pool.idleCount(srv.addr); n != 0 {
		t.Errorf("idle connections after Close = %d, want 0", n)
	}
}

func TestHostPort(t *testing.T) {
	tests := []struct {
		host, want string
	}{
		{"example.com", "example.com:80"},
		{"example.com:8080", "example.com:8080"},
		{"example.com:", "example.com:80"},
		{"10.0.0.1", "10.0.0.1:80"},
		{"[::1]", "[::1]:80"},
		{"[::1]:8080", "[::1]:8080"},
		{"[fe80::1%eth0]", "[fe80::1%eth0]:80"},
	}
	for _, tt := range tests {
		got, err := hostPort(tt.host)
		if err != nil || got != tt.want {
			t.Errorf("hostPort(%q) = %q, %v; want %q", tt.host, got, err, tt.want)
		}
	}
	if _, err := hostPort(""); !errors.Is(err, errNoHost) {
		t.Errorf("hostPort(\"\") error = %v, want %v", err, errNoHost)
	}
}
