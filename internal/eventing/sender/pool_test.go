package sender

import (
	"bufio"
	"context"
	"net"
	"testing"
	"time"
)

// pipeConn returns a pooled-connection stand-in over net.Pipe, and the
// far end, which sees EOF once the conn is closed.
func pipeConn(t *testing.T, addr string) (*conn, net.Conn) {
	t.Helper()
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	return &conn{nc: a, br: bufio.NewReader(a), addr: addr}, b
}

// closedSoon reports whether the far end of a pipeConn sees it closed.
func closedSoon(far net.Conn) bool {
	_ = far.SetReadDeadline(time.Now().Add(time.Second))
	_, err := far.Read(make([]byte, 1))
	return err != nil && !isTimeout(err)
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

func TestPoolReapOnce(t *testing.T) {
	const ttl = time.Minute
	now := time.Now()
	p := newPool(&net.Dialer{}, 10, ttl)
	defer p.closeIdle(true)

	// Oldest first, as put appends them.
	ages := []time.Duration{3 * ttl, 2 * ttl, ttl / 2, 0}
	var fars []net.Conn
	for _, age := range ages {
		c, far := pipeConn(t, "a:80")
		p.put(c)
		c.idleSince = now.Add(-age)
		fars = append(fars, far)
	}
	lone, loneFar := pipeConn(t, "b:80")
	p.put(lone)
	lone.idleSince = now.Add(-2 * ttl)

	p.reapOnce(now)
	if got := p.idleCount("a:80"); got != 2 {
		t.Errorf("idle to a:80 = %d, want 2", got)
	}
	p.mu.Lock()
	_, ok := p.idle["b:80"]
	p.mu.Unlock()
	if ok {
		t.Error("b:80 still listed with no connections")
	}
	for i, far := range fars[:2] {
		if !closedSoon(far) {
			t.Errorf("connection %d, idle %v, not closed", i, ages[i])
		}
	}
	if !closedSoon(loneFar) {
		t.Error("lone connection not closed")
	}
}

func TestPoolGetExpired(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	p := newPool(&net.Dialer{}, 10, time.Hour)
	defer p.closeIdle(true)

	old, oldFar := pipeConn(t, addr)
	older, olderFar := pipeConn(t, addr)
	p.put(older)
	p.put(old)
	old.idleSince = time.Now().Add(-2 * time.Hour)
	older.idleSince = time.Now().Add(-3 * time.Hour)

	c, err := p.get(context.Background(), addr)
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	defer c.close()
	if c == old || c == older || c.reused {
		t.Error("get returned an expired connection, want a new one")
	}
	if !closedSoon(oldFar) || !closedSoon(olderFar) {
		t.Error("expired connections not closed")
	}
	if got := p.idleCount(addr); got != 0 {
		t.Errorf("idle = %d, want 0", got)
	}
}

func TestPoolLIFO(t *testing.T) {
	p := newPool(&net.Dialer{}, 10, time.Hour)
	defer p.closeIdle(true)
	first, _ := pipeConn(t, "a:80")
	second, _ := pipeConn(t, "a:80")
	p.put(first)
	p.put(second)
	for _, want := range []*conn{second, first} {
		got, err := p.get(context.Background(), "a:80")
		if err != nil || got != want {
			t.Fatalf("get = %p, %v; want %p", got, err, want)
		}
		if !got.reused {
			t.Error("pooled connection not marked reused")
		}
	}
}
