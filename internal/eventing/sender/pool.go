package sender

import (
	"bufio"
	"context"
	"net"
	"sync"
	"time"
)

// readBufSize is the size of a connection's read buffer: it holds a typical
// response head and small body; larger heads are gathered beyond it.
const readBufSize = 4 << 10

// conn is one keep-alive connection to a server. It belongs to one request
// at a time, or to the pool.
type conn struct {
	nc          net.Conn
	br          *bufio.Reader
	addr        string    // host:port it was dialed to
	reused      bool      // it served a request before the current one
	hasDeadline bool      // a deadline is set on nc
	idleSince   time.Time // when it went into the pool
	peek        peeker    // whether the server sent anything while it was idle
}

// setDeadline sets nc's read and write deadline.
func (c *conn) setDeadline(t time.Time) {
	c.hasDeadline = true
	_ = c.nc.SetDeadline(t)
}

func (c *conn) close() { _ = c.nc.Close() }

// pool keeps idle connections per host:port, most recently used first: the
// one taken is the least likely to have hit the server's idle timeout. A
// reaper goroutine closes connections idle for longer than ttl.
type pool struct {
	dialer  *net.Dialer
	maxIdle int
	ttl     time.Duration

	mu     sync.Mutex         // guards idle and closed
	idle   map[string][]*conn // by address, the most recent last
	closed bool               // no more connections are kept

	stop chan struct{}  // closed to end the reaper
	done sync.WaitGroup // the reaper
}

func newPool(d *net.Dialer, maxIdle int, ttl time.Duration) *pool {
	p := &pool{dialer: d, maxIdle: maxIdle, ttl: ttl, idle: map[string][]*conn{}, stop: make(chan struct{})}
	p.done.Add(1)
	go p.reap()
	return p
}

// get returns an idle connection to addr, or dials one. An idle connection
// on which the server sent anything while it was idle, bytes or the end of
// the stream, is closed instead: whatever it sent is not an answer to the
// next request (HAProxy's 408 on its idle timeout, a stray second response),
// and must not be read as one.
func (p *pool) get(ctx context.Context, addr string) (*conn, error) {
	for {
		c := p.takeIdle(addr)
		if c == nil {
			return p.dial(ctx, addr)
		}
		if c.peek.clean() {
			return c, nil
		}
		c.close()
	}
}

// takeIdle takes the most recent idle connection to addr from the pool;
// nil when there is none young enough.
func (p *pool) takeIdle(addr string) *conn {
	p.mu.Lock()
	l := p.idle[addr]
	n := len(l)
	if n == 0 {
		p.mu.Unlock()
		return nil
	}
	c := l[n-1]
	l[n-1] = nil
	p.idle[addr] = l[:n-1]
	if time.Since(c.idleSince) < p.ttl {
		p.mu.Unlock()
		return c
	}
	// The most recent is too old, so are all the others.
	old := append([]*conn{c}, l[:n-1]...)
	clear(l)
	delete(p.idle, addr)
	p.mu.Unlock()
	for _, c := range old {
		c.close()
	}
	return nil
}

// dial opens a new connection to addr.
func (p *pool) dial(ctx context.Context, addr string) (*conn, error) {
	nc, err := p.dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	c := &conn{nc: nc, br: bufio.NewReaderSize(nc, readBufSize), addr: addr}
	c.peek.init(nc)
	return c, nil
}

// put takes back c, whose last exchange ended cleanly, or closes it when
// the pool is full or closed.
func (p *pool) put(c *conn) {
	if c.br.Buffered() > 0 {
		// The server sent more than the response: nothing after it can be
		// trusted.
		c.close()
		return
	}
	if c.hasDeadline {
		_ = c.nc.SetDeadline(time.Time{})
		c.hasDeadline = false
	}
	c.reused = true
	c.idleSince = time.Now()
	p.mu.Lock()
	l := p.idle[c.addr]
	if p.closed || len(l) >= p.maxIdle {
		p.mu.Unlock()
		c.close()
		return
	}
	p.idle[c.addr] = append(l, c)
	p.mu.Unlock()
}

// idleCount returns how many connections to addr are idle.
func (p *pool) idleCount(addr string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.idle[addr])
}

// reap closes, every ttl/2, the connections idle for longer than ttl.
func (p *pool) reap() {
	defer p.done.Done()
	tick := time.NewTicker(max(p.ttl/2, time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-p.stop:
			return
		case now := <-tick.C:
			p.reapOnce(now)
		}
	}
}

// reapOnce closes the connections idle for longer than ttl at now, and
// forgets the addresses left with none.
func (p *pool) reapOnce(now time.Time) {
	var old []*conn
	p.mu.Lock()
	for addr, l := range p.idle {
		i := 0 // oldest first: stop at the first one still young
		for i < len(l) && now.Sub(l[i].idleSince) >= p.ttl {
			i++
		}
		if i == 0 {
			continue
		}
		old = append(old, l[:i]...)
		if i == len(l) {
			delete(p.idle, addr)
			continue
		}
		n := copy(l, l[i:])
		clear(l[n:])
		p.idle[addr] = l[:n]
	}
	p.mu.Unlock()
	for _, c := range old {
		c.close()
	}
}

// closeIdle closes every idle connection. With final the pool keeps no
// more and the reaper ends; closeIdle returns once it has.
func (p *pool) closeIdle(final bool) {
	p.mu.Lock()
	all := p.idle
	p.idle = map[string][]*conn{}
	stopReaper := final && !p.closed
	if final {
		p.closed = true
	}
	p.mu.Unlock()
	for _, l := range all {
		for _, c := range l {
			c.close()
		}
	}
	if stopReaper {
		close(p.stop)
		p.done.Wait()
	}
}
