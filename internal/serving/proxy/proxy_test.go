package proxy

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// paths are the two ways an HTTP/1.1 request can go: every behaviour test
// runs on both, as a conformance suite.
var paths = []struct {
	name string
	fast bool
}{
	{"fast", true},
	{"nethttp", false},
}

// forEachPath runs f once per forwarding path.
func forEachPath(t *testing.T, f func(t *testing.T, fast bool)) {
	for _, p := range paths {
		t.Run(p.name, func(t *testing.T) { f(t, p.fast) })
	}
}

// rig is a backend behind a front server whose handler calls Forward.
type rig struct {
	proxy   *Proxy
	backend *httptest.Server
	front   *httptest.Server

	mu     sync.Mutex
	errs   []error // what Forward returned
	panics int     // Forward cut a stream
}

func newRig(t *testing.T, fast bool, backend http.Handler, opts Options) *rig {
	t.Helper()
	rg := &rig{proxy: New(slog.New(slog.DiscardHandler))}
	rg.proxy.noFastPath = !fast
	rg.backend = httptest.NewServer(backend)
	addr := rg.backend.Listener.Addr().String()
	rg.front = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				rg.mu.Lock()
				rg.panics++
				rg.mu.Unlock()
				panic(v)
			}
		}()
		err := rg.proxy.Forward(w, r, addr, opts)
		rg.mu.Lock()
		rg.errs = append(rg.errs, err)
		rg.mu.Unlock()
	}))
	t.Cleanup(func() {
		rg.front.CloseClientConnections()
		rg.front.Close()
		rg.backend.CloseClientConnections()
		rg.backend.Close()
		rg.proxy.Close()
	})
	return rg
}

func (rg *rig) url() string { return rg.front.URL }

func (rg *rig) lastErr() error {
	rg.mu.Lock()
	defer rg.mu.Unlock()
	if len(rg.errs) == 0 {
		return nil
	}
	return rg.errs[len(rg.errs)-1]
}

func (rg *rig) cuts() int {
	rg.mu.Lock()
	defer rg.mu.Unlock()
	return rg.panics
}

// checkFor polls f until it returns nil or timeout passes.
func checkFor(t testing.TB, timeout time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %v", timeout, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// rawExchange sends raw request bytes to addr and parses one response.
func rawExchange(t *testing.T, addr, req string) (*http.Response, []byte) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp, body
}

func hostOf(u string) string { return strings.TrimPrefix(u, "http://") }

func TestRequestHeaders(t *testing.T) {
	type seen struct {
		host   string
		header http.Header
	}
	tests := []struct {
		name string
		req  string // header lines after the request line and Host
		want map[string][]string
		gone []string
	}{
		{
			name: "hop-by-hop removed",
			req: "Connection: keep-alive, X-Conn-Listed\r\nX-Conn-Listed: 1\r\nKeep-Alive: timeout=5\r\n" +
				"Proxy-Authorization: Basic Zm9vOmJhcg==\r\nProxy-Connection: keep-alive\r\nTe: gzip\r\nTrailer: X-T\r\n" +
				"Upgrade: h2c\r\nX-Keep: yes\r\n",
			want: map[string][]string{"X-Keep": {"yes"}},
			gone: []string{"Connection", "X-Conn-Listed", "Keep-Alive", "Proxy-Authorization", "Proxy-Connection", "Te", "Trailer", "Upgrade"},
		},
		{
			name: "TE trailers kept",
			req:  "Te: trailers, deflate;q=0.5\r\n",
			want: map[string][]string{"Te": {"trailers"}},
		},
		{
			name: "forwarded headers set",
			req:  "",
			want: map[string][]string{
				"X-Forwarded-For":   {"127.0.0.1"},
				"X-Forwarded-Proto": {"http"},
				"X-Forwarded-Host":  {"hello.default.example.com"},
				"Forwarded":         {`for=127.0.0.1;host=hello.default.example.com;proto=http`},
			},
		},
		{
			name: "forwarded headers appended",
			req: "X-Forwarded-For: 203.0.113.7\r\nX-Forwarded-For: 10.0.0.1\r\nForwarded: for=203.0.113.7;proto=https\r\n" +
				"X-Forwarded-Proto: https\r\nX-Forwarded-Host: evil.example\r\n",
			want: map[string][]string{
				"X-Forwarded-For":   {"203.0.113.7, 10.0.0.1, 127.0.0.1"},
				"X-Forwarded-Proto": {"http"},
				"X-Forwarded-Host":  {"hello.default.example.com"},
				"Forwarded":         {`for=203.0.113.7;proto=https, for=127.0.0.1;host=hello.default.example.com;proto=http`},
			},
		},
		{
			name: "end-to-end headers and repeats kept",
			req:  "Accept: a/b\r\nX-Multi: 1\r\nX-Multi: 2\r\nCookie: a=1\r\n",
			want: map[string][]string{"Accept": {"a/b"}, "X-Multi": {"1", "2"}, "Cookie": {"a=1"}},
			gone: []string{"User-Agent"},
		},
	}
	forEachPath(t, func(t *testing.T, fast bool) {
		got := make(chan seen, 1)
		rg := newRig(t, fast, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got <- seen{r.Host, r.Header.Clone()}
		}), Options{})
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp, _ := rawExchange(t, hostOf(rg.url()),
					"GET /p/a%2Fb?q=1&r=%20 HTTP/1.1\r\nHost: hello.default.example.com\r\n"+tt.req+"\r\n")
				if resp.StatusCode != 200 {
					t.Fatalf("status = %d, want 200", resp.StatusCode)
				}
				s := <-got
				if s.host != "hello.default.example.com" {
					t.Errorf("backend Host = %q, want the client's", s.host)
				}
				for k, want := range tt.want {
					if diff := cmp.Diff(want, s.header[k]); diff != "" {
						t.Errorf("backend header %s (-want +got):\n%s", k, diff)
					}
				}
				for _, k := range tt.gone {
					if v, ok := s.header[k]; ok {
						t.Errorf("backend header %s = %q, want none", k, v)
					}
				}
			})
		}
	})
}

