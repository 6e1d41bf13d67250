package proxy

import (
	"bufio"
	"context"
	"net"
	"sync"
	"time"
)

// h1Conn is one keep-alive HTTP/1.1 connection to a backend. It belongs to
// one request at a time: the pool, or the Forward call that took it.
type h1Conn struct {
	nc        net.Conn
	br        *bufio.Reader
	bw        *bufio.Writer
	reused    bool      // served a request before this one
	idleSince time.Time // when it went back to the pool
	rdeadline time.Time // the read deadline last set on nc (zero: none)
	wdeadline time.Time // the write deadline last set on nc
}

// setReadDeadline sets nc's read deadline when it differs from the current
// one: the runtime's timer is left alone when there are no limits, or when
// the coarse deadline of the previous request still holds.
func (c *h1Conn) setReadDeadline(t time.Time) {
	if t.Equal(c.rdeadline) {
		return
	}
	c.rdeadline = t
	_ = c.nc.SetReadDeadline(t)
}

func (c *h1Conn) setWriteDeadline(t time.Time) {
	if t.Equal(c.wdeadline) {
		return
	}
	c.wdeadline = t
	_ = c.nc.SetWriteDeadline(t)
}

func (c *h1Conn) close() { _ = c.nc.Close() }

const (
	connReadBuf  = 16 << 10
	connWriteBuf = 4 << 10
)

// h1Pool keeps idle keep-alive connections per backend address, used last in
// first out so that the connection picked is the least likely to have been
// closed by the backend's idle timeout. A reaper closes connections idle for
// longer than ttl.
type h1Pool struct {
	dialer  *net.Dialer
	maxIdle int
	ttl     time.Duration

	mu     sync.Mutex           // guards idle and closed
	idle   map[string][]*h1Conn // by backend address, most recent last
	closed bool

	stop chan struct{}  // closed by close() to end the reaper
	done sync.WaitGroup // the reaper
}

func newH1Pool(d *net.Dialer, maxIdle int, ttl time.Duration) *h1Pool {
	p := &h1Pool{dialer: d, maxIdle: maxIdle, ttl: ttl, idle: map[string][]*h1Conn{}, stop: make(chan struct{})}
	p.done.Add(1)
	go p.reap()
	return p
}

// get returns an idle connection to addr or dials a new one, giving up at
// deadline (zero: none).
func (p *h1Pool) get(ctx context.Context, addr string, deadline time.Time) (*h1Conn, error) {
	var now time.Time
	for {
		p.mu.Lock()
		l := p.idle[addr]
		if len(l) == 0 {
			p.mu.Unlock()
			break
		}
		c := l[len(l)-1]
		l[len(l)-1] = nil
		p.idle[addr] = l[:len(l)-1]
		p.mu.Unlock()
		if now.IsZero() {
			now = time.Now()
		}
		if now.Sub(c.idleSince) < p.ttl {
			return c, nil
		}
		c.close()
	}
	return p.dial(ctx, addr, deadline)
}

func (p *h1Pool) dial(ctx context.Context, addr string, deadline time.Time) (*h1Conn, error) {
	d := p.dialer
	if !deadline.IsZero() {
		dd := *p.dialer
		dd.Deadline = deadline
		d = &dd
	}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return &h1Conn{
		nc: nc,
		br: bufio.NewReaderSize(nc, connReadBuf),
		bw: bufio.NewWriterSize(nc, connWriteBuf),
	}, nil
}

// put returns c, whose last exchange ended cleanly, to the pool.
func (p *h1Pool) put(addr string, c *h1Conn) {
	c.reused = true
	c.idleSince = time.Now()
	p.mu.Lock()
	l := p.idle[addr]
	if p.closed || len(l) >= p.maxIdle {
		p.mu.Unlock()
		c.close()
		return
	}
	p.idle[addr] = append(l, c)
	p.mu.Unlock()
}

// reap closes connections idle longer than ttl, and forgets backends with
// none left (instances come and go, each on a port of its own).
func (p *h1Pool) reap() {
	defer p.done.Done()
	t := time.NewTicker(p.ttl / 2)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case now := <-t.C:
			p.reapOnce(now)
		}
	}
}

func (p *h1Pool) reapOnce(now time.Time) {
	var old []*h1Conn
	p.mu.Lock()
	for addr, l := range p.idle {
		// Oldest first: stop at the first one still young.
		i := 0
		for i < len(l) && now.Sub(l[i].idleSince) >= p.ttl {
			old = append(old, l[i])
			i++
		}
		switch {
		case i == len(l):
			delete(p.idle, addr)
		case i > 0:
			n := copy(l, l[i:])
			clear(l[n:])
			p.idle[addr] = l[:n]
		}
	}
	p.mu.Unlock()
	for _, c := range old {
		c.close()
	}
}

// closeIdle closes every idle connection; with final, the pool takes no
// more and the reaper ends.
func (p *h1Pool) closeIdle(final bool) {
	p.mu.Lock()
	all := p.idle
	p.idle = map[string][]*h1Conn{}
	first := final && !p.closed
	if final {
		p.closed = true
	}
	p.mu.Unlock()
	for _, l := range all {
		for _, c := range l {
			c.close()
		}
	}
	if first {
		close(p.stop)
		p.done.Wait()
	}
}
