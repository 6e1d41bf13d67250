package runtime

import (
	"os/exec"
	goruntime "runtime"
)

// spawner forks every child of a Process from one OS thread that stays
// locked to the spawner's goroutine for the Process's life. Linux sends a
// child's parent-death signal when the thread that forked it exits, not
// when skiff does, and the Go runtime ends a thread whenever a goroutine
// that locked it returns without unlocking; forking from ordinary
// goroutines would let such a goroutine anywhere in skiff SIGKILL
// instances (golang/go#27505). The cost is one handoff to that thread per
// fork: about 0.1 ms when starts are frequent, 0.3 ms when the thread has
// been idle long (BenchmarkStartToReady on a busy 2-vCPU VM); forking on
// the calling goroutine instead would save it at the price of that risk.
type spawner struct {
	reqs chan spawnReq
	quit chan struct{} // closed by stop
	done chan struct{} // closed when run returns
}

type spawnReq struct {
	cmd  *exec.Cmd
	errc chan error
}

func newSpawner() *spawner {
	s := &spawner{reqs: make(chan spawnReq), quit: make(chan struct{}), done: make(chan struct{})}
	go s.run()
	return s
}

func (s *spawner) run() {
	defer close(s.done)
	goruntime.LockOSThread()
	// Unlocking hands the thread back to the scheduler instead of ending
	// it, so children still running after stop are not killed by it.
	defer goruntime.UnlockOSThread()
	for {
		select {
		case r := <-s.reqs:
			r.errc <- r.cmd.Start()
		case <-s.quit:
			return
		}
	}
}

// start runs cmd.Start on the spawner's thread.
func (s *spawner) start(cmd *exec.Cmd) error {
	r := spawnReq{cmd: cmd, errc: make(chan error, 1)}
	select {
	case s.reqs <- r:
	case <-s.quit:
		return ErrClosed
	}
	return <-r.errc
}

// stop ends the spawner and waits for it.
func (s *spawner) stop() {
	close(s.quit)
	<-s.done
}
