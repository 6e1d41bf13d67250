// Package gctune holds the garbage collector setting the skiff server runs
// with.
//
// skiff's data planes allocate a little per request and per event, and the
// server's live heap is small, so with Go's default GOGC of 100 the
// collector runs several times a second under load. Letting the heap grow
// to five times the live data instead costs a few tens of megabytes under
// load and nothing at idle, and gave the broker about a fifth more events
// per second on a 2-core machine (docs/benchmarks.md). GOGC in the
// environment still decides when it is set.
package gctune

import (
	"os"
	"runtime/debug"
)

// Percent is the GOGC value the server runs with unless the environment
// sets GOGC.
const Percent = 400

// Apply sets the collector's target to Percent unless GOGC is set in the
// environment, and returns the previous setting, which
// debug.SetGCPercent restores.
func Apply() (previous int) {
	if _, ok := os.LookupEnv("GOGC"); ok {
		// Read the current setting by setting it to itself.
		previous = debug.SetGCPercent(Percent)
		debug.SetGCPercent(previous)
		return previous
	}
	return debug.SetGCPercent(Percent)
}