func TestRequestURI(t *testing.T) {
	forEachPath(t, func(t *testing.T, fast bool) {
		got := make(chan string, 1)
		rg := newRig(t, fast, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got <- r.RequestURI
		}), Options{})
		for _, uri := range []string{"/", "/p/a%2Fb?q=1&r=%20", "/x?", "/%E2%82%AC/y"} {
			resp, _ := rawExchange(t, hostOf(rg.url()), "GET "+uri+" HTTP/1.1\r\nHost: h\r\n\r\n")
			if resp.StatusCode != 200 {
				t.Fatalf("GET %s: status %d", uri, resp.StatusCode)
			}
			want := uri
			if uri == "/x?" && !fast {
				want = "/x" // net/http drops an empty query
			}
			if g := <-got; g != want && !(uri == "/x?" && g == "/x") {
				t.Errorf("backend RequestURI = %q, want %q", g, want)
			}
		}
	})
}

func TestResponseHeaders(t *testing.T) {
	forEachPath(t, func(t *testing.T, fast bool) {
		rg := newRig(t, fast, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Set("Connection", "X-Resp-Listed")
			h.Set("X-Resp-Listed", "1")
			h.Set("Keep-Alive", "timeout=5")
			h.Set("Proxy-Authenticate", "Basic")
			h.Add("Set-Cookie", "a=1")
			h.Add("Set-Cookie", "b=2")
			h.Set("X-App", "yes")
			w.WriteHeader(http.StatusTeapot)
			_, _ = io.WriteString(w, "short and stout")
		}), Options{})
		resp, body := rawExchange(t, hostOf(rg.url()), "GET / HTTP/1.1\r\nHost: h\r\n\r\n")
		if resp.StatusCode != http.StatusTeapot || string(body) != "short and stout" {
			t.Fatalf("got %d %q", resp.StatusCode, body)
		}
		for _, k := range []string{"X-Resp-Listed", "Keep-Alive", "Proxy-Authenticate"} {
			if v, ok := resp.Header[k]; ok {
				t.Errorf("client saw %s = %q, want none", k, v)
			}
		}
		if diff := cmp.Diff([]string{"a=1", "b=2"}, resp.Header["Set-Cookie"]); diff != "" {
			t.Errorf("Set-Cookie (-want +got):\n%s", diff)
		}
		if resp.Header.Get("X-App") != "yes" || resp.ContentLength != int64(len("short and stout")) {
			t.Errorf("X-App = %q, Content-Length = %d", resp.Header.Get("X-App"), resp.ContentLength)
		}
	})
}

// echo answers with the request body, and its length and digest in headers.
var echo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	h := sha256.New()
	b, err := io.ReadAll(io.TeeReader(r.Body, h))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("X-Len", fmt.Sprint(len(b)))
	w.Header().Set("X-Sum", fmt.Sprintf("%x", h.Sum(nil)))
	w.Header().Set("X-Te", fmt.Sprint(r.TransferEncoding))
	_, _ = w.Write(b)
})

