// Package images is skiff's image store: the Go binaries that `skiff apply`
// builds from ko:// import paths, kept content-addressed ("sha256:<hex>") in
// a NATS JetStream object store, so that every skiff node sharing the NATS
// sees them. A node runs an image by materializing it once into a local
// cache directory, verified against its digest.
package images

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Bucket is the JetStream object store that holds the images.
const Bucket = "skiff-images"

// tmpPrefix names objects still being uploaded; they are renamed to their
// digest when complete.
const tmpPrefix = "tmp-"

// staleUpload is the age after which New deletes an upload left behind by a
// process that died mid-way.
const staleUpload = time.Hour

// Log keys.
const (
	logKeyDigest = "digest"
	logKeySize   = "size"
	logKeyObject = "object"
	logKeyErr    = "err"
)

// Sentinel errors.
var (
	// ErrNotStored: the digest is not in the store.
	ErrNotStored = errors.New("image not in store")
	// ErrBadReference: the image reference has no valid sha256 digest.
	ErrBadReference = errors.New("not a digest reference")
	// ErrDigestMismatch: the stored bytes do not hash to their name.
	ErrDigestMismatch = errors.New("digest mismatch")
)

// notStoredError says plainly what to do about a missing image.
type notStoredError struct{ digest string }

func (e *notStoredError) Error() string {
	return fmt.Sprintf("image %s is not in skiff's image store; apply the manifest again with `skiff apply` to build it", e.digest)
}

func (e *notStoredError) Unwrap() error { return ErrNotStored }

// Store keeps images in the object store and materializes them into a cache
// directory. It is safe for concurrent use.
type Store struct {
	obs      jetstream.ObjectStore
	cacheDir string
	log      *slog.Logger
	// maxUpload bounds Handler's request bodies: MaxUploadBytes but in tests.
	maxUpload int64

	// finalize serializes the step that names a complete upload by its
	// digest, so that two uploads of one binary never both publish it (the
	// loser's chunks would stay in the bucket, unreferenced).
	finalize sync.Mutex

	mu      sync.Mutex             // guards fetches
	fetches map[string]*fetchMutex // per digest: one materialization at a time
}

// fetchMutex is a per-digest lock with a count of its holders and waiters.
type fetchMutex struct {
	mu   sync.Mutex
	refs int // guarded by Store.mu
}

// New opens (creating it if needed) the image bucket on js, with file
// storage, and the cache directory, and deletes uploads left behind.
func New(ctx context.Context, js jetstream.JetStream, cacheDir string, logger *slog.Logger) (*Store, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return nil, fmt.Errorf("create image cache: %w", err)
	}
	obs, err := js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket:      Bucket,
		Description: "skiff images: binaries built from ko:// import paths, by sha256 digest",
		Storage:     jetstream.FileStorage,
	})
	if err != nil {
		return nil, fmt.Errorf("open image store: %w", err)
	}
	s := &Store{obs: obs, cacheDir: cacheDir, log: logger, maxUpload: MaxUploadBytes, fetches: map[string]*fetchMutex{}}
	s.deleteStaleUploads(ctx, time.Now())
	return s, nil
}

// deleteStaleUploads removes temporary objects older than staleUpload. Newer
// ones may belong to another node's upload in progress.
func (s *Store) deleteStaleUploads(ctx context.Context, now time.Time) {
	infos, err := s.obs.List(ctx)
	if err != nil {
		if !errors.Is(err, jetstream.ErrNoObjectsFound) {
			s.log.Warn("list images", logKeyErr, err)
		}
		return
	}
	for _, info := range infos {
		if strings.HasPrefix(info.Name, tmpPrefix) && now.Sub(info.ModTime) > staleUpload {
			if err := s.obs.Delete(ctx, info.Name); err != nil {
				s.log.Warn("delete stale upload", logKeyObject, info.Name, logKeyErr, err)
			}
		}
	}
}

// Put stores the bytes of r and returns their digest, "sha256:<hex>". It
// hashes while streaming into a temporary object and then names that object
// by the digest; storing bytes already present changes nothing.
func (s *Store) Put(ctx context.Context, r io.Reader) (string, error) {
	var rnd [12]byte
	_, _ = rand.Read(rnd[:])
	tmp := tmpPrefix + hex.EncodeToString(rnd[:])
	h := sha256.New()
	info, err := s.obs.Put(ctx, jetstream.ObjectMeta{Name: tmp}, io.TeeReader(r, h))
	if err != nil {
		// Put purges its chunks on a read error; a failure after the meta
		// was written leaves an object to delete.
		s.deleteQuietly(ctx, tmp)
		return "", fmt.Errorf("put image: %w", err)
	}
	sum := h.Sum(nil)
	digest := "sha256:" + hex.EncodeToString(sum)
	if want := "SHA-256=" + base64.URLEncoding.EncodeToString(sum); info.Digest != want {
		s.deleteQuietly(ctx, tmp)
		return "", fmt.Errorf("put image: %w: the object store computed %s, skiff %s", ErrDigestMismatch, info.Digest, want)
	}

	s.finalize.Lock()
	defer s.finalize.Unlock()
	_, err = s.obs.GetInfo(ctx, digest)
	switch {
	case err == nil:
		s.deleteQuietly(ctx, tmp)
		return digest, nil
	case !errors.Is(err, jetstream.ErrObjectNotFound):
		s.deleteQuietly(ctx, tmp)
		return "", fmt.Errorf("put image %s: %w", digest, err)
	}
	err = s.obs.UpdateMeta(ctx, tmp, jetstream.ObjectMeta{Name: digest})
	if errors.Is(err, jetstream.ErrObjectAlreadyExists) {
		// Another node stored it meanwhile.
		s.deleteQuietly(ctx, tmp)
		return digest, nil
	}
	if err != nil {
		s.deleteQuietly(ctx, tmp)
		return "", fmt.Errorf("put image %s: %w", digest, err)
	}
	s.log.Info("stored image", logKeyDigest, digest, logKeySize, info.Size)
	return digest, nil
}

