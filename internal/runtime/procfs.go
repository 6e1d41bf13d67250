package runtime

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

// procStat is what skiff reads of /proc/<pid>/stat.
type procStat struct {
	State byte   // R, S, D, Z, ...
	PGID  int    // process group
	Start uint64 // start time in clock ticks after boot; with the boot id it names a process for good
}

// readProcStat reads /proc/<pid>/stat.
func readProcStat(pid int) (procStat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, err
	}
	return parseProcStat(b)
}

// parseProcStat parses a /proc/<pid>/stat line. The command name (field 2)
// may hold spaces and parentheses, so fields are counted after its last ')'.
func parseProcStat(b []byte) (procStat, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, errors.New("malformed stat")
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state), so field n is f[n-3].
	if len(f) < 20 || len(f[0]) != 1 {
		return procStat{}, errors.New("malformed stat")
	}
	pgid, err := strconv.Atoi(f[5-3])
	if err != nil {
		return procStat{}, fmt.Errorf("malformed stat: %w", err)
	}
	start, err := strconv.ParseUint(f[22-3], 10, 64)
	if err != nil {
		return procStat{}, fmt.Errorf("malformed stat: %w", err)
	}
	return procStat{State: f[0][0], PGID: pgid, Start: start}, nil
}

// bootID names the current boot; process start times are only comparable
// within one.
func bootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// processAlive says whether pid runs and is the process that started at
// start (0: any), a zombie counting as gone.
func processAlive(pid int, start uint64) bool {
	st, err := readProcStat(pid)
	if err != nil || st.State == 'Z' || st.State == 'X' {
		return false
	}
	return start == 0 || st.Start == start
}

// groupMembers returns the live processes of process group pgid that
// started at or after start.
func groupMembers(pgid int, start uint64) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st, err := readProcStat(pid)
		if err != nil || st.PGID != pgid || st.State == 'Z' || st.State == 'X' || st.Start < start {
			continue
		}
		pids = append(pids, pid)
	}
	return pids
}

// listeningPorts returns the TCP ports on which any of pids listens, in
// order. It matches the socket inodes among the processes' open files
// against the listening sockets of their network namespace.
func listeningPorts(pids []int) []int {
	inodes := map[string]bool{}
	for _, pid := range pids {
		dir := "/proc/" + strconv.Itoa(pid) + "/fd"
		ents, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range ents {
			l, err := os.Readlink(dir + "/" + e.Name())
			if err == nil && strings.HasPrefix(l, "socket:[") {
				inodes[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")] = true
			}
		}
	}
	if len(inodes) == 0 {
		return nil
	}
	var ports []int
	for _, file := range []string{"tcp", "tcp6"} {
		f, err := os.Open("/proc/" + strconv.Itoa(pids[0]) + "/net/" + file)
		if err != nil {
			continue
		}
		ports = append(ports, parseListening(f, inodes)...)
		f.Close()
	}
	slices.Sort(ports)
	return slices.Compact(ports)
}

// parseListening reads a /proc/net/tcp{,6} table and returns the local
// ports of the sockets in state LISTEN whose inode is in inodes.
func parseListening(r io.Reader, inodes map[string]bool) []int {
	const stateListen = "0A"
	var ports []int
	sc := bufio.NewScanner(r)
	sc.Scan() // header
	for sc.Scan() {
		// sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
		f := strings.Fields(sc.Text())
		if len(f) < 10 || f[3] != stateListen || !inodes[f[9]] {
			continue
		}
		_, hexPort, ok := strings.Cut(f[1], ":")
		if !ok {
			continue
		}
		if p, err := strconv.ParseUint(hexPort, 16, 16); err == nil {
			ports = append(ports, int(p))
		}
	}
	return ports
}
