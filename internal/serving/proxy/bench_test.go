package proxy

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// discardWriter is a ResponseWriter that keeps nothing, so that the
// benchmarks measure the backend side of Forward alone.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

func benchmarkForward(b *testing.B, fast bool, opts Options) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Content-Type"] = []string{"text/plain"}
		_, _ = w.Write([]byte("hello"))
	}))
	defer backend.Close()
	p := New(nil)
	p.noFastPath = !fast
	defer p.Close()
	addr := backend.Listener.Addr().String()
	r := httptest.NewRequest("GET", "http://hello.default.example.com/", nil)
	r.Header.Set("User-Agent", "bench")
	r.Header.Set("Accept", "*/*")
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w := &discardWriter{h: http.Header{}}
		if err := p.Forward(w, r, addr, opts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkForward(b *testing.B) {
	knative := Options{Timeout: 300 * time.Second, ResponseStartTimeout: 300 * time.Second}
	b.Run("fast", func(b *testing.B) { benchmarkForward(b, true, Options{}) })
	b.Run("fast-timeouts", func(b *testing.B) { benchmarkForward(b, true, knative) })
	b.Run("nethttp", func(b *testing.B) { benchmarkForward(b, false, Options{}) })
	b.Run("nethttp-timeouts", func(b *testing.B) { benchmarkForward(b, false, knative) })
}
