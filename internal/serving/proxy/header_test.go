package proxy

import (
	"bufio"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestForwarded(t *testing.T) {
	tests := []struct {
		prior           []string
		ip, host, proto string
		want            string
	}{
		{nil, "192.0.2.1", "a.example", "http", "for=192.0.2.1;host=a.example;proto=http"},
		{nil, "2001:db8::1", "a.example:8080", "https", `for="[2001:db8::1]";host="a.example:8080";proto=https`},
		{[]string{"for=1.2.3.4", "for=5.6.7.8;proto=https"}, "10.0.0.1", "", "http",
			"for=1.2.3.4, for=5.6.7.8;proto=https, for=10.0.0.1;proto=http"},
		{nil, "", `we"ird`, "http", `host="we\"ird";proto=http`},
	}
	for _, tt := range tests {
		h := http.Header{"Forwarded": tt.prior}
		if got := forwarded(h, tt.ip, tt.host, tt.proto); got != tt.want {
			t.Errorf("forwarded(%q, %q, %q, %q) = %q, want %q", tt.prior, tt.ip, tt.host, tt.proto, got, tt.want)
		}
	}
}

func TestXForwardedFor(t *testing.T) {
	tests := []struct {
		prior []string
		ip    string
		want  string
	}{
		{nil, "192.0.2.1", "192.0.2.1"},
		{[]string{"1.1.1.1"}, "192.0.2.1", "1.1.1.1, 192.0.2.1"},
		{[]string{"1.1.1.1", "2.2.2.2, 3.3.3.3"}, "::1", "1.1.1.1, 2.2.2.2, 3.3.3.3, ::1"},
		{[]string{"1.1.1.1"}, "", "1.1.1.1"},
		{nil, "", ""},
	}
	for _, tt := range tests {
		if got := xForwardedFor(http.Header{"X-Forwarded-For": tt.prior}, tt.ip); got != tt.want {
			t.Errorf("xForwardedFor(%q, %q) = %q, want %q", tt.prior, tt.ip, got, tt.want)
		}
	}
}

func TestConnectionTokens(t *testing.T) {
	h := http.Header{"Connection": {"keep-alive, x-foo", "Upgrade,X-Bar , close"}}
	if diff := cmp.Diff([]string{"X-Foo", "X-Bar"}, connectionTokens(h)); diff != "" {
		t.Errorf("connectionTokens (-want +got):\n%s", diff)
	}
}

func TestOutHeaderLeavesRequestAlone(t *testing.T) {
	r, _ := http.NewRequest("GET", "http://h/", nil)
	r.RemoteAddr = "192.0.2.9:1234"
	r.Header.Set("X-Forwarded-For", "1.1.1.1")
	r.Header.Set("Connection", "X-Foo")
	r.Header.Set("X-Foo", "1")
	before := r.Header.Clone()
	out := outHeader(r, "")
	if diff := cmp.Diff(before, r.Header); diff != "" {
		t.Errorf("outHeader changed the request header (-before +after):\n%s", diff)
	}
	if got := out.Get("X-Forwarded-For"); got != "1.1.1.1, 192.0.2.9" {
		t.Errorf("X-Forwarded-For = %q", got)
	}
	if _, ok := out["X-Foo"]; ok {
		t.Error("Connection-listed X-Foo forwarded")
	}
}

func TestParseResponseHead(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		head      bool
		wantErr   bool
		status    int
		length    int64
		keepAlive bool
		header    http.Header
	}{
		{name: "plain", in: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\n",
			status: 200, length: 5, keepAlive: true,
			header: http.Header{"Content-Length": {"5"}, "Content-Type": {"text/plain"}}},
		{name: "chunked drops length", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\nTrailer: X-T\r\n\r\n",
			status: 200, length: -1, keepAlive: true, header: http.Header{"Trailer": {"X-T"}}},
		{name: "1.0 closes", in: "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", status: 200, length: 0,
			header: http.Header{"Content-Length": {"0"}}},
		{name: "1.0 keep-alive", in: "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nContent-Length: 0\r\n\r\n",
			status: 200, length: 0, keepAlive: true, header: http.Header{"Content-Length": {"0"}}},
		{name: "no length reads to close", in: "HTTP/1.1 200 OK\r\ncontent-type: a/b\r\n\r\n", status: 200, length: -1,
			header: http.Header{"Content-Type": {"a/b"}}},
		{name: "connection-listed dropped", in: "HTTP/1.1 204 No Content\r\nConnection: X-A\r\nX-A: 1\r\nX-B:  2 \r\n\r\n",
			status: 204, length: 0, keepAlive: true, header: http.Header{"X-B": {"2"}}},
		{name: "head keeps length", head: true, in: "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", status: 200, length: 0,
			keepAlive: true, header: http.Header{"Content-Length": {"99"}}},
		{name: "bare LF", in: "HTTP/1.1 200 OK\nContent-Length: 1\n\n", status: 200, length: 1, keepAlive: true,
			header: http.Header{"Content-Length": {"1"}}},
		{name: "bad status", in: "HTTP/1.1 2x0 OK\r\n\r\n", wantErr: true},
		{name: "not http", in: "SPDY/3 200 OK\r\n\r\n", wantErr: true},
		{name: "conflicting lengths", in: "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", wantErr: true},
		{name: "obs-fold", in: "HTTP/1.1 200 OK\r\nX-A: 1\r\n  more\r\n\r\n", wantErr: true},
		{name: "gzip transfer coding", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", wantErr: true},
		{name: "space in name", in: "HTTP/1.1 200 OK\r\nX A: 1\r\n\r\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h respHead
			_, err := h.read(bufio.NewReader(strings.NewReader(tt.in)), tt.head)
			if (err != nil) != tt.wantErr {
				t.Fatalf("read(%q) error = %v, want error %t", tt.in, err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if h.status != tt.status || h.length != tt.length || h.keepAlive != tt.keepAlive {
				t.Errorf("read(%q) = status %d length %d keepAlive %t, want %d %d %t",
					tt.in, h.status, h.length, h.keepAlive, tt.status, tt.length, tt.keepAlive)
			}
			got := http.Header{}
			h.commit(got)
			if diff := cmp.Diff(tt.header, got); diff != "" {
				t.Errorf("committed header (-want +got):\n%s", diff)
			}
		})
	}
}

func TestInterimResponsesSkipped(t *testing.T) {
	in := "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"
	var h respHead
	if _, err := h.read(bufio.NewReader(strings.NewReader(in)), false); err != nil || h.status != 201 {
		t.Fatalf("read = %d, %v; want 201", h.status, err)
	}
}

func FuzzResponseHead(f *testing.F) {
	f.Add("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
	f.Add("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X\r\n\r\n5\r\nhello\r\n0\r\nX: 1\r\n\r\n")
	f.Add("HTTP/1.0 100 Continue\n\nHTTP/1.1 204 x\nConnection: a, close\n\n")
	f.Fuzz(func(t *testing.T, in string) {
		var h respHead
		br := bufio.NewReaderSize(strings.NewReader(in), 64)
		if _, err := h.read(br, false); err != nil {
			return
		}
		h.commit(http.Header{})
		if h.chunked {
			_ = h.readTrailers(br)
		}
	})
}

func TestLargeResponseHead(t *testing.T) {
	for _, n := range []int{100, 16 << 10, 40 << 10, 300 << 10} {
		cookie := strings.Repeat("c", n)
		in := "HTTP/1.1 200 OK\r\nSet-Cookie: " + cookie + "\r\nContent-Length: 4\r\n\r\nbody"
		var h respHead
		br := bufio.NewReaderSize(strings.NewReader(in), 16<<10)
		if _, err := h.read(br, false); err != nil {
			t.Fatalf("%d-byte header: %v", n, err)
		}
		got := http.Header{}
		h.commit(got)
		if got.Get("Set-Cookie") != cookie || h.length != 4 {
			t.Fatalf("%d-byte header: Set-Cookie of %d bytes, length %d", n, len(got.Get("Set-Cookie")), h.length)
		}
		if rest, _ := br.Peek(4); string(rest) != "body" {
			t.Errorf("%d-byte header: body starts %q", n, rest)
		}
	}
	huge := "HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("x", 2<<20) + "\r\n\r\n"
	var h respHead
	if _, err := h.read(bufio.NewReaderSize(strings.NewReader(huge), 16<<10), false); err == nil {
		t.Error("2 MiB header accepted, want errHeaderTooLarge")
	}
}
