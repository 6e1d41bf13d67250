package pool

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is the kernel's USER_HZ, the unit of CPU times in /proc.
const clockTicks = 100

// Usage returns, for each ready instance of the revision, its CPU use in
// millicores since the previous call (metric "cpu") or its resident memory
// in MiB (metric "memory"), read from /proc, for the HPA class.
func (m *Manager) Usage(key RevisionKey, metric string) []float64 {
	m.mu.Lock()
	p, ok := m.pools[key]
	m.mu.Unlock()
	if !ok {
		return nil
	}
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []float64
	for _, in := range p.instances {
		if !in.ready || in.rt == nil {
			continue
		}
		pid := in.rt.Status().PID
		if pid <= 0 {
			continue
		}
		switch metric {
		case "memory":
			if rss, ok := rssMiB(pid); ok {
				out = append(out, rss)
			}
		default:
			ticks, ok := cpuTicks(pid)
			if !ok {
				continue
			}
			if in.cpuPID == pid && !in.cpuAt.IsZero() && now.After(in.cpuAt) {
				secs := float64(ticks-in.cpuTicks) / clockTicks
				out = append(out, 1000*secs/now.Sub(in.cpuAt).Seconds())
			}
			in.cpuPID, in.cpuTicks, in.cpuAt = pid, ticks, now
		}
	}
	return out
}

// cpuTicks returns utime+stime of a process.
func cpuTicks(pid int) (int64, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// The command name may hold spaces; fields start after its ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, false
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return u + st, true
}

// rssMiB returns a process's resident set size in MiB.
func rssMiB(pid int) (float64, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				kb, err := strconv.ParseFloat(f[0], 64)
				return kb / 1024, err == nil
			}
		}
	}
	return 0, false
}
