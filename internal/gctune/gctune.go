// Package gctune holds the garbage collector setting the skiff server runs
// with.
//
// skiff's data planes allocate a little per request and per event, and the
// server's live heap is small, so with Go's default GOGC of 100 the
// collector runs several times a second under load. Letting the heap grow
// to five times the live data instead costs a few tens of megabytes under
// load and nothing at idle, and gave the broker about a fifth more events
// per second on a 2-core machine (docs/benchmarks.md). GOGC in the
// environment still decides when it is set, and GOMEMLIMIT caps the heap
// where memory is tight.
package gctune

import (
	"os"
	"runtime/debug"
)

// Percent is the GOGC value the server runs with unless the environment
// sets GOGC.
const Percent = 400

// Apply sets the collector's target to Percent unless GOGC is set (and not
// empty) in the environment.
func Apply() {
	if os.Getenv("GOGC") != "" {
		return
	}
	debug.SetGCPercent(Percent)
}
