package runtime

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"time"
)

// Runtime starts instances. Process is the implementation that runs them
// as local child processes.
type Runtime interface {
	// Start runs one instance and returns without waiting for readiness.
	// notify is called whenever the instance's Status changes, from the
	// runtime's goroutines, possibly concurrently and possibly before Start
	// returns; it is never called with a runtime lock held, and it must not
	// block for long. ctx bounds the call only, not the instance's life.
	//
	// A spec that cannot be valid is an error; a program that cannot be
	// run (a missing or non-executable file) is an Instance whose Status
	// is Failed, with a plain message.
	Start(ctx context.Context, spec InstanceSpec, notify func()) (Instance, error)
}

// Instance is one running (or finished) copy of a program.
type Instance interface {
	// Spec returns the spec the instance runs with, defaults filled in.
	Spec() InstanceSpec
	// Addr is the address requests go to: "127.0.0.1:<Port>".
	Addr() string
	// Status reports the instance's current state.
	Status() InstanceStatus
	// Stop sends SIGTERM to the instance's process group, SIGKILL after
	// the grace period or as soon as ctx ends, and returns once the
	// program is gone; the instance is never restarted afterwards. Stop
	// may be called more than once, and concurrently.
	Stop(ctx context.Context) error
}

// Phase is where an instance is in its life.
type Phase string

// Phases of an instance.
const (
	// PhaseStarting: the program runs and has not passed readiness yet.
	PhaseStarting Phase = "Starting"
	// PhaseReady: the program runs and passes its readiness probe.
	PhaseReady Phase = "Ready"
	// PhaseNotReady: the program runs but its readiness probe fails after
	// having passed.
	PhaseNotReady Phase = "NotReady"
	// PhaseBackOff: the program exited and waits to be restarted.
	PhaseBackOff Phase = "BackOff"
	// PhaseStopping: Stop was called and the program is terminating.
	PhaseStopping Phase = "Stopping"
	// PhaseStopped: the program is gone after Stop.
	PhaseStopped Phase = "Stopped"
	// PhaseFailed: the program cannot run, or did not become ready within
	// StartTimeout; it is not restarted.
	PhaseFailed Phase = "Failed"
)

// Reasons say in one CamelCase word why an instance is not ready
// (InstanceStatus.Reason) or why its program ended (ExitInfo.Reason).
const (
	ReasonCompleted            = "Completed"            // exited with code 0
	ReasonError                = "Error"                // exited with another code, or by a signal
	ReasonLivenessProbeFailed  = "LivenessProbeFailed"  // killed after its liveness probe failed
	ReasonReadinessTimeout     = "ReadinessTimeout"     // not ready within StartTimeout
	ReasonReadinessProbeFailed = "ReadinessProbeFailed" // ready once, failing now
	ReasonCrashLoopBackOff     = "CrashLoopBackOff"     // waiting to restart
	ReasonExecutableNotFound   = "ExecutableNotFound"   // no file at Executable
	ReasonNotExecutable        = "NotExecutable"        // a file that cannot be executed
	ReasonStartFailed          = "StartFailed"          // fork/exec failed otherwise
)

// InstanceStatus is a snapshot of an instance's state.
type InstanceStatus struct {
	Phase Phase
	// Ready says requests may be sent to Addr.
	Ready bool
	// PID is the running program's process id (and process group id); 0
	// when none runs.
	PID int
	// Restarts counts the times the program was started again after it
	// ended (never reset).
	Restarts int
	// Reason is a CamelCase word for why the instance is not Ready; empty
	// when Ready or while starting normally.
	Reason string
	// LastExit describes the last end of the program; nil if it never
	// ended. It is shared: do not modify it.
	LastExit *ExitInfo
	// Message says in plain words what is wrong, for Revision conditions:
	// "container exited with code 2: <last lines>".
	Message string
}

// ExitInfo describes how a program ended.
type ExitInfo struct {
	// ExitCode is the program's exit code, or 128+signal when a signal
	// killed it, as shells and Kubernetes report it.
	ExitCode int
	// Signal is the signal that killed the program, 0 if it exited.
	Signal syscall.Signal
	// Reason is ReasonCompleted, ReasonError, ReasonLivenessProbeFailed or
	// ReasonReadinessTimeout.
	Reason string
	// At is when the program's end was seen.
	At time.Time
	// LogTail is the last lines (at most logTailLines) the program wrote.
	LogTail string
}

// describe says how the program ended, in the words of Status.Message.
func (e *ExitInfo) describe() string {
	var b strings.Builder
	if e.Signal != 0 {
		fmt.Fprintf(&b, "container was killed by signal %s", signalName(e.Signal))
	} else {
		fmt.Fprintf(&b, "container exited with code %d", e.ExitCode)
	}
	if t := messageTail(e.LogTail); t != "" {
		b.WriteString(": ")
		b.WriteString(t)
	}
	return b.String()
}

// messageTail shortens a log tail for a condition message: its last
// messageTailLines lines, at most messageTailBytes.
func messageTail(tail string) string {
	const messageTailLines, messageTailBytes = 5, 1024
	tail = strings.TrimRight(tail, "\n")
	lines := strings.Split(tail, "\n")
	if len(lines) > messageTailLines {
		lines = lines[len(lines)-messageTailLines:]
	}
	tail = strings.Join(lines, "\n")
	if len(tail) > messageTailBytes {
		tail = "..." + tail[len(tail)-messageTailBytes:]
	}
	return tail
}

func signalName(s syscall.Signal) string {
	names := map[syscall.Signal]string{
		syscall.SIGABRT: "SIGABRT", syscall.SIGBUS: "SIGBUS", syscall.SIGFPE: "SIGFPE",
		syscall.SIGHUP: "SIGHUP", syscall.SIGILL: "SIGILL", syscall.SIGINT: "SIGINT",
		syscall.SIGKILL: "SIGKILL", syscall.SIGPIPE: "SIGPIPE", syscall.SIGQUIT: "SIGQUIT",
		syscall.SIGSEGV: "SIGSEGV", syscall.SIGTERM: "SIGTERM", syscall.SIGUSR1: "SIGUSR1",
		syscall.SIGUSR2: "SIGUSR2", syscall.SIGXCPU: "SIGXCPU", syscall.SIGSYS: "SIGSYS",
	}
	if n, ok := names[s]; ok {
		return n
	}
	return fmt.Sprintf("%d (%s)", int(s), s)
}

// Errors returned by Start and NewProcess.
var (
	// ErrInvalidSpec wraps what is wrong with an InstanceSpec.
	ErrInvalidSpec = errors.New("invalid instance spec")
	// ErrProbeNotSupported is a probe the process runtime cannot make:
	// gRPC health checks need a gRPC module skiff does not have.
	ErrProbeNotSupported = errors.New("grpc probes are not supported by the process runtime")
	// ErrDuplicateID is a Start with the ID of an instance still running.
	ErrDuplicateID = errors.New("an instance with this id is running")
	// ErrClosed is a Start after Close.
	ErrClosed = errors.New("runtime closed")
)
