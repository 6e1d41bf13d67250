package sender

import (
	"io"
	"sync"
	"time"
)

const (
	// maxDrain is the most of an unread body that Close reads to keep the
	// connection; a longer rest costs less as a new dial.
	maxDrain = 4 << 10
	// drainTimeout bounds that read, when the rest has not arrived yet.
	drainTimeout = 250 * time.Millisecond
)

// body is the Body of a lean-path response. It reads off the connection and
// gives the connection back to the pool when the body ends as framed.
type body struct {
	x         exchange
	r         *bodyReader
	keepAlive bool // the connection may be reused after the body

	// mu guards the fields below: Close may come during a Read. It is
	// taken before the pool's lock, when the connection goes back.
	mu      sync.Mutex
	c       *conn // nil once released
	stop    func() bool
	closed  bool
	reading bool  // a Read is under way without mu
	err     error // what Read returns from now on, io.EOF included
}

// Read reads the response body. At the body's end it returns io.EOF and the
// connection goes back to the pool; other errors are wrapped, with the
// context's error when that is the cause.
func (b *body) Read(p []byte) (int, error) {
	b.mu.Lock()
	switch {
	case b.closed:
		b.mu.Unlock()
		return 0, errBodyClosed
	case b.err != nil:
		err := b.err
		b.mu.Unlock()
		return 0, err
	}
	b.reading = true
	b.mu.Unlock()

	n, err := b.r.Read(p)

	b.mu.Lock()
	defer b.mu.Unlock()
	b.reading = false
	switch {
	case b.closed:
		// Close cut the connection under this Read: whatever the read
		// says comes from that.
		b.releaseLocked(false)
		b.err = b.x.fail("read response body", errBodyClosed)
		return n, b.err
	case err == io.EOF:
		b.err = io.EOF
		b.releaseLocked(b.keepAlive)
		return n, io.EOF
	case err != nil:
		b.err = b.x.fail("read response body", err)
		b.releaseLocked(false)
		return n, b.err
	}
	return n, nil
}

// Close closes the body. A small rest of known length is read and dropped
// so that the connection can be reused; otherwise the connection is closed.
// Closing again does nothing.
func (b *body) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	switch {
	case b.c == nil: // released already
	case b.reading:
		// Abort the Read, which releases the connection.
		b.c.close()
	default:
		b.releaseLocked(b.keepAlive && b.drainLocked())
	}
	return nil
}

// drainLocked reads the rest of the body when it is small and its length is
// known, and reports whether the body then ended as framed.
func (b *body) drainLocked() bool {
	rest := b.r.remainder()
	if rest < 0 || rest > maxDrain {
		return false
	}
	if rest > int64(b.c.br.Buffered()) {
		t := time.Now().Add(drainTimeout)
		if b.x.hasDeadline && b.x.deadline.Before(t) {
			t = b.x.deadline
		}
		b.c.setDeadline(t)
	}
	_, err := io.Copy(io.Discard, b.r)
	return err == nil && b.r.done
}

// releaseLocked gives up the connection, to the pool if reuse.
func (b *body) releaseLocked(reuse bool) {
	if b.c == nil {
		return
	}
	b.x.t.release(b.c, b.stop, reuse)
	b.c, b.stop = nil, nil
}
