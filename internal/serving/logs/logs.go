// Package logs serves the output of a Revision's instances over HTTP, as
// `kubectl logs` reads a pod's: GET
// /skiff/v1/namespaces/{ns}/revisions/{rev}/logs streams the log files the
// instance pool writes (<dir>/<ns>/<rev>/<n>.log, rotated to <n>.log.1),
// every instance's, or one's, the last lines or all of them, and keeps
// following them when asked. Lines of different instances are prefixed by
// the instance number, as `kubectl logs --prefix` does.
package logs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/skiff-sh/skiff/internal/runtime"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// PathPrefix is where the handler is mounted.
const PathPrefix = "/skiff/v1/namespaces/"

// Log keys.
const (
	logKeyRevision = "revision"
	logKeyErr      = "err"
)

// rescanInterval is how often a follow looks for instances started since.
const rescanInterval = time.Second

// Handler serves revision logs from a log directory.
type Handler struct {
	dir    string
	log    *slog.Logger
	rescan time.Duration
	mux    *http.ServeMux
}

// New returns the handler of the logs under dir, the instance pool's
// LogDir.
func New(dir string, logger *slog.Logger) *Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	h := &Handler{dir: dir, log: logger, rescan: rescanInterval, mux: http.NewServeMux()}
	h.mux.HandleFunc(PathPrefix+"{ns}/revisions/{rev}/logs", h.serveLogs)
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeStatus(w, http.StatusNotFound, metav1.StatusReasonNotFound, "the server could not find the requested resource")
	})
	return h
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// query is a parsed logs request.
type query struct {
	follow   bool
	tail     int // < 0: everything
	instance int // 0: every instance
}

func parseQuery(r *http.Request) (query, error) {
	q := query{tail: -1}
	v := r.URL.Query()
	if s := v.Get("follow"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return q, fmt.Errorf("follow: want true or false, got %q", s)
		}
		q.follow = b
	}
	if s := v.Get("tail"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return q, fmt.Errorf("tail: want a number of lines, got %q", s)
		}
		q.tail = max(n, -1)
	}
	if s := v.Get("instance"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return q, fmt.Errorf("instance: want an instance number (1, 2, ...), got %q", s)
		}
		q.instance = n
	}
	return q, nil
}

func (h *Handler) serveLogs(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeStatus(w, http.StatusMethodNotAllowed, metav1.StatusReasonMethodNotAllowed, r.Method+" is not supported on logs")
		return
	}
	ns, rev := r.PathValue("ns"), r.PathValue("rev")
	// The names become directories: only valid object names get that far.
	if len(validation.IsDNS1123Label(ns)) > 0 || len(validation.IsDNS1123Subdomain(rev)) > 0 {
		writeStatus(w, http.StatusBadRequest, metav1.StatusReasonBadRequest, fmt.Sprintf("invalid namespace or revision name %q/%q", ns, rev))
		return
	}
	q, err := parseQuery(r)
	if err != nil {
		writeStatus(w, http.StatusBadRequest, metav1.StatusReasonBadRequest, err.Error())
		return
	}
	dir := filepath.Join(h.dir, ns, rev)
	insts, err := instances(dir, q.instance)
	if err != nil {
		h.log.Warn("list instance logs", logKeyRevision, ns+"/"+rev, logKeyErr, err)
		writeStatus(w, http.StatusInternalServerError, metav1.StatusReasonInternalError, err.Error())
		return
	}
	if len(insts) == 0 {
		msg := fmt.Sprintf("revision %q in namespace %q has no logs (no instance has run)", rev, ns)
		if q.instance > 0 {
			msg = fmt.Sprintf("revision %q in namespace %q has no instance %d", rev, ns, q.instance)
		}
		writeStatus(w, http.StatusNotFound, metav1.StatusReasonNotFound, msg)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	out := &output{w: w, rc: http.NewResponseController(w)}
	if len(insts) > 1 {
		out.prefix = true
	}
	if !q.follow {
		h.tail(out, dir, insts, q.tail)
		return
	}
	h.follow(r.Context(), out, dir, insts, q)
}

// tail writes the last n lines of each instance, one instance after the
// other.
func (h *Handler) tail(out *output, dir string, insts []int, n int) {
	for _, in := range insts {
		path := logPath(dir, in)
		var text string
		var err error
		if n < 0 {
			text, err = readAll(path)
		} else {
			text, err = runtime.TailLog(path, n)
		}
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) { // a rotation in progress
				h.log.Warn("read instance log", "path", path, logKeyErr, err)
			}
			continue
		}
		lw := out.instance(in)
		if _, err := io.WriteString(lw, text); err != nil {
			return
		}
		if err := lw.Close(); err != nil {
			return
		}
	}
}

