package runtime

import (
	"os"
	"strconv"
	"syscall"
	"unsafe"
)

// Linux constants the syscall package lacks.
const (
	sysPidfdOpen = 434 // pidfd_open(2), the same number on every architecture
	pPID         = 1   // idtype_t P_PID
	pPIDFD       = 3   // idtype_t P_PIDFD
)

// exitWaiter waits for a child to exit without reaping it, so that the
// child's pid, and with it its process group id, stays reserved until the
// supervisor has killed the rest of the group and reaps the child with
// exec.Cmd.Wait. It waits on a pidfd through Go's poller, so a waiting
// instance does not hold an OS thread; without pidfds (Linux < 5.10) it
// falls back to a blocking waitid.
type exitWaiter struct {
	pid   int
	pidfd *os.File // nil without pidfd support
}

func newExitWaiter(pid int) *exitWaiter {
	w := &exitWaiter{pid: pid}
	fd, _, errno := syscall.Syscall(sysPidfdOpen, uintptr(pid), uintptr(syscall.O_NONBLOCK), 0)
	if errno == 0 {
		w.pidfd = os.NewFile(fd, "pidfd:"+strconv.Itoa(pid))
	}
	return w
}

// wait returns once the child has exited. It is called by one goroutine.
func (w *exitWaiter) wait() {
	if w.pidfd != nil {
		rc, err := w.pidfd.SyscallConn()
		if err == nil {
			// A pidfd turns readable when its process exits; waitid with
			// WNOHANG tells a real exit from a spurious wakeup.
			err = rc.Read(func(fd uintptr) bool {
				exited, errno := waitid(pPIDFD, int(fd), syscall.WNOHANG)
				return exited || (errno != 0 && errno != syscall.EINTR)
			})
			if err == nil {
				return
			}
		}
	}
	for {
		if _, errno := waitid(pPID, w.pid, 0); errno != syscall.EINTR {
			return
		}
	}
}

// close releases the pidfd once wait has returned.
func (w *exitWaiter) close() {
	if w.pidfd != nil {
		w.pidfd.Close()
	}
}

// waitid waits (or, with WNOHANG, looks) for the exit of a child without
// reaping it.
func waitid(idtype, id int, flags int) (exited bool, errno syscall.Errno) {
	// siginfo_t is 128 bytes: three ints, then a union aligned to a
	// pointer whose first field for SIGCHLD is si_pid, which stays zero
	// when WNOHANG finds no exited child.
	const siPidOffset = 3*4 + (unsafe.Sizeof(uintptr(0)) - 4)
	var info [128]byte
	_, _, errno = syscall.Syscall6(syscall.SYS_WAITID, uintptr(idtype), uintptr(id),
		uintptr(unsafe.Pointer(&info[0])), uintptr(syscall.WEXITED|syscall.WNOWAIT|flags), 0, 0)
	if errno != 0 {
		return false, errno
	}
	pid := *(*int32)(unsafe.Pointer(&info[siPidOffset]))
	return pid != 0, 0
}
