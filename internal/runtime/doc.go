// Package runtime runs the instances of Knative Revisions as local child
// processes. It starts an instance at once, probes its readiness (by
// default a TCP connect to its port, aggressively while it starts) and its
// liveness, restarts it with a crash-loop backoff when it exits, keeps its
// output in a size-bounded log file, and stops it with SIGTERM to its
// process group and SIGKILL after a grace period.
//
// Every instance runs in its own process group with a parent-death signal,
// and a registry of live process groups under the state directory lets the
// next skiff kill what a SIGKILLed skiff left behind.
//
// # Goroutines
//
// A Process owns one spawner goroutine (locked to its OS thread, see
// spawner) that Close ends. Each running instance owns one supervisor
// goroutine, which Stop or Close ends and waits for; the supervisor in turn
// owns, per run of the program, a waiter (returns when the program exits,
// which the supervisor forces), a log reader (returns at end of output, or
// when the supervisor closes the pipe) and the readiness and liveness
// probers (cancelled and waited for by the supervisor).
package runtime
