package sender

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkRoundTrip posts 1 KiB events to a local server, through the lean
// path and through a clone of http.DefaultTransport as the dispatcher used
// before.
func BenchmarkRoundTrip(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	payload := bytes.Repeat([]byte("x"), 1<<10)

	lean := New(Options{})
	defer lean.Close()
	nethttp := http.DefaultTransport.(*http.Transport).Clone()
	nethttp.MaxIdleConnsPerHost = 256
	defer nethttp.CloseIdleConnections()

	for _, bb := range []struct {
		name string
		rt   http.RoundTripper
	}{{"lean", lean}, {"nethttp", nethttp}} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(payload)))
			for b.Loop() {
				req, err := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(payload))
				if err != nil {
					b.Fatal(err)
				}
				req.Header.Set("Content-Type", "application/cloudevents+json")
				resp, err := bb.rt.RoundTrip(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusAccepted {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
		})
	}
}
