package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestLastLines(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		n       int
		want    string
		wantGot int
	}{
		{"", 3, "", 0},
		{"a\nb\nc\n", 0, "", 0},
		{"a\nb\nc\n", 2, "b\nc\n", 2},
		{"a\nb\nc", 2, "b\nc", 2},
		{"a\nb\nc\n", 5, "a\nb\nc\n", 3},
		{"\n\n", 1, "\n", 1},
		{"only", 1, "only", 1},
	}
	for _, tt := range tests {
		got, n := lastLines([]byte(tt.in), tt.n)
		if string(got) != tt.want || n != tt.wantGot {
			t.Errorf("lastLines(%q, %d) = %q, %d, want %q, %d", tt.in, tt.n, got, n, tt.want, tt.wantGot)
		}
	}
}

func TestLogWriterRotation(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "sub", "log")
	w, err := openLog(path, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"aaaa\n", "bbbb\n", "cccc\n", "a line longer than max\n", "dd\n"} {
		if _, err := w.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	read := func(p string) string { b, _ := os.ReadFile(p); return string(b) }
	if got, want := read(path+".1"), "ger than m"; got != want {
		t.Errorf("rotated log = %q, want %q", got, want)
	}
	if got, want := read(path), "ax\ndd\n"; got != want {
		t.Errorf("log = %q, want %q", got, want)
	}
	// Reopening appends and knows the size.
	w, err = openLog(path, 10)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("eeeeeeee\n"))
	w.Close()
	if got, want := read(path+".1"), "ax\ndd\n"; got != want {
		t.Errorf("rotated log after reopen = %q, want %q", got, want)
	}
	// One write of many lines is split at a line end.
	path = filepath.Join(t.TempDir(), "log")
	if w, err = openLog(path, 10); err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("1\n2\n3\n4\n5\n6\n7\n"))
	w.Close()
	if got, want := read(path+".1")+"|"+read(path), "1\n2\n3\n4\n5\n|6\n7\n"; got != want {
		t.Errorf("split write: rotated|current = %q, want %q", got, want)
	}
}

func TestTailLog(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "log")
	var old, cur strings.Builder
	for i := 1; i <= 3; i++ {
		fmt.Fprintf(&old, "old %d\n", i)
	}
	// Long enough to need several chunks.
	for i := 1; i <= 5000; i++ {
		fmt.Fprintf(&cur, "new %d\n", i)
	}
	os.WriteFile(path+".1", []byte(old.String()), 0o644)
	os.WriteFile(path, []byte(cur.String()), 0o644)
	tests := []struct {
		n    int
		want string
	}{
		{2, "new 4999\nnew 5000\n"},
		{5002, "old 2\nold 3\n" + cur.String()},
		{0, ""},
	}
	for _, tt := range tests {
		got, err := TailLog(path, tt.n)
		if err != nil || got != tt.want {
			t.Errorf("TailLog(%d) = %.40q... (%d bytes), %v, want %.40q... (%d bytes)", tt.n, got, len(got), err, tt.want, len(tt.want))
		}
	}
	if _, err := TailLog(filepath.Join(dir, "missing"), 1); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("TailLog(missing) error = %v, want ErrNotExist", err)
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex // guards b
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestFollowLog(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "log")
	w, err := openLog(path, 64)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for i := 1; i <= 3; i++ {
		fmt.Fprintf(w, "before %d\n", i)
	}

	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	errc := make(chan error, 1)
	go func() { errc <- FollowLog(ctx, path, 2, &out) }()
	defer func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("FollowLog: %v", err)
		}
	}()

	want := "before 2\nbefore 3\n"
	waitFor := func() {
		t.Helper()
		checkFor(t, 5*time.Second, func() error {
			if got := out.String(); got != want {
				return fmt.Errorf("followed %q, want %q", got, want)
			}
			return nil
		})
	}
	waitFor()
	// Enough to rotate (64 bytes) several times, pausing before a second
	// rotation could replace a file the follower has not seen.
	for i := 1; i <= 30; i++ {
		line := fmt.Sprintf("after %d\n", i)
		fmt.Fprint(w, line)
		want += line
		if i%5 == 0 {
			waitFor()
		}
	}
	waitFor()
}

func TestFollowLogWhole(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "log")
	os.WriteFile(path+".1", []byte("one\n"), 0o644)
	os.WriteFile(path, []byte("two\n"), 0o644)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	var out syncBuffer
	if err := FollowLog(ctx, path, -1, &out); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "one\ntwo\n"; got != want {
		t.Errorf("FollowLog(tail -1) wrote %q, want %q", got, want)
	}
	if err := FollowLog(ctx, path+".missing", 1, &out); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("FollowLog(missing) error = %v, want ErrNotExist", err)
	}
}
