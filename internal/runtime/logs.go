package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// logTailLines is how many lines of output ExitInfo.LogTail keeps.
const logTailLines = 10

// logWriter appends an instance's output to its log file and rotates the
// file to path+".1" before it would grow past max. Writes are split at the
// last line end that fits, so a file exceeds max never and holds a partial
// line only when a line is longer than max.
type logWriter struct {
	path string
	max  int64

	mu     sync.Mutex // guards f, size and failed
	f      *os.File   // nil: output is discarded
	size   int64
	failed bool // a write failed; reported once
}

// openLog opens (creating it and its directory) the log file at path; an
// empty path discards the output.
func openLog(path string, max int64) (*logWriter, error) {
	if max <= 0 {
		max = DefaultLogMaxBytes
	}
	w := &logWriter{path: path, max: max}
	if path == "" {
		return w, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open log: %w", err)
	}
	w.f, w.size = f, info.Size()
	return w, nil
}

// Write appends p, rotating as needed. It reports the first error only;
// output that cannot be written is dropped rather than stalling the
// program, whose pipe would fill up.
func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(p)
	if w.f == nil {
		return n, nil
	}
	for len(p) > 0 {
		room := w.max - w.size
		if int64(len(p)) <= room {
			if err := w.writeLocked(p); err != nil {
				return n, w.failLocked(err)
			}
			break
		}
		cut := 0
		if room > 0 {
			cut = bytes.LastIndexByte(p[:room], '\n') + 1
		}
		if cut == 0 && w.size == 0 {
			cut = int(room) // one line longer than max: split it
		}
		if err := w.writeLocked(p[:cut]); err != nil {
			return n, w.failLocked(err)
		}
		p = p[cut:]
		if err := w.rotateLocked(); err != nil {
			return n, w.failLocked(err)
		}
	}
	return n, nil
}

func (w *logWriter) writeLocked(p []byte) error {
	n, err := w.f.Write(p)
	w.size += int64(n)
	return err
}

func (w *logWriter) failLocked(err error) error {
	if w.failed {
		return nil
	}
	w.failed = true
	return fmt.Errorf("write log %s: %w", w.path, err)
}

func (w *logWriter) rotateLocked() error {
	if err := os.Rename(w.path, w.path+".1"); err != nil {
		return err
	}
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	w.f.Close()
	w.f, w.size = f, 0
	return nil
}

// Close closes the file; later writes are discarded.
func (w *logWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}

// tailBuffer keeps the last bytes written to it. It is not safe for
// concurrent use: the log reader of a run writes it and the supervisor
// reads it after the reader is done.
type tailBuffer struct{ b []byte }

const tailBufferBytes = 8 << 10

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 2*tailBufferBytes {
		t.b = append(t.b[:0], t.b[len(t.b)-tailBufferBytes:]...)
	}
	return len(p), nil
}

// lines returns the last n lines written.
func (t *tailBuffer) lines(n int) string {
	b, _ := lastLines(t.b, n)
	return string(b)
}

// lastLines returns the suffix of b that holds its last n lines (a final
// line without a newline counts) and how many lines that is.
func lastLines(b []byte, n int) ([]byte, int) {
	if n <= 0 || len(b) == 0 {
		return nil, 0
	}
	end := len(b)
	if b[end-1] == '\n' {
		end--
	}
	got := 1
	for {
		i := bytes.LastIndexByte(b[:end], '\n')
		if i < 0 {
			return b, got
		}
		if got == n {
			return b[i+1:], got
		}
		got++
		end = i
	}
}

// TailLog returns the last n lines of the log file at path, reaching into
// the rotated path+".1" when the current file holds fewer. A missing file
// is an error that matches fs.ErrNotExist.
func TailLog(path string, n int) (string, error) {
	b, got, whole, err := tailFile(path, n)
	if err != nil {
		return "", fmt.Errorf("tail log: %w", err)
	}
	if got < n && whole {
		old, _, _, err := tailFile(path+".1", n-got)
		if err == nil && len(old) > 0 {
			if old[len(old)-1] != '\n' {
				old = append(old, '\n')
			}
			b = append(old, b...)
		}
	}
	return string(b), nil
}

// tailFile returns the last n lines of a file, how many lines that is, and
// whether it is the whole file. It reads the file backwards in chunks.
func tailFile(path string, n int) (b []byte, got int, whole bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, false, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, 0, false, err
	}
	return tailReader(f, info.Size(), n)
}

func tailReader(r io.ReaderAt, size int64, n int) (b []byte, got int, whole bool, err error) {
	if n <= 0 {
		return nil, 0, false, nil
	}
	const chunk = 16 << 10
	var buf []byte
	for off := size; ; {
		step := min(int64(chunk), off)
		off -= step
		c := make([]byte, step, int64(len(buf))+step)
		if _, err := r.ReadAt(c, off); err != nil && !errors.Is(err, io.EOF) {
			return nil, 0, false, err
		}
		buf = append(c, buf...)
		// Stop once there is a newline before the n lines: they are complete.
		if tail, got := lastLines(buf, n); got == n && len(tail) < len(buf) {
			return tail, got, false, nil
		}
		if off == 0 {
			tail, got := lastLines(buf, n)
			return tail, got, true, nil
		}
	}
}

// followPoll is how often FollowLog looks for new output.
const followPoll = 100 * time.Millisecond

// FollowLog writes the last tail lines of the log file at path (all of it,
// the rotated part included, when tail < 0) to w, then keeps writing what
// is appended, following the file across rotations, until ctx ends; then
// it returns nil. A missing file is an error that matches fs.ErrNotExist.
func FollowLog(ctx context.Context, path string, tail int, w io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("follow log: %w", err)
	}
	defer func() { f.Close() }()
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("follow log: %w", err)
	}
	off := info.Size()
	if tail < 0 {
		if old, err := os.ReadFile(path + ".1"); err == nil {
			if _, err := w.Write(old); err != nil {
				return err
			}
		}
		off = 0
	} else {
		b, got, whole, err := tailReader(f, off, tail)
		if err != nil {
			return fmt.Errorf("follow log: %w", err)
		}
		if got < tail && whole {
			if old, _, _, err := tailFile(path+".1", tail-got); err == nil {
				b = append(old, b...)
			}
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}

	buf := make([]byte, 32<<10)
	// drain copies what is new in the open file.
	drain := func() error {
		for {
			n, err := f.ReadAt(buf, off)
			if n > 0 {
				if _, werr := w.Write(buf[:n]); werr != nil {
					return werr
				}
				off += int64(n)
			}
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("follow log: %w", err)
			}
		}
	}
	t := time.NewTimer(followPoll)
	defer t.Stop()
	for {
		if err := drain(); err != nil {
			return err
		}
		cur, err := os.Stat(path)
		open, oerr := f.Stat()
		switch {
		case err != nil || oerr != nil:
			// Between the rename and the create of a rotation; look again.
		case !os.SameFile(cur, open):
			// Rotated: the old file gets no writes once the new one exists,
			// so read it to its end once more and move on.
			nf, err := os.Open(path)
			if err != nil {
				break
			}
			if err := drain(); err != nil {
				nf.Close()
				return err
			}
			f.Close()
			f, off = nf, 0
			continue
		case open.Size() < off:
			off = 0 // truncated
			continue
		}
		t.Reset(followPoll)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