// readAll returns the whole log at path, its rotated part first.
func readAll(path string) (string, error) {
	cur, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	old, err := os.ReadFile(path + ".1")
	if err != nil || len(old) == 0 {
		return string(cur), nil
	}
	if old[len(old)-1] != '\n' {
		old = append(old, '\n')
	}
	return string(old) + string(cur), nil
}

// follow follows every instance's log until the client goes away, and the
// logs of instances that start meanwhile (unless one instance was asked
// for). It owns one goroutine per instance and waits for them.
func (h *Handler) follow(ctx context.Context, out *output, dir string, insts []int, q query) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	following := map[int]bool{}
	start := func(in, tail int) {
		following[in] = true
		if len(following) > 1 {
			out.setPrefix()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			lw := out.instance(in)
			err := runtime.FollowLog(ctx, logPath(dir, in), tail, lw)
			_ = lw.Close()
			if err != nil && ctx.Err() == nil && !errors.Is(err, fs.ErrNotExist) {
				h.log.Debug("follow instance log", "path", logPath(dir, in), logKeyErr, err)
			}
			if out.failed() {
				cancel() // the client is gone
			}
		}()
	}
	for _, in := range insts {
		start(in, q.tail)
	}
	// Flush the headers now: the first lines may be a while.
	out.flush()
	if q.instance > 0 {
		<-ctx.Done()
		return
	}
	t := time.NewTicker(h.rescan)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now, err := instances(dir, 0)
		if err != nil {
			continue
		}
		for _, in := range now {
			if !following[in] {
				start(in, -1) // new since the request: all of it
			}
		}
	}
}

// instances lists the instance numbers with a log file in dir, ascending;
// only want when it is not 0. A missing dir has none.
func instances(dir string, want int) ([]int, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list logs: %w", err)
	}
	var insts []int
	for _, e := range entries {
		s, ok := strings.CutSuffix(e.Name(), ".log")
		if !ok || !e.Type().IsRegular() {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || strconv.Itoa(n) != s {
			continue
		}
		if want == 0 || n == want {
			insts = append(insts, n)
		}
	}
	slices.Sort(insts)
	return insts, nil
}

func logPath(dir string, instance int) string {
	return filepath.Join(dir, strconv.Itoa(instance)+".log")
}

// output is the response body shared by the instances' writers: whole
// lines, each flushed to the client as it is written.
type output struct {
	w  io.Writer
	rc *http.ResponseController

	mu     sync.Mutex // guards prefix, err and writes to w
	prefix bool       // lines carry "[n] "
	err    error      // the first write error; later writes are dropped
}

func (o *output) setPrefix() {
	o.mu.Lock()
	o.prefix = true
	o.mu.Unlock()
}

func (o *output) failed() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.err != nil
}

func (o *output) flush() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.err == nil {
		o.flushLocked()
	}
}

func (o *output) flushLocked() {
	if err := o.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		o.err = err
	}
}

// writeLines writes complete lines of one instance, and flushes.
func (o *output) writeLines(instance int, lines []byte) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.err != nil {
		return o.err
	}
	if o.prefix {
		tag := []byte("[" + strconv.Itoa(instance) + "] ")
		var b bytes.Buffer
		for len(lines) > 0 {
			i := bytes.IndexByte(lines, '\n') + 1
			if i == 0 {
				i = len(lines)
			}
			b.Write(tag)
			b.Write(lines[:i])
			lines = lines[i:]
		}
		lines = b.Bytes()
	}
	if _, err := o.w.Write(lines); err != nil {
		o.err = err
		return err
	}
	o.flushLocked()
	return o.err
}

// instance returns the writer of one instance's output.
func (o *output) instance(n int) *lineWriter { return &lineWriter{out: o, n: n} }

// lineWriter passes whole lines to the output, keeping a partial line until
// it ends (or Close), so that instances never interleave inside a line.
// Only one goroutine uses it.
type lineWriter struct {
	out     *output
	n       int
	partial []byte
}

func (l *lineWriter) Write(p []byte) (int, error) {
	i := bytes.LastIndexByte(p, '\n')
	if i < 0 {
		l.partial = append(l.partial, p...)
		return len(p), nil
	}
	lines := p[:i+1]
	if len(l.partial) > 0 {
		lines = append(l.partial, lines...)
		l.partial = nil
	}
	if err := l.out.writeLines(l.n, lines); err != nil {
		return 0, err
	}
	l.partial = append(l.partial, p[i+1:]...)
	return len(p), nil
}

// Close writes what is left of a last line, ended with a newline.
func (l *lineWriter) Close() error {
	if len(l.partial) == 0 {
		return nil
	}
	rest := append(l.partial, '\n')
	l.partial = nil
	return l.out.writeLines(l.n, rest)
}

// writeStatus writes a failure as a Kubernetes Status, as the API does.
func writeStatus(w http.ResponseWriter, code int, reason metav1.StatusReason, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(metav1.Status{
		TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   metav1.StatusFailure, Code: int32(code), Reason: reason, Message: msg,
	})
}
