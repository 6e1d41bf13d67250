package sender

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// rawServer is a TCP server whose connections tests serve by hand, for
// framings and failures that net/http's server does not produce.
type rawServer struct {
	ln   net.Listener
	addr string
	url  string

	conns    atomic.Int32 // connections accepted
	finished atomic.Int32 // connections whose handler returned
	reqs     atomic.Int32 // requests read by readRequest

	mu   sync.Mutex // guards open
	open []net.Conn
	wg   sync.WaitGroup // the accept loop and the handlers
}

// rawHandler serves one connection; br reads from c.
type rawHandler func(s *rawServer, c net.Conn, br *bufio.Reader)

// newRawServer starts a server on a random local port; it is closed, and
// its goroutines waited for, when the test ends.
func newRawServer(t testing.TB, h rawHandler) *rawServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	s := &rawServer{ln: ln, addr: ln.Addr().String()}
	s.url = "http://" + s.addr
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.conns.Add(1)
			s.mu.Lock()
			s.open = append(s.open, c)
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer s.finished.Add(1)
				defer c.Close()
				h(s, c, bufio.NewReader(c))
			}()
		}
	}()
	t.Cleanup(s.close)
	return s
}

// close stops the server, cuts every connection and waits for the handlers.
func (s *rawServer) close() {
	_ = s.ln.Close()
	s.mu.Lock()
	for _, c := range s.open {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// readRequest reads one request, body included, and counts it.
func (s *rawServer) readRequest(br *bufio.Reader) (*http.Request, error) {
	req, err := http.ReadRequest(br)
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(io.Discard, req.Body); err != nil {
		return nil, err
	}
	s.reqs.Add(1)
	return req, nil
}

// respondEach answers every request on a connection with resp, and closes
// the connection after the first when closeAfter.
func respondEach(resp string, closeAfter bool) rawHandler {
	return func(s *rawServer, c net.Conn, br *bufio.Reader) {
		for {
			if _, err := s.readRequest(br); err != nil {
				return
			}
			if _, err := io.WriteString(c, resp); err != nil || closeAfter {
				return
			}
		}
	}
}

// hang waits until the client closes c.
func hang(c net.Conn) { _, _ = io.Copy(io.Discard, c) }

// newTransport returns a Transport closed when the test ends.
func newTransport(t testing.TB, opts Options) *Transport {
	t.Helper()
	tr := New(opts)
	t.Cleanup(tr.Close)
	return tr
}

// post sends body to url through rt and returns the response with its body
// read and closed.
func post(ctx context.Context, rt http.RoundTripper, url, body string) (*http.Response, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return nil, "", err
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, string(b), err
}

// checkFor polls f until it returns nil, and fails the test when it still
// does not after timeout.
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

// fakeRoundTripper records the requests it gets, as a fallback.
type fakeRoundTripper struct {
	mu        sync.Mutex // guards the fields below
	reqs      []*http.Request
	closeIdle int
}

func (f *fakeRoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = append(f.reqs, req)
	return &http.Response{StatusCode: 299, Body: http.NoBody, Request: req}, nil
}

func (f *fakeRoundTripper) CloseIdleConnections() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closeIdle++
}

// closeRecorder is a request body that remembers being closed.
type closeRecorder struct {
	io.Reader
	closed atomic.Bool
}

func (c *closeRecorder) Close() error {
	c.closed.Store(true)
	return nil
}
