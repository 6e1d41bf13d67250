package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// registry records the process group of every running instance, one file
// per instance, so that a skiff started after its predecessor was
// SIGKILLed can kill what the predecessor left: Pdeathsig takes the direct
// children along, but not their own children.
//
// Each file is written only by the supervisor of its instance (and read by
// NewProcess before any instance runs), so the registry needs no lock.
type registry struct {
	dir   string
	boot  string
	owner int    // this skiff's pid
	start uint64 // and start time
}

// regEntry is one registry file.
type regEntry struct {
	ID         string `json:"id"`
	Executable string `json:"executable"`
	PGID       int    `json:"pgid"`
	// Start is the group leader's start time in clock ticks after boot;
	// with Boot it tells the leader from a later process with its pid.
	Start uint64 `json:"start"`
	Boot  string `json:"boot"`
	// OwnerPID and OwnerStart name the skiff that started the group; its
	// entries are left alone while it lives.
	OwnerPID   int    `json:"ownerPID"`
	OwnerStart uint64 `json:"ownerStart"`
}

func newRegistry(dir string) (*registry, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create pid registry: %w", err)
	}
	r := &registry{dir: dir, boot: bootID(), owner: os.Getpid()}
	if st, err := readProcStat(r.owner); err == nil {
		r.start = st.Start
	}
	return r, nil
}

func (r *registry) path(id string) string { return filepath.Join(r.dir, id+".json") }

// add records the process group of a just started program. It does not
// sync: the files only need to survive skiff, not the machine (whose
// reboot ends the processes too).
func (r *registry) add(id, executable string, pgid int, start uint64) error {
	b, err := json.Marshal(regEntry{
		ID: id, Executable: executable, PGID: pgid, Start: start, Boot: r.boot,
		OwnerPID: r.owner, OwnerStart: r.start,
	})
	if err != nil {
		return err
	}
	tmp := r.path(id) + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("record pid: %w", err)
	}
	if err := os.Rename(tmp, r.path(id)); err != nil {
		return fmt.Errorf("record pid: %w", err)
	}
	return nil
}

// remove forgets an instance's process group once it is gone.
func (r *registry) remove(id string) error {
	if err := os.Remove(r.path(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("forget pid: %w", err)
	}
	return nil
}

// reap kills the processes of every recorded group whose skiff is gone and
// forgets the group. A group's processes are killed only if they provably
// belong to it: the group id is a pid, and Linux does not reuse a pid while
// a process group of that id exists, so if the recorded leader still runs
// (same start time) or is gone while members of its group remain, they are
// the ones skiff started. Members that moved to another group escape.
func (r *registry) reap(log *slog.Logger) {
	ents, err := os.ReadDir(r.dir)
	if err != nil {
		log.Warn("read pid registry", logKeyError, err)
		return
	}
	for _, e := range ents {
		name := filepath.Join(r.dir, e.Name())
		if strings.HasSuffix(e.Name(), ".tmp") {
			// A write interrupted by a kill; a live writer renames within
			// microseconds, so anything older is garbage.
			if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > time.Minute {
				os.Remove(name)
			}
			continue
		}
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		b, err := os.ReadFile(name)
		if err != nil {
			continue
		}
		var ent regEntry
		if err := json.Unmarshal(b, &ent); err != nil || ent.PGID <= 1 {
			log.Warn("drop unreadable pid registry entry", logKeyFile, name)
			os.Remove(name)
			continue
		}
		if ent.Boot == r.boot && ent.OwnerPID > 0 && processAlive(ent.OwnerPID, ent.OwnerStart) {
			continue // a live skiff (maybe this one) owns it
		}
		if ent.Boot == r.boot {
			if killed := killGroup(ent.PGID, ent.Start); len(killed) > 0 {
				log.Info("killed processes left by a previous skiff",
					logKeyInstance, ent.ID, logKeyPIDs, killed, logKeyExecutable, ent.Executable)
			}
		}
		os.Remove(name)
	}
}

// killGroup SIGKILLs the members of process group pgid whose leader
// started at start, and returns their pids.
func killGroup(pgid int, start uint64) []int {
	if st, err := readProcStat(pgid); err == nil && st.Start != start {
		return nil // the pid was reused, so the group had ended
	}
	pids := groupMembers(pgid, start)
	for _, pid := range pids {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	return pids
}
