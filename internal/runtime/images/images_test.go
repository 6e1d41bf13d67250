package images

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/skiff-sh/skiff/internal/natsembed"
)

// newStore starts an embedded NATS and opens a store on it.
func newStore(t *testing.T) (*Store, jetstream.JetStream) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n, err := natsembed.Start(ctx, natsembed.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Close)
	s, err := New(ctx, n.JetStream(), filepath.Join(t.TempDir(), "images"), nil)
	if err != nil {
		t.Fatal(err)
	}
	return s, n.JetStream()
}

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// objectNames lists the names in the bucket.
func objectNames(t *testing.T, s *Store) []string {
	t.Helper()
	infos, err := s.obs.List(context.Background())
	if errors.Is(err, jetstream.ErrNoObjectsFound) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, i := range infos {
		names = append(names, i.Name)
	}
	return names
}

func TestPutResolve(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	// Larger than one chunk (128 KiB), so that chunking is covered.
	bin := append([]byte("#!/bin/sh\necho hi\n#"), bytes.Repeat([]byte("x"), 300<<10)...)
	want := digestOf(bin)

	got, err := s.Put(ctx, bytes.NewReader(bin))
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("Put() = %s, want %s", got, want)
	}
	if has, err := s.Has(ctx, want); err != nil || !has {
		t.Errorf("Has(%s) = %v, %v; want true", want, has, err)
	}
	if has, err := s.Has(ctx, digestOf([]byte("other"))); err != nil || has {
		t.Errorf("Has(other) = %v, %v; want false", has, err)
	}

	// Idempotent: the same bytes again give the same digest and one object.
	again, err := s.Put(ctx, bytes.NewReader(bin))
	if err != nil || again != want {
		t.Fatalf("second Put() = %s, %v; want %s", again, err, want)
	}
	if names := objectNames(t, s); len(names) != 1 || names[0] != want {
		t.Errorf("objects after two puts = %v, want [%s]", names, want)
	}

	image := "skiff.local/github.com/x/y@" + want
	path, digest, err := s.Resolve(ctx, image)
	if err != nil {
		t.Fatal(err)
	}
	if digest != want {
		t.Errorf("Resolve digest = %s, want %s", digest, want)
	}
	if wantPath := filepath.Join(s.cacheDir, "sha256-"+strings.TrimPrefix(want, "sha256:")); path != wantPath {
		t.Errorf("Resolve path = %s, want %s", path, wantPath)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o755 {
		t.Errorf("mode = %v, want 0755", st.Mode().Perm())
	}
	if b, _ := os.ReadFile(path); !bytes.Equal(b, bin) {
		t.Errorf("materialized file differs from what was put")
	}

	// Later calls use the cache: they work with the object gone.
	if err := s.obs.Delete(ctx, want); err != nil {
		t.Fatal(err)
	}
	if p2, _, err := s.Resolve(ctx, "ko.local/y@"+want); err != nil || p2 != path {
		t.Errorf("cached Resolve = %s, %v; want %s", p2, err, path)
	}
	entries, _ := os.ReadDir(s.cacheDir)
	if len(entries) != 1 {
		t.Errorf("cache dir holds %d entries, want 1 (no temporary files left)", len(entries))
	}
}

func TestResolveConcurrent(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	bin := bytes.Repeat([]byte("concurrent"), 50<<10)
	d, err := s.Put(ctx, bytes.NewReader(bin))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	paths := make([]string, 8)
	errs := make([]error, 8)
	for i := range paths {
		wg.Add(1)
		go func() {
			defer wg.Done()
			paths[i], _, errs[i] = s.Resolve(ctx, "skiff.local/c@"+d)
		}()
	}
	wg.Wait()
	for i := range paths {
		if errs[i] != nil || paths[i] != paths[0] {
			t.Errorf("Resolve #%d = %s, %v; want %s", i, paths[i], errs[i], paths[0])
		}
	}
	if b, _ := os.ReadFile(paths[0]); !bytes.Equal(b, bin) {
		t.Error("materialized file differs from what was put")
	}
}

