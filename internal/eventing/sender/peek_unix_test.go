//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris

package sender

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"
)

// waitInput waits until bytes or the end of the stream are there to read
// on c, without reading them: the netpoller wakes it, and a blocking-style
// MSG_PEEK looks.
func waitInput(t *testing.T, c net.Conn) {
	t.Helper()
	sc, ok := c.(syscall.Conn)
	if !ok {
		t.Fatalf("%T has no file descriptor", c)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	defer c.SetReadDeadline(time.Time{})
	var buf [1]byte
	err = rc.Read(func(fd uintptr) bool {
		_, _, err := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK)
		return err != syscall.EAGAIN && err != syscall.EWOULDBLOCK
	})
	if err != nil {
		t.Fatalf("wait for input: %v", err)
	}
}

// idleConn returns the most recent idle connection to addr.
func idleConn(t *testing.T, tr *Transport, addr string) *conn {
	t.Helper()
	tr.pool.mu.Lock()
	defer tr.pool.mu.Unlock()
	l := tr.pool.idle[addr]
	if len(l) == 0 {
		t.Fatalf("no idle connection to %s", addr)
	}
	return l[len(l)-1]
}

// tcpPair returns the two ends of a loopback TCP connection.
func tcpPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err = ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

func TestPeekerClean(t *testing.T) {
	tests := []struct {
		name string
		// act does something to the connection's ends; it reports whether
		// to wait for input on the client end afterwards.
		act      func(client, server net.Conn) (wait bool)
		want     bool
		wantRead string // read on the client end after clean: looking takes nothing
	}{
		{name: "nothing sent", act: func(net.Conn, net.Conn) bool { return false }, want: true},
		{name: "bytes", act: func(_, server net.Conn) bool {
			_, _ = io.WriteString(server, "HTTP/1.0 408 Request Time-out\r\n\r\n")
			return true
		}, wantRead: "HTTP/1.0 408 Request Time-out\r\n\r\n"},
		{name: "closed by the server", act: func(_, server net.Conn) bool { server.Close(); return true }},
		{name: "closed here", act: func(client, _ net.Conn) bool { client.Close(); return false }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client, server := tcpPair(t)
			var p peeker
			p.init(client)
			if tt.act(client, server) {
				waitInput(t, client)
			}
			if got := p.clean(); got != tt.want {
				t.Errorf("clean() = %v, want %v", got, tt.want)
			}
			if tt.wantRead != "" {
				b := make([]byte, len(tt.wantRead))
				if _, err := io.ReadFull(client, b); err != nil || string(b) != tt.wantRead {
					t.Errorf("read after clean() = %q, %v; want %q", b, err, tt.wantRead)
				}
			}
		})
	}

	t.Run("no file descriptor", func(t *testing.T) {
		a, b := net.Pipe()
		defer a.Close()
		defer b.Close()
		var p peeker
		p.init(a)
		if !p.clean() {
			t.Error("clean() = false on a net.Pipe, want true")
		}
	})
}

func TestPoolGetSkipsDirty(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	p := newPool(&net.Dialer{}, 10, time.Hour)
	defer p.closeIdle(true)

	var conns [2]*conn
	var fars [2]net.Conn
	for i := range conns {
		c, err := p.dial(context.Background(), addr)
		if err != nil {
			t.Fatal(err)
		}
		far, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		defer far.Close()
		conns[i], fars[i] = c, far
		p.put(c)
	}
	// The most recent has a stray byte; the older one is clean.
	_, _ = io.WriteString(fars[1], "x")
	waitInput(t, conns[1].nc)

	got, err := p.get(context.Background(), addr)
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if got != conns[0] {
		t.Errorf("get = %p, want the clean idle connection %p", got, conns[0])
	}
	got.close()
	if !closedSoon(fars[1]) {
		t.Error("the connection with a stray byte was not closed")
	}
	if n := p.idleCount(addr); n != 0 {
		t.Errorf("idle = %d, want 0", n)
	}
}

// TestIdleConnectionInput covers what a server sends on a connection while
// it idles in the pool: that is no answer to the next request, which goes
// on a fresh connection.
func TestIdleConnectionInput(t *testing.T) {
	const first = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
	tests := []struct {
		name      string
		idle      string // sent on the first connection once it is idle
		closeIdle bool   // and the server closes it then
		next      string // the answer to every later request
		want      int
		wantBody  string
	}{{
		name:      "HAProxy idle timeout",
		idle:      "HTTP/1.0 408 Request Time-out\r\nConnection: close\r\n\r\n",
		closeIdle: true,
		next:      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfresh",
		want:      http.StatusOK,
		wantBody:  "fresh",
	}, {
		name:     "first request answered twice",
		idle:     "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstray",
		next:     "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\nfail",
		want:     http.StatusInternalServerError,
		wantBody: "fail",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idle := make(chan struct{})
			srv := newRawServer(t, func(s *rawServer, c net.Conn, br *bufio.Reader) {
				for {
					if _, err := s.readRequest(br); err != nil {
						return
					}
					if s.reqs.Load() > 1 {
						if _, err := io.WriteString(c, tt.next); err != nil {
							return
						}
						continue
					}
					if _, err := io.WriteString(c, first); err != nil {
						return
					}
					<-idle
					if _, err := io.WriteString(c, tt.idle); err != nil || tt.closeIdle {
						return
					}
				}
			})
			release := sync.OnceFunc(func() { close(idle) })
			t.Cleanup(release) // before the server's cleanup, which waits for it
			tr := newTransport(t, Options{})

			if _, body, err := post(context.Background(), tr, srv.url, "first"); err != nil || body != "ok" {
				t.Fatalf("first request: body %q, error %v", body, err)
			}
			c := idleConn(t, tr, srv.addr)
			release()
			waitInput(t, c.nc)

			resp, body, err := post(context.Background(), tr, srv.url, "second")
			if err != nil {
				t.Fatalf("second request: %v", err)
			}
			if resp.StatusCode != tt.want || body != tt.wantBody {
				t.Errorf("second request = %d %q, want %d %q", resp.StatusCode, body, tt.want, tt.wantBody)
			}
			if got := srv.conns.Load(); got != 2 {
				t.Errorf("server connections = %d, want 2", got)
			}
		})
	}
}
