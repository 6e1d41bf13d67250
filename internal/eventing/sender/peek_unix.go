//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris

package sender

import (
	"net"
	"syscall"
)

// peeker tells whether anything arrived on a connection while it was idle,
// with one recvfrom(MSG_PEEK|MSG_DONTWAIT): it neither blocks nor takes a
// byte, and EAGAIN means that nothing came. It belongs to its connection.
type peeker struct {
	rc     syscall.RawConn  // nil when the connection has no file descriptor
	lookFn func(fd uintptr) // p.look, bound once: a closure per call would allocate
	buf    [1]byte
	quiet  bool // what look found
}

// init readies p for nc; a connection without a file descriptor (a
// net.Pipe) is never looked at.
func (p *peeker) init(nc net.Conn) {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return
	}
	p.rc, p.lookFn = rc, p.look
}

// clean reports whether nothing arrived: no bytes, not the end of the
// stream, no error.
func (p *peeker) clean() bool {
	if p.rc == nil {
		return true
	}
	p.quiet = false
	if err := p.rc.Control(p.lookFn); err != nil {
		return false // closed
	}
	return p.quiet
}

func (p *peeker) look(fd uintptr) {
	_, _, err := syscall.Recvfrom(int(fd), p.buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	// Bytes, or the end of the stream (0 and no error), or an error: the
	// connection is done for.
	p.quiet = err == syscall.EAGAIN || err == syscall.EWOULDBLOCK
}
