package runtime

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseProcStat(t *testing.T) {
	t.Parallel()
	line := "4242 (a) weird (name)) S 1 4240 4240 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 100 18446744073709551615\n"
	got, err := parseProcStat([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	if want := (procStat{State: 'S', PGID: 4240, Start: 987654}); got != want {
		t.Errorf("parseProcStat() = %+v, want %+v", got, want)
	}
	if _, err := parseProcStat([]byte("garbage")); err == nil {
		t.Error("parseProcStat(garbage) succeeded")
	}
}

func TestParseListening(t *testing.T) {
	t.Parallel()
	table := `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 111 1 0000000000000000 100 0 0 10 0
   1: 0100007F:2382 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 222 1 0000000000000000 100 0 0 10 0
   2: 0100007F:1F90 0100007F:C000 01 00000000:00000000 00:00000000 00000000  1000        0 333 1 0000000000000000 100 0 0 10 0
`
	got := parseListening(strings.NewReader(table), map[string]bool{"111": true, "333": true})
	if diff := cmp.Diff([]int{8080}, got); diff != "" {
		t.Errorf("parseListening() mismatch (-want +got):\n%s", diff)
	}
}

func TestListeningPorts(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	if got := listeningPorts([]int{os.Getpid()}); !slices.Contains(got, port) {
		t.Errorf("listeningPorts(self) = %v, want it to contain %d", got, port)
	}
}

// startSleeper starts the child program in its own process group, not
// listening, and returns it with its start time.
func startSleeper(t *testing.T) (*exec.Cmd, uint64) {
	t.Helper()
	cmd := exec.Command(childBin, "-listen=false")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	st, err := readProcStat(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	return cmd, st.Start
}

// TestRegistryReap checks which recorded groups NewProcess kills: only
// those whose skiff is gone and whose leader is the recorded process.
func TestRegistryReap(t *testing.T) {
	t.Parallel()
	// A finished process stands for a skiff that is gone.
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	self, err := readProcStat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		ownerPID   int
		ownerStart uint64
		wrongStart bool
		boot       string
		wantKilled bool
	}{
		{name: "owner gone", ownerPID: gone.Process.Pid, wantKilled: true},
		{name: "owner alive", ownerPID: os.Getpid(), ownerStart: self.Start},
		{name: "owner pid reused", ownerPID: os.Getpid(), ownerStart: self.Start + 1, wantKilled: true},
		{name: "leader pid reused", ownerPID: gone.Process.Pid, wrongStart: true},
		{name: "other boot", ownerPID: gone.Process.Pid, boot: "another-boot"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			cmd, start := startSleeper(t)
			if tt.wrongStart {
				start--
			}
			reg, err := newRegistry(dir + "/pids")
			if err != nil {
				t.Fatal(err)
			}
			reg.owner, reg.start = tt.ownerPID, tt.ownerStart
			if tt.boot != "" {
				reg.boot = tt.boot
			}
			if err := reg.add("x", childBin, cmd.Process.Pid, start); err != nil {
				t.Fatal(err)
			}
			p, err := NewProcess(ProcessOptions{StateDir: dir, Logger: slog.New(slog.NewTextHandler(t.Output(), nil))})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close(t.Context())
			if tt.wantKilled {
				checkFor(t, 5*time.Second, func() error {
					if alive(cmd.Process.Pid) {
						return fmt.Errorf("pid %d alive after the reap", cmd.Process.Pid)
					}
					return nil
				})
			} else if !alive(cmd.Process.Pid) {
				t.Errorf("pid %d killed, want it left alone", cmd.Process.Pid)
			}
			_, err = os.Stat(reg.path("x"))
			if kept := err == nil; kept != (tt.name == "owner alive") {
				t.Errorf("entry kept = %v, want %v", kept, !kept)
			}
		})
	}
}