func TestBodies(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 5<<20/16) // 5 MiB
	tests := []struct {
		name    string
		method  string
		body    []byte
		chunked bool // the client sends it with unknown length
		wantTE  string
	}{
		{"empty GET", "GET", nil, false, "[]"},
		{"small POST", "POST", []byte(`{"specversion":"1.0"}`), false, "[]"},
		{"32 KiB POST", "POST", big[:32<<10], false, "[]"},
		{"large POST", "PUT", big, false, "[]"},
		{"chunked POST", "POST", big[:100000], true, "[chunked]"},
		{"empty chunked POST", "POST", []byte{}, true, "[chunked]"},
	}
	forEachPath(t, func(t *testing.T, fast bool) {
		rg := newRig(t, fast, echo, Options{})
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var body io.Reader = bytes.NewReader(tt.body)
				if tt.chunked {
					body = io.MultiReader(body) // hides the length
				}
				if tt.body == nil {
					body = nil
				}
				req, _ := http.NewRequest(tt.method, rg.url(), body)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				got, err := io.ReadAll(resp.Body)
				if err != nil {
					t.Fatal(err)
				}
				if resp.StatusCode != 200 || !bytes.Equal(got, tt.body) {
					t.Fatalf("status %d, body of %d bytes, want 200 and the %d sent", resp.StatusCode, len(got), len(tt.body))
				}
				if g := resp.Header.Get("X-Te"); g != tt.wantTE && !(tt.chunked && len(tt.body) == 0) {
					t.Errorf("backend TransferEncoding = %s, want %s", g, tt.wantTE)
				}
			})
		}
	})
}

func TestResponseBodies(t *testing.T) {
	big := bytes.Repeat([]byte("fedcba9876543210"), 3<<20/16)
	forEachPath(t, func(t *testing.T, fast bool) {
		rg := newRig(t, fast, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/fixed":
				w.Header().Set("Content-Length", fmt.Sprint(len(big)))
				_, _ = w.Write(big)
			case "/chunked":
				for i := 0; i < len(big); i += 100000 {
					_, _ = w.Write(big[i:min(i+100000, len(big))])
					w.(http.Flusher).Flush()
				}
			case "/empty":
				w.WriteHeader(http.StatusNoContent)
			case "/head":
				w.Header().Set("Content-Length", "1234")
			}
		}), Options{})
		for _, path := range []string{"/fixed", "/chunked"} {
			resp, err := http.Get(rg.url() + path)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || !bytes.Equal(got, big) {
				t.Errorf("GET %s: %d bytes, err %v; want %d bytes", path, len(got), err, len(big))
			}
			if path == "/fixed" && resp.ContentLength != int64(len(big)) {
				t.Errorf("GET %s: Content-Length %d, want %d", path, resp.ContentLength, len(big))
			}
		}
		resp, err := http.Get(rg.url() + "/empty")
		if err != nil || resp.StatusCode != http.StatusNoContent {
			t.Fatalf("GET /empty: %v %v", resp, err)
		}
		resp.Body.Close()
		resp, err = http.Head(rg.url() + "/head")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.ContentLength != 1234 {
			t.Errorf("HEAD: Content-Length %d, want 1234", resp.ContentLength)
		}
		// The connection is still good after a HEAD: the next request works.
		resp, err = http.Get(rg.url() + "/fixed")
		if err != nil {
			t.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if n != int64(len(big)) {
			t.Errorf("GET after HEAD: %d bytes", n)
		}
	})
}

func TestResponseTrailers(t *testing.T) {
	forEachPath(t, func(t *testing.T, fast bool) {
		rg := newRig(t, fast, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Trailer", "X-Checksum")
			_, _ = io.WriteString(w, "data")
			w.(http.Flusher).Flush()
			w.Header().Set("X-Checksum", "abc")
			w.Header().Set(http.TrailerPrefix+"X-Late", "undeclared")
		}), Options{})
		resp, err := http.Get(rg.url())
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != "data" {
			t.Errorf("body = %q", body)
		}
		if resp.Trailer.Get("X-Checksum") != "abc" || resp.Trailer.Get("X-Late") != "undeclared" {
			t.Errorf("trailers = %v, want X-Checksum and X-Late", resp.Trailer)
		}
	})
}

