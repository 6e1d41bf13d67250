package logs

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeLog writes an instance's log file (name "1.log" or "1.log.1").
func writeLog(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func appendLog(t *testing.T, path, content string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(content); err != nil {
		t.Fatal(err)
	}
}

func newServer(t *testing.T) (*httptest.Server, string) {
	t.Helper()
	root := t.TempDir()
	h := New(root, nil)
	h.rescan = 20 * time.Millisecond
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, root
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestTail(t *testing.T) {
	srv, root := newServer(t)
	one := filepath.Join(root, "default", "hello-00001")
	writeLog(t, one, "1.log.1", "r1\nr2\n")
	writeLog(t, one, "1.log", "a\nb\nc\n")
	two := filepath.Join(root, "default", "hello-00002")
	writeLog(t, two, "1.log", "x1\nx2\n")
	writeLog(t, two, "2.log", "y1\ny2\npartial")
	writeLog(t, two, "10.log", "z1\n")
	writeLog(t, two, "stray.txt", "not a log\n")
	writeLog(t, two, "3.log.1", "rotated, and the instance's current file is missing\n")
	base := srv.URL + "/skiff/v1/namespaces/default/revisions/"

	tests := []struct {
		path string
		want string
	}{
		{"hello-00001/logs", "r1\nr2\na\nb\nc\n"},
		{"hello-00001/logs?tail=2", "b\nc\n"},
		{"hello-00001/logs?tail=4", "r2\na\nb\nc\n"}, // into the rotated file
		{"hello-00001/logs?tail=0", ""},
		{"hello-00001/logs?tail=-1", "r1\nr2\na\nb\nc\n"},
		// Several instances: each line says which, instances in order.
		{"hello-00002/logs", "[1] x1\n[1] x2\n[2] y1\n[2] y2\n[2] partial\n[10] z1\n"},
		{"hello-00002/logs?tail=1", "[1] x2\n[2] partial\n[10] z1\n"},
		// One instance: no prefix.
		{"hello-00002/logs?instance=2", "y1\ny2\npartial\n"},
	}
	for _, tt := range tests {
		code, got := get(t, base+tt.path)
		if code != http.StatusOK || got != tt.want {
			t.Errorf("GET %s = %d %q, want 200 %q", tt.path, code, got, tt.want)
		}
	}
}

func TestErrors(t *testing.T) {
	srv, root := newServer(t)
	writeLog(t, filepath.Join(root, "default", "hello-00001"), "1.log", "a\n")
	base := srv.URL + "/skiff/v1/namespaces/"
	tests := []struct {
		method, path string
		want         int
		wantMsg      string
	}{
		{"GET", "default/revisions/nope/logs", 404, `revision "nope" in namespace "default" has no logs`},
		{"GET", "other/revisions/hello-00001/logs", 404, "has no logs"},
		{"GET", "default/revisions/hello-00001/logs?follow=true&instance=2", 404, "has no instance 2"},
		{"GET", "default/revisions/hello-00001/logs?tail=x", 400, "tail"},
		{"GET", "default/revisions/hello-00001/logs?follow=maybe", 400, "follow"},
		{"GET", "default/revisions/hello-00001/logs?instance=0", 400, "instance"},
		{"GET", "default/revisions/%2E%2E/logs", 400, "invalid"},
		{"GET", "Bad_NS/revisions/hello-00001/logs", 400, "invalid"},
		{"GET", "default/revisions/hello-00001", 404, "could not find"},
		{"POST", "default/revisions/hello-00001/logs", 405, "POST"},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, base+tt.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var st struct {
			Kind, Message string
			Code          int
		}
		err = json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		if resp.StatusCode != tt.want || err != nil || st.Kind != "Status" || st.Code != tt.want || !strings.Contains(st.Message, tt.wantMsg) {
			t.Errorf("%s %s = %d %+v (%v), want %d with a Status saying %q", tt.method, tt.path, resp.StatusCode, st, err, tt.want, tt.wantMsg)
		}
	}
}

// lineReader reads a streamed reply line by line, with a deadline.
type lineReader struct {
	t     *testing.T
	lines chan string
}

func streamLines(t *testing.T, body io.Reader) *lineReader {
	lr := &lineReader{t: t, lines: make(chan string, 100)}
	go func() {
		defer close(lr.lines)
		sc := bufio.NewScanner(body)
		for sc.Scan() {
			lr.lines <- sc.Text()
		}
	}()
	return lr
}

func (lr *lineReader) want(lines ...string) {
	lr.t.Helper()
	for _, want := range lines {
		select {
		case got, ok := <-lr.lines:
			if !ok {
				lr.t.Fatalf("stream ended, want line %q", want)
			}
			if got != want {
				lr.t.Fatalf("line = %q, want %q", got, want)
			}
		case <-time.After(10 * time.Second):
			lr.t.Fatalf("no line within 10s, want %q", want)
		}
	}
}

func follow(t *testing.T, url string) (*lineReader, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s = %d", url, resp.StatusCode)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return streamLines(t, resp.Body), cancel
}

func TestFollow(t *testing.T) {
	srv, root := newServer(t)
	dir := filepath.Join(root, "default", "hello-00001")
	writeLog(t, dir, "1.log", "old1\nold2\n")
	lr, cancel := follow(t, srv.URL+"/skiff/v1/namespaces/default/revisions/hello-00001/logs?follow=true&tail=1")
	defer cancel()
	lr.want("old2")

	// A line appended after the request started, written in two parts.
	path := filepath.Join(dir, "1.log")
	appendLog(t, path, "new ")
	time.Sleep(150 * time.Millisecond) // let a poll see the partial line
	appendLog(t, path, "line\n")
	lr.want("new line")

	// Rotation: the file is renamed to .log.1 and a new one started.
	appendLog(t, path, "before rotation\n")
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	appendLog(t, path, "after rotation\n")
	lr.want("before rotation", "after rotation")

	// A second instance starts: from then on lines say which instance.
	writeLog(t, dir, "2.log", "second instance\n")
	lr.want("[2] second instance")
	appendLog(t, path, "first again\n")
	lr.want("[1] first again")
}

func TestFollowEndsWithClient(t *testing.T) {
	root := t.TempDir()
	writeLog(t, filepath.Join(root, "ns", "r"), "1.log", "x\n")
	h := New(root, nil)
	ctx, cancel := context.WithCancel(context.Background())
	req := httptest.NewRequestWithContext(ctx, "GET", "/skiff/v1/namespaces/ns/revisions/r/logs?follow=1", nil)
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() {
		h.ServeHTTP(rec, req)
		close(done)
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the handler still follows after the client went away")
	}
	if got := rec.Body.String(); got != "x\n" {
		t.Errorf("body = %q, want %q", got, "x\n")
	}
	if !rec.Flushed {
		t.Error("the reply was never flushed")
	}
}

func ExampleNew() {
	root, _ := os.MkdirTemp("", "logs-example")
	defer os.RemoveAll(root)
	dir := filepath.Join(root, "default", "hello-00001")
	_ = os.MkdirAll(dir, 0o755)
	_ = os.WriteFile(filepath.Join(dir, "1.log"), []byte("hello listening on :8080\n"), 0o644)
	mux := http.NewServeMux()
	mux.Handle(PathPrefix, New(root, nil))
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/skiff/v1/namespaces/default/revisions/hello-00001/logs?tail=1", nil))
	fmt.Print(rec.Body.String())
	// Output: hello listening on :8080
}