func TestResolveErrors(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	missing := digestOf([]byte("never stored"))

	_, _, err := s.Resolve(ctx, "skiff.local/a@"+missing)
	if !errors.Is(err, ErrNotStored) {
		t.Fatalf("Resolve(missing) error = %v, want ErrNotStored", err)
	}
	wantMsg := "image " + missing + " is not in skiff's image store; apply the manifest again with `skiff apply` to build it"
	if err.Error() != wantMsg {
		t.Errorf("Resolve(missing) error = %q, want %q", err, wantMsg)
	}

	for _, image := range []string{
		"skiff.local/a",
		"skiff.local/a@sha256:1234",
		"skiff.local/a@sha512:" + strings.Repeat("a", 64),
		"skiff.local/a@sha256:" + strings.Repeat("A", 64),
		"skiff.local/a@sha256:" + strings.Repeat("g", 64),
	} {
		if _, _, err := s.Resolve(ctx, image); !errors.Is(err, ErrBadReference) {
			t.Errorf("Resolve(%q) error = %v, want ErrBadReference", image, err)
		}
	}

	// Bytes stored under a name they do not hash to are refused, and no
	// file is left in the cache.
	wrong := digestOf([]byte("the real content"))
	if _, err := s.obs.PutBytes(ctx, wrong, []byte("something else")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Resolve(ctx, "skiff.local/a@"+wrong); !errors.Is(err, ErrDigestMismatch) {
		t.Errorf("Resolve(tampered) error = %v, want ErrDigestMismatch", err)
	}
	if entries, _ := os.ReadDir(s.cacheDir); len(entries) != 0 {
		t.Errorf("cache dir holds %d entries after a failed verification, want 0", len(entries))
	}
}

func TestPutFailedReadLeavesNothing(t *testing.T) {
	s, _ := newStore(t)
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader("partial"), errReader{boom})
	if _, err := s.Put(context.Background(), r); !errors.Is(err, boom) {
		t.Fatalf("Put(failing reader) error = %v, want %v", err, boom)
	}
	if names := objectNames(t, s); len(names) != 0 {
		t.Errorf("objects after a failed put = %v, want none", names)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func TestStaleUploadsDeleted(t *testing.T) {
	s, js := newStore(t)
	ctx := context.Background()
	if _, err := s.obs.PutString(ctx, tmpPrefix+"old", "left behind"); err != nil {
		t.Fatal(err)
	}
	s.deleteStaleUploads(ctx, time.Now())
	if names := objectNames(t, s); len(names) != 1 {
		t.Fatalf("objects = %v; a fresh upload must be kept", names)
	}
	s.deleteStaleUploads(ctx, time.Now().Add(2*staleUpload))
	if names := objectNames(t, s); len(names) != 0 {
		t.Errorf("objects = %v; a stale upload must be deleted", names)
	}
	// New on an existing bucket works and keeps its objects.
	d, err := s.Put(ctx, strings.NewReader("kept"))
	if err != nil {
		t.Fatal(err)
	}
	s2, err := New(ctx, js, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if has, err := s2.Has(ctx, d); err != nil || !has {
		t.Errorf("reopened Has(%s) = %v, %v; want true", d, has, err)
	}
}

func TestHandler(t *testing.T) {
	s, _ := newStore(t)
	s.maxUpload = 1 << 10
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	url := srv.URL + "/skiff/v1/images"

	body := []byte("a binary")
	resp, err := http.Post(url, "application/octet-stream", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var reply UploadReply
	err = json.NewDecoder(resp.Body).Decode(&reply)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || err != nil {
		t.Fatalf("POST = %d, decode %v; want 200", resp.StatusCode, err)
	}
	if want := digestOf(body); reply.Digest != want {
		t.Errorf("digest = %s, want %s", reply.Digest, want)
	}
	if has, _ := s.Has(context.Background(), reply.Digest); !has {
		t.Errorf("uploaded image not in the store")
	}

	tests := []struct {
		name       string
		method     string
		body       io.Reader
		want       int
		wantReason string
	}{
		{"too large with a length", http.MethodPost, bytes.NewReader(make([]byte, 2<<10)), http.StatusRequestEntityTooLarge, "RequestEntityTooLarge"},
		// A reader of unknown length is sent chunked: the limit is met while
		// streaming.
		{"too large chunked", http.MethodPost, io.LimitReader(zeros{}, 2<<10), http.StatusRequestEntityTooLarge, "RequestEntityTooLarge"},
		{"get", http.MethodGet, nil, http.StatusMethodNotAllowed, "MethodNotAllowed"},
		{"put", http.MethodPut, strings.NewReader("x"), http.StatusMethodNotAllowed, "MethodNotAllowed"},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, url, tt.body)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var st struct {
			Kind   string
			Code   int
			Reason string
		}
		_ = json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		if resp.StatusCode != tt.want || st.Kind != "Status" || st.Code != tt.want || st.Reason != tt.wantReason {
			t.Errorf("%s: status %d, body %+v; want %d with a Status of reason %s", tt.name, resp.StatusCode, st, tt.want, tt.wantReason)
		}
	}
	if names := objectNames(t, s); len(names) != 1 {
		t.Errorf("objects after refused uploads = %v, want only the first upload", names)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