func TestStreamingFlush(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
	}{
		{"chunked", "application/octet-stream"},
		{"event stream", "text/event-stream"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachPath(t, func(t *testing.T, fast bool) {
				release := make(chan struct{})
				rg := newRig(t, fast, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", tt.contentType)
					_, _ = io.WriteString(w, "data: first\n\n")
					w.(http.Flusher).Flush()
					<-release
					_, _ = io.WriteString(w, "data: second\n\n")
				}), Options{})
				defer close(release)
				resp, err := http.Get(rg.url())
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				br := bufio.NewReader(resp.Body)
				got := make(chan string, 1)
				go func() {
					line, _ := br.ReadString('\n')
					got <- line
				}()
				select {
				case line := <-got:
					if line != "data: first\n" {
						t.Errorf("first line = %q", line)
					}
				case <-time.After(5 * time.Second):
					t.Fatal("first event did not arrive before the backend finished")
				}
			})
		})
	}
}

// errBackend is a backend that fails in a given way.
func closingBackend(t *testing.T, how string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			br := bufio.NewReader(c)
			if _, err := http.ReadRequest(br); err != nil {
				c.Close()
				continue
			}
			switch how {
			case "reset":
				c.(*net.TCPConn).SetLinger(0)
			case "garbage":
				_, _ = io.WriteString(c, "SPDY/9 what\r\n\r\n")
			case "half":
				_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly some")
			}
			c.Close()
		}
	}()
	return ln.Addr().String()
}

func TestBackendFailures(t *testing.T) {
	refused := func(t *testing.T) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		return addr
	}
	tests := []struct {
		name      string
		addr      func(t *testing.T) string
		wantCode  int
		retryable bool
	}{
		{"refused", refused, http.StatusBadGateway, true},
		{"reset", func(t *testing.T) string { return closingBackend(t, "reset") }, http.StatusBadGateway, false},
		{"closed", func(t *testing.T) string { return closingBackend(t, "close") }, http.StatusBadGateway, false},
		{"garbage", func(t *testing.T) string { return closingBackend(t, "garbage") }, http.StatusBadGateway, false},
	}
	forEachPath(t, func(t *testing.T, fast bool) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				p := New(nil)
				p.noFastPath = !fast
				defer p.Close()
				addr := tt.addr(t)
				w := httptest.NewRecorder()
				r := httptest.NewRequest("GET", "http://hello.default.example.com/", nil)
				err := p.Forward(w, r, addr, Options{})
				var pe *Error
				if !errors.As(err, &pe) {
					t.Fatalf("Forward = %v, want *Error", err)
				}
				if pe.Started || pe.Status != tt.wantCode || pe.Retryable() != tt.retryable {
					t.Errorf("Error = %+v (retryable %t), want status %d, not started, retryable %t", pe, pe.Retryable(), tt.wantCode, tt.retryable)
				}
				if w.Code != tt.wantCode || w.Header().Get("Content-Type") != "text/plain; charset=utf-8" || w.Body.String() != "bad gateway\n" {
					t.Errorf("response = %d %q %q, want %d bad gateway", w.Code, w.Header().Get("Content-Type"), w.Body, tt.wantCode)
				}

				// With NoErrorResponse nothing is written: the caller may retry.
				w = httptest.NewRecorder()
				err = p.Forward(w, r, addr, Options{NoErrorResponse: true})
				if err == nil || w.Body.Len() != 0 || len(w.Header()) != 0 {
					t.Errorf("NoErrorResponse: err %v, wrote %q %v", err, w.Body, w.Header())
				}
			})
		}
	})
}

func TestBackendBreaksMidResponse(t *testing.T) {
	forEachPath(t, func(t *testing.T, fast bool) {
		addr := closingBackend(t, "half")
		p := New(nil)
		p.noFastPath = !fast
		defer p.Close()
		front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_ = p.Forward(w, r, addr, Options{})
		}))
		defer front.Close()
		// The cut may come before the buffered headers left the server.
		resp, err := http.Get(front.URL)
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		if err == nil {
			t.Error("reading a cut response succeeded, want an error")
		}
	})
}

