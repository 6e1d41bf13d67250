package ingress

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/skiff-sh/skiff/internal/serving/pool"
	"github.com/skiff-sh/skiff/internal/serving/proxy"
)

// fakeAcquirer maps revisions to httptest backends.
type fakeAcquirer struct {
	backends map[string]string // revision name -> addr
	err      error
}

func (f *fakeAcquirer) Acquire(ctx context.Context, key pool.RevisionKey) (*pool.Lease, error) {
	if f.err != nil {
		return nil, f.err
	}
	addr, ok := f.backends[key.Name]
	if !ok {
		return nil, pool.ErrNoRevision
	}
	return &pool.Lease{Addr: addr}, nil
}

func backend(t *testing.T, name string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %s", name, r.Host)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func TestRoutingByHostTagsAndSplit(t *testing.T) {
	acq := &fakeAcquirer{backends: map[string]string{"a": backend(t, "a"), "b": backend(t, "b")}}
	px := proxy.New(nil)
	defer px.Close()
	ing := New(acq, px, nil)
	defer ing.Close()
	ka, kb := pool.RevisionKey{Namespace: "default", Name: "a"}, pool.RevisionKey{Namespace: "default", Name: "b"}
	addr, err := ing.SetRoute(Route{
		Key: "default/web", Hosts: []string{"web.default.localhost"},
		Targets:  []Target{{Revision: ka, Percent: 75}, {Revision: kb, Percent: 25}},
		TagHosts: map[string]Target{"next-web.default.localhost": {Revision: kb}},
	})
	if err != nil || !strings.HasPrefix(addr, "http://127.0.0.1:") {
		t.Fatalf("SetRoute() = %q, %v", addr, err)
	}
	srv := httptest.NewServer(ing.Handler())
	defer srv.Close()
	get := func(host, base string) (int, string) {
		req, _ := http.NewRequest("GET", base+"/", nil)
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	counts := map[string]int{}
	for range 400 {
		_, body := get("WEB.default.localhost:8080", srv.URL)
		counts[strings.Fields(body)[0]]++
	}
	// Binomial(400, 0.75): sd 8.7; +-5 sd.
	if counts["a"] < 257 || counts["a"] > 343 {
		t.Errorf("75/25 split over 400 = %v", counts)
	}
	for range 20 {
		if _, body := get("next-web.default.localhost", srv.URL); !strings.HasPrefix(body, "b ") {
			t.Fatalf("tag host answered %q, want b", body)
		}
	}
	if code, body := get("other.default.localhost", srv.URL); code != 404 || !strings.Contains(body, "no route for host") {
		t.Errorf("unknown host = %d %q", code, body)
	}
	// The route's own address needs no Host.
	if code, body := get("anything", addr); code != 200 || (!strings.HasPrefix(body, "a ") && !strings.HasPrefix(body, "b ")) {
		t.Errorf("address = %d %q", code, body)
	}
	// A second route cannot take a claimed host.
	if _, err := ing.SetRoute(Route{Key: "default/thief", Hosts: []string{"next-web.default.localhost"}, Targets: []Target{{Revision: ka, Percent: 100}}}); err == nil || !strings.Contains(err.Error(), "already claimed") {
		t.Errorf("conflicting SetRoute() = %v, want already claimed", err)
	}
	ing.DeleteRoute("default/web")
	if code, _ := get("web.default.localhost", srv.URL); code != 404 {
		t.Errorf("after DeleteRoute = %d, want 404", code)
	}
}

func TestAcquireErrors(t *testing.T) {
	tests := []struct {
		err      error
		wantCode int
	}{
		{pool.ErrOverload, http.StatusServiceUnavailable},
		{fmt.Errorf("x: %w", pool.ErrFailed), http.StatusServiceUnavailable},
		{context.DeadlineExceeded, http.StatusGatewayTimeout},
	}
	for _, tt := range tests {
		px := proxy.New(nil)
		ing := New(&fakeAcquirer{err: tt.err}, px, nil)
		if _, err := ing.SetRoute(Route{Key: "d/r", Hosts: []string{"r.d.localhost"}, Targets: []Target{{Revision: pool.RevisionKey{Name: "r"}, Percent: 100, Timeout: time.Second}}}); err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "http://r.d.localhost/", nil)
		ing.Handler().ServeHTTP(rec, req)
		if rec.Code != tt.wantCode {
			t.Errorf("Acquire error %v: status %d, want %d", tt.err, rec.Code, tt.wantCode)
		}
		ing.Close()
		px.Close()
	}
}
