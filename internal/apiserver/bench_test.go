package apiserver

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skiff-sh/skiff/internal/apis/registry"
	"github.com/skiff-sh/skiff/internal/natsembed"
	"github.com/skiff-sh/skiff/internal/store"
)

// benchServer is the real API (every kind, the KV store on file storage,
// TLS, bearer token) behind an httptest server, as skiff serves it.
func benchServer(b *testing.B) (*http.Client, string) {
	b.Helper()
	ctx := context.Background()
	n, err := natsembed.Start(ctx, natsembed.Config{DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(n.Close)
	st, err := store.NewKV(ctx, n.JetStream(), store.KVOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	if _, err := st.Create(ctx, store.Key{Resource: "namespaces", Name: "default"}, []byte(`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"default"}}`)); err != nil {
		b.Fatal(err)
	}
	srv, err := New(Config{Kinds: registry.All(), Store: st, Token: testToken})
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewTLSServer(srv.Handler())
	b.Cleanup(hs.Close)
	tr := hs.Client().Transport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 200
	tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
	return &http.Client{Transport: tr}, hs.URL
}

func call(b *testing.B, c *http.Client, method, url, ct, body string) []byte {
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testToken)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	resp, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		b.Fatalf("%s %s = %d %s", method, url, resp.StatusCode, out)
	}
	return out
}

const benchService = `{"apiVersion":"serving.knative.dev/v1","kind":"Service","metadata":{"name":"%s"},
 "spec":{"template":{"spec":{"containers":[{"image":"/usr/bin/hello","env":[{"name":"TARGET","value":"World"}]}]}}}}`

func percentile(d []time.Duration, p float64) time.Duration {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[min(len(d)-1, int(float64(len(d))*p))]
}

// BenchmarkServiceCreateGet is one create and one get of a Knative Service
// over HTTPS with defaulting and validation (budget: p50 <= 1 ms).
func BenchmarkServiceCreateGet(b *testing.B) {
	c, url := benchServer(b)
	base := url + "/apis/serving.knative.dev/v1/namespaces/default/services"
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		name := fmt.Sprintf("svc-%d", i)
		start := time.Now()
		call(b, c, "POST", base, "application/json", fmt.Sprintf(benchService, name))
		call(b, c, "GET", base+"/"+name, "", "")
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	b.ReportMetric(float64(percentile(lat, 0.5).Microseconds()), "p50-us")
	b.ReportMetric(float64(percentile(lat, 0.99).Microseconds()), "p99-us")
}

// BenchmarkServiceList1000 lists 1,000 Services over HTTPS, as JSON and as
// the Table kubectl get asks for (budget: <= 20 ms).
func BenchmarkServiceList1000(b *testing.B) {
	c, url := benchServer(b)
	base := url + "/apis/serving.knative.dev/v1/namespaces/default/services"
	for i := range 1000 {
		call(b, c, "POST", base, "application/json", fmt.Sprintf(benchService, fmt.Sprintf("svc-%d", i)))
	}
	for _, accept := range []string{"application/json", "application/json;as=Table;v=v1;g=meta.k8s.io"} {
		name := "json"
		if strings.Contains(accept, "Table") {
			name = "table"
		}
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				req, _ := http.NewRequest("GET", base+"?limit=500", nil)
				req.Header.Set("Authorization", "Bearer "+testToken)
				req.Header.Set("Accept", accept)
				resp, err := c.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				n, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || n < 100000 {
					b.Fatalf("list = %d, %d bytes", resp.StatusCode, n)
				}
			}
		})
	}
}

// BenchmarkWatchFanout100 keeps 100 HTTP watches open on one Service and
// measures, for each update, the time until every watcher has read it
// (budget: p99 <= 10 ms).
func BenchmarkWatchFanout100(b *testing.B) {
	c, url := benchServer(b)
	base := url + "/apis/serving.knative.dev/v1/namespaces/default/services"
	out := call(b, c, "POST", base, "application/json", fmt.Sprintf(benchService, "watched"))
	rv := string(out[strings.Index(string(out), `"resourceVersion":"`)+19:])
	rv = rv[:strings.IndexByte(rv, '"')]

	const watchers = 100
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	seen := make(chan time.Time, watchers*16)
	var wg sync.WaitGroup
	for range watchers {
		req, _ := http.NewRequestWithContext(ctx, "GET", base+"?watch=true&resourceVersion="+rv+"&fieldSelector=metadata.name%3Dwatched", nil)
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := c.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer resp.Body.Close()
			sc := bufio.NewScanner(resp.Body)
			sc.Buffer(make([]byte, 1<<20), 1<<20)
			for sc.Scan() {
				seen <- time.Now()
			}
		}()
	}
	var all []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		call(b, c, "PATCH", base+"/watched", "application/merge-patch+json", fmt.Sprintf(`{"metadata":{"labels":{"i":"%d"}}}`, i))
		for range watchers {
			select {
			case at := <-seen:
				all = append(all, at.Sub(start))
			case <-time.After(10 * time.Second):
				b.Fatal("a watcher missed an update")
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(percentile(all, 0.5).Microseconds()), "p50-us")
	b.ReportMetric(float64(percentile(all, 0.99).Microseconds()), "p99-us")
	cancel()
	wg.Wait()
}
