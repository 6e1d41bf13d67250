//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris)

package sender

import "net"

// peeker would tell whether anything arrived on a connection while it was
// idle. This platform has no non-blocking peek here, so it says nothing
// did: a connection the server closed while idle is still caught by the
// stale-connection retry.
type peeker struct{}

func (*peeker) init(net.Conn) {}

func (*peeker) clean() bool { return true }
