package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"time"
)

// wrkResult is what one wrk run reports.
type wrkResult struct {
	ok, failed int64
	elapsed    time.Duration
	cpu        time.Duration // wrk's own user+system time
}

var (
	wrkTotal   = regexp.MustCompile(`(\d+) requests in ([\d.]+)(us|ms|s|m)`)
	wrkErrors  = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
	wrkNon2xx  = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	wrkUnitDur = map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second, "m": time.Minute}
)

// runWrk drives addr with wrk (one thread, c.conns connections, c.duration).
// before runs just before wrk starts, after as soon as it has exited.
func runWrk(ctx context.Context, addr string, c config, before, after func()) (wrkResult, error) {
	var r wrkResult
	bin, err := exec.LookPath("wrk")
	if err != nil {
		return r, fmt.Errorf("wrk not found: apt-get install -y wrk")
	}
	cmd := exec.CommandContext(ctx, bin, "-t1", fmt.Sprintf("-c%d", c.conns),
		fmt.Sprintf("-d%ds", int(c.duration.Seconds())), "-H", "Host: "+c.host, "http://"+addr+"/")
	var out bytes.Buffer
	cmd.Stdout = &out
	before()
	if err := cmd.Start(); err != nil {
		return r, err
	}
	err = cmd.Wait()
	after()
	if cmd.ProcessState != nil {
		r.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	if err != nil {
		return r, fmt.Errorf("wrk: %w: %s", err, out.String())
	}
	m := wrkTotal.FindStringSubmatch(out.String())
	if m == nil {
		return r, fmt.Errorf("wrk output not understood: %s", out.String())
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	f, _ := strconv.ParseFloat(m[2], 64)
	r.elapsed = time.Duration(f * float64(wrkUnitDur[m[3]]))
	if e := wrkErrors.FindStringSubmatch(out.String()); e != nil {
		for _, s := range e[1:] {
			v, _ := strconv.ParseInt(s, 10, 64)
			r.failed += v
		}
	}
	if e := wrkNon2xx.FindStringSubmatch(out.String()); e != nil {
		v, _ := strconv.ParseInt(e[1], 10, 64)
		r.failed += v
	}
	r.ok = n - r.failed
	return r, nil
}