func TestStaleKeepAliveRetried(t *testing.T) {
	// A backend that closes each connection after one response without
	// saying so, as one does whose idle timeout ran out.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				req, err := http.ReadRequest(br)
				if err != nil {
					return
				}
				b, _ := io.ReadAll(req.Body)
				fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(b)+2, "ok"+string(b))
			}()
		}
	}()
	p := New(nil)
	defer p.Close()
	for i, method := range []string{"GET", "GET", "POST", "DELETE"} {
		w := httptest.NewRecorder()
		var body io.Reader
		if method == "POST" {
			body = strings.NewReader("!")
		}
		r := httptest.NewRequest(method, "http://h/", body)
		time.Sleep(20 * time.Millisecond) // let the close reach us
		if err := p.Forward(w, r, ln.Addr().String(), Options{}); err != nil || w.Code != 200 {
			t.Fatalf("request %d (%s): %v, status %d", i, method, err, w.Code)
		}
	}
}

func TestTimeouts(t *testing.T) {
	slowHeaders := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
	})
	// quietStream sends one chunk, then nothing for a long time.
	quietStream := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "first")
		w.(http.Flusher).Flush()
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
	})
	// busyStream sends a chunk every 10 ms for a long time.
	busyStream := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < 200; i++ {
			if _, err := io.WriteString(w, "tick\n"); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-time.After(10 * time.Millisecond):
			case <-r.Context().Done():
				return
			}
		}
	})
	tests := []struct {
		name     string
		backend  http.Handler
		opts     Options
		wantCode int   // 0: the stream is cut after the headers
		wantErr  error // from Forward, when it returns
	}{
		{"response start", slowHeaders, Options{ResponseStartTimeout: 50 * time.Millisecond}, http.StatusGatewayTimeout, ErrResponseStartTimeout},
		{"whole request before headers", slowHeaders, Options{Timeout: 50 * time.Millisecond}, http.StatusGatewayTimeout, ErrTimeout},
		{"idle", quietStream, Options{IdleTimeout: 50 * time.Millisecond}, 0, nil},
		{"whole request after headers", busyStream, Options{Timeout: 100 * time.Millisecond, IdleTimeout: time.Second}, 0, nil},
		{"start timeout not applied to the body", busyStream, Options{ResponseStartTimeout: 20 * time.Millisecond, Timeout: 150 * time.Millisecond}, 0, nil},
	}
	forEachPath(t, func(t *testing.T, fast bool) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				rg := newRig(t, fast, tt.backend, tt.opts)
				start := time.Now()
				resp, err := http.Get(rg.url())
				if err != nil {
					t.Fatal(err)
				}
				body, rerr := io.ReadAll(resp.Body)
				resp.Body.Close()
				el := time.Since(start)
				if el > time.Second {
					t.Errorf("took %v, want the limit to end it", el)
				}
				if tt.wantCode != 0 {
					if resp.StatusCode != tt.wantCode || string(body) != "gateway timeout\n" {
						t.Errorf("got %d %q, want %d", resp.StatusCode, body, tt.wantCode)
					}
					if err := rg.lastErr(); !errors.Is(err, tt.wantErr) {
						t.Errorf("Forward = %v, want %v", err, tt.wantErr)
					}
					return
				}
				if resp.StatusCode != 200 || rerr == nil {
					t.Errorf("got %d, body %q, read error %v; want 200 and a cut stream", resp.StatusCode, body, rerr)
				}
				if !bytes.HasPrefix(body, []byte("first")) && !bytes.HasPrefix(body, []byte("tick")) {
					t.Errorf("body %q, want what came before the cut", body)
				}
				checkFor(t, time.Second, func() error {
					if rg.cuts() == 0 {
						return errors.New("Forward did not cut the stream")
					}
					return nil
				})
			})
		}
	})
}

func TestClientCancelPropagates(t *testing.T) {
	forEachPath(t, func(t *testing.T, fast bool) {
		for _, stage := range []string{"before headers", "during body"} {
			t.Run(stage, func(t *testing.T) {
				arrived := make(chan struct{}, 1)
				cancelled := make(chan struct{}, 1)
				rg := newRig(t, fast, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if stage == "during body" {
						_, _ = io.WriteString(w, "x")
						w.(http.Flusher).Flush()
					}
					arrived <- struct{}{}
					select {
					case <-r.Context().Done():
						cancelled <- struct{}{}
					case <-time.After(10 * time.Second):
					}
				}), Options{})
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				req, _ := http.NewRequestWithContext(ctx, "GET", rg.url(), nil)
				errc := make(chan error, 1)
				go func() {
					resp, err := http.DefaultClient.Do(req)
					if err == nil {
						_, err = io.ReadAll(resp.Body)
						resp.Body.Close()
					}
					errc <- err
				}()
				<-arrived
				cancel()
				select {
				case <-cancelled:
				case <-time.After(3 * time.Second):
					t.Fatal("backend request not cancelled after the client went away")
				}
				<-errc
				checkFor(t, 2*time.Second, func() error {
					err := rg.lastErr()
					if stage == "before headers" && !errors.Is(err, ErrClientGone) {
						return fmt.Errorf("Forward = %v, want ErrClientGone", err)
					}
					if stage == "during body" && err == nil && rg.cuts() == 0 {
						return errors.New("Forward still running")
					}
					return nil
				})
			})
		}
	})
}

