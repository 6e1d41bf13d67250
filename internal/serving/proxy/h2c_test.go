package proxy

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/h2c"
)

// h2cServer serves h as the ingress and a gRPC instance do: HTTP/2 over
// cleartext, prior knowledge or upgrade.
func h2cServer(t *testing.T, h http.Handler) *httptest.Server {
	s := httptest.NewServer(h2c.NewHandler(h, &http2.Server{}))
	t.Cleanup(s.Close)
	return s
}

// h2cClient speaks HTTP/2 with prior knowledge over cleartext.
func h2cClient() *http.Client {
	return &http.Client{Transport: &http2.Transport{
		AllowHTTP: true,
		DialTLSContext: func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}}
}

func TestH2CBackendTrailers(t *testing.T) {
	type seen struct {
		proto, te, host, body string
	}
	got := make(chan seen, 1)
	backend := h2cServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.Proto, r.Header.Get("Te"), r.Host, string(b)}
		w.Header().Set("Content-Type", "application/grpc")
		_, _ = w.Write([]byte("\x00\x00\x00\x00\x02hi"))
		// As grpc-go does: trailers not declared up front.
		w.Header().Set(http.TrailerPrefix+"Grpc-Status", "0")
		w.Header().Set(http.TrailerPrefix+"Grpc-Message", "ok")
	}))
	p := New(nil)
	defer p.Close()
	front := h2cServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = p.Forward(w, r, hostOf(backend.URL), Options{Protocol: H2C, Timeout: 5 * time.Second})
	}))

	req, _ := http.NewRequest("POST", front.URL+"/pkg.Svc/Method", strings.NewReader("\x00\x00\x00\x00\x03req"))
	req.Host = "grpc.default.example.com"
	req.Header.Set("Content-Type", "application/grpc")
	req.Header.Set("Te", "trailers")
	resp, err := h2cClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if resp.ProtoMajor != 2 || string(body) != "\x00\x00\x00\x00\x02hi" {
		t.Errorf("client got %s %q", resp.Proto, body)
	}
	if resp.Trailer.Get("Grpc-Status") != "0" || resp.Trailer.Get("Grpc-Message") != "ok" {
		t.Errorf("trailers = %v, want grpc-status 0", resp.Trailer)
	}
	s := <-got
	if s.proto != "HTTP/2.0" || s.te != "trailers" || s.host != "grpc.default.example.com" || s.body != "\x00\x00\x00\x00\x03req" {
		t.Errorf("backend saw %+v", s)
	}
}

func TestH2CStreamingBothWays(t *testing.T) {
	backend := h2cServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Echo each line as it arrives: full duplex.
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		br := bufio.NewReader(r.Body)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			_, _ = io.WriteString(w, "echo "+line)
			w.(http.Flusher).Flush()
		}
	}))
	p := New(nil)
	defer p.Close()
	front := h2cServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = p.Forward(w, r, hostOf(backend.URL), Options{Protocol: H2C})
	}))
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", front.URL, pr)
	resp, err := h2cClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	for _, msg := range []string{"one\n", "two\n"} {
		if _, err := io.WriteString(pw, msg); err != nil {
			t.Fatal(err)
		}
		line, err := br.ReadString('\n')
		if err != nil || line != "echo "+msg {
			t.Fatalf("got %q, %v; want echo %q", line, err, msg)
		}
	}
	pw.Close()
}

func TestH2CClientToHTTP1Backend(t *testing.T) {
	forEachPath(t, func(t *testing.T, fast bool) {
		backend := httptest.NewServer(echo)
		defer backend.Close()
		p := New(nil)
		p.noFastPath = !fast
		defer p.Close()
		front := h2cServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_ = p.Forward(w, r, hostOf(backend.URL), Options{})
		}))
		for _, body := range []string{"", "a small body", strings.Repeat("z", 100000)} {
			req, _ := http.NewRequest("POST", front.URL, io.MultiReader(strings.NewReader(body)))
			resp, err := h2cClient().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || string(got) != body {
				t.Errorf("POST of %d bytes: %d, %d bytes back", len(body), resp.StatusCode, len(got))
			}
		}
	})
}