// deleteQuietly deletes an object, even when ctx has ended, and only logs a
// failure: it cleans up after another error.
func (s *Store) deleteQuietly(ctx context.Context, name string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := s.obs.Delete(ctx, name); err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
		s.log.Warn("delete image object", logKeyObject, name, logKeyErr, err)
	}
}

// Has reports whether the store holds digest ("sha256:<hex>").
func (s *Store) Has(ctx context.Context, digest string) (bool, error) {
	if _, err := parseDigest(digest); err != nil {
		return false, err
	}
	_, err := s.obs.GetInfo(ctx, digest)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, jetstream.ErrObjectNotFound):
		return false, nil
	}
	return false, fmt.Errorf("look up image %s: %w", digest, err)
}

// Resolve returns the path of the executable of image, a reference of the
// form "<name>@sha256:<hex>" (skiff writes "skiff.local/<import
// path>@sha256:<hex>", ko "ko.local/<name>@sha256:<hex>"), and its digest.
// The first call for a digest copies it from the store into the cache
// directory, verified; later calls find it there. It implements the
// revision reconciler's ImageResolver for stored images.
func (s *Store) Resolve(ctx context.Context, image string) (path, digest string, err error) {
	_, d, ok := strings.Cut(image, "@")
	if !ok {
		return "", "", fmt.Errorf("resolve image %q: %w", image, ErrBadReference)
	}
	hexSum, err := parseDigest(d)
	if err != nil {
		return "", "", fmt.Errorf("resolve image %q: %w", image, err)
	}
	path = filepath.Join(s.cacheDir, "sha256-"+hexSum)
	if cached(path) {
		return path, d, nil
	}

	fm := s.lockFetch(d)
	defer s.unlockFetch(d, fm)
	if cached(path) { // materialized while this call waited
		return path, d, nil
	}
	if err := s.materialize(ctx, d, hexSum, path); err != nil {
		return "", "", err
	}
	return path, d, nil
}

// cached reports whether path is an executable file already.
func cached(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

func (s *Store) lockFetch(digest string) *fetchMutex {
	s.mu.Lock()
	fm := s.fetches[digest]
	if fm == nil {
		fm = &fetchMutex{}
		s.fetches[digest] = fm
	}
	fm.refs++
	s.mu.Unlock()
	fm.mu.Lock()
	return fm
}

func (s *Store) unlockFetch(digest string, fm *fetchMutex) {
	fm.mu.Unlock()
	s.mu.Lock()
	fm.refs--
	if fm.refs == 0 {
		delete(s.fetches, digest)
	}
	s.mu.Unlock()
}

// materialize copies the object into a temporary file beside path, checks
// that it hashes to its name, makes it executable and renames it to path,
// so that path only ever holds a whole, verified binary.
func (s *Store) materialize(ctx context.Context, digest, hexSum, path string) error {
	res, err := s.obs.Get(ctx, digest)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return &notStoredError{digest: digest}
	}
	if err != nil {
		return fmt.Errorf("get image %s: %w", digest, err)
	}
	defer res.Close()
	f, err := os.CreateTemp(s.cacheDir, ".tmp-sha256-"+hexSum+"-*")
	if err != nil {
		return fmt.Errorf("materialize image %s: %w", digest, err)
	}
	done := false
	defer func() {
		if !done {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(f, h), res); err != nil {
		return fmt.Errorf("materialize image %s: %w", digest, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != hexSum {
		return fmt.Errorf("materialize image %s: %w: the stored bytes hash to sha256:%s", digest, ErrDigestMismatch, got)
	}
	if err := f.Chmod(0o755); err != nil {
		return fmt.Errorf("materialize image %s: %w", digest, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("materialize image %s: %w", digest, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("materialize image %s: %w", digest, err)
	}
	done = true
	s.log.Debug("materialized image", logKeyDigest, digest)
	return nil
}

// parseDigest checks a "sha256:<64 lower-case hex>" digest and returns the
// hex part.
func parseDigest(d string) (string, error) {
	h, ok := strings.CutPrefix(d, "sha256:")
	if !ok || len(h) != sha256.Size*2 || strings.ToLower(h) != h {
		return "", fmt.Errorf("%w: %q is not sha256:<64 hex digits>", ErrBadReference, d)
	}
	if _, err := hex.DecodeString(h); err != nil {
		return "", fmt.Errorf("%w: %q is not sha256:<64 hex digits>", ErrBadReference, d)
	}
	return h, nil
}