func TestConnectionsReused(t *testing.T) {
	forEachPath(t, func(t *testing.T, fast bool) {
		var mu sync.Mutex
		conns := map[string]bool{}
		rg := newRig(t, fast, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			conns[r.RemoteAddr] = true
			mu.Unlock()
			_, _ = io.Copy(io.Discard, r.Body)
			_, _ = io.WriteString(w, "ok")
		}), Options{Timeout: time.Minute})
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
		for i := range 50 {
			var body io.Reader
			if i%2 == 1 {
				body = strings.NewReader("payload")
			}
			resp, err := client.Post(rg.url(), "text/plain", body)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		mu.Lock()
		defer mu.Unlock()
		if len(conns) != 1 {
			t.Errorf("50 sequential requests used %d backend connections, want 1", len(conns))
		}
	})
}

func TestDialFailureLeavesBodyForRetry(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	forEachPath(t, func(t *testing.T, fast bool) {
		p := New(nil)
		p.noFastPath = !fast
		defer p.Close()
		r := httptest.NewRequest("POST", "http://h/", strings.NewReader("the event"))
		w := httptest.NewRecorder()
		err := p.Forward(w, r, addr, Options{NoErrorResponse: true})
		var pe *Error
		if !errors.As(err, &pe) || !pe.Retryable() {
			t.Fatalf("Forward = %v, want a retryable *Error", err)
		}
		if b, _ := io.ReadAll(r.Body); string(b) != "the event" {
			t.Errorf("body left = %q, want all of it", b)
		}
	})
}

func TestDeadlinesDoNotOutliveTheirRequest(t *testing.T) {
	var mu sync.Mutex
	conns := map[string]bool{}
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		conns[r.RemoteAddr] = true
		mu.Unlock()
		echo(w, r)
	}))
	defer backend.Close()
	p := New(nil)
	defer p.Close()
	addr := backend.Listener.Addr().String()
	big := strings.Repeat("b", 100<<10) // streamed, so it sets a write deadline
	for i, tc := range []struct {
		body string
		opts Options
	}{
		{big, Options{Timeout: 100 * time.Millisecond, IdleTimeout: 50 * time.Millisecond}},
		{"small", Options{}},
		{big, Options{}},
		{"", Options{}},
	} {
		if i > 0 {
			time.Sleep(150 * time.Millisecond) // past the first request's limits
		}
		w := httptest.NewRecorder()
		r := httptest.NewRequest("POST", "http://h/", strings.NewReader(tc.body))
		if err := p.Forward(w, r, addr, tc.opts); err != nil || w.Code != 200 || w.Body.String() != tc.body {
			t.Fatalf("request %d: %v, status %d, %d bytes", i, err, w.Code, w.Body.Len())
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(conns) != 1 {
		t.Errorf("used %d connections, want 1 reused throughout", len(conns))
	}
}

func TestIdleTimeoutMovesWithEveryRead(t *testing.T) {
	// Each write ends inside the next chunk's header, so reads block with
	// bytes already buffered; data keeps coming every 40 ms, well inside the
	// 100 ms idle limit, for longer than the limit. (The fast path: the
	// net/http one moves a timer after every read.)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		if _, err := http.ReadRequest(bufio.NewReader(c)); err != nil {
			return
		}
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2")
		for range 8 {
			time.Sleep(40 * time.Millisecond)
			_, _ = io.WriteString(c, "\r\nab\r\n2")
		}
		time.Sleep(40 * time.Millisecond)
		_, _ = io.WriteString(c, "\r\nab\r\n0\r\n\r\n")
	}()
	{
		p := New(nil)
		defer p.Close()
		front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_ = p.Forward(w, r, ln.Addr().String(), Options{IdleTimeout: 100 * time.Millisecond})
		}))
		defer front.Close()
		resp, err := http.Get(front.URL)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || string(body) != strings.Repeat("ab", 9) {
			t.Errorf("body %q, err %v; want 9 x ab, uncut", body, err)
		}
	}
}
