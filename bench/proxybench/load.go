package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// The load generators speak HTTP/1.1 over raw keep-alive connections with a
// prebuilt request and a minimal response parser, so that they take as
// little of the shared CPU as they can: every cycle they spend is one the
// proxy under test cannot.

// conn is one keep-alive client connection.
type conn struct {
	c   net.Conn
	br  *bufio.Reader
	req []byte
}

func dial(addr string, req []byte) (*conn, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &conn{c: c, br: bufio.NewReaderSize(c, 16<<10), req: req}, nil
}

var errBadResponse = errors.New("bad response")

// do sends the request and reads one whole response; it returns the status.
func (c *conn) do() (int, error) {
	if _, err := c.c.Write(c.req); err != nil {
		return 0, err
	}
	line, err := c.br.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, fmt.Errorf("%w: status line %q", errBadResponse, line)
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, fmt.Errorf("%w: status line %q", errBadResponse, line)
	}
	length, chunked, closing := -1, false, false
	for {
		line, err = c.br.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		if len(line) <= 2 {
			break
		}
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		v = bytes.TrimSpace(v)
		switch {
		case asciiEqualFold(k, "content-length"):
			length, err = strconv.Atoi(string(v))
			if err != nil {
				return 0, fmt.Errorf("%w: content-length %q", errBadResponse, v)
			}
		case asciiEqualFold(k, "transfer-encoding"):
			chunked = asciiEqualFold(v, "chunked")
		case asciiEqualFold(k, "connection"):
			closing = asciiEqualFold(v, "close")
		}
	}
	switch {
	case chunked:
		for {
			line, err = c.br.ReadSlice('\n')
			if err != nil {
				return 0, err
			}
			n, err := strconv.ParseInt(string(bytes.TrimSpace(line)), 16, 64)
			if err != nil {
				return 0, fmt.Errorf("%w: chunk size %q", errBadResponse, line)
			}
			if _, err := c.br.Discard(int(n) + 2); err != nil {
				return 0, err
			}
			if n == 0 {
				break
			}
		}
	case length > 0:
		if _, err := c.br.Discard(length); err != nil {
			return 0, err
		}
	case length < 0:
		return 0, fmt.Errorf("%w: no length", errBadResponse)
	}
	if closing {
		return status, io.EOF
	}
	return status, nil
}

func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

func buildRequest(host string) []byte {
	return []byte("GET / HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: proxybench\r\nAccept: */*\r\n\r\n")
}

// closedLoop keeps conns requests in flight on as many keep-alive
// connections for d and returns the completed requests and errors.
func closedLoop(ctx context.Context, addr string, req []byte, conns int, d time.Duration) (ok, failed int64, err error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var okN, failN atomic.Int64
	var wg sync.WaitGroup
	var firstErr error
	var once sync.Once
	for range conns {
		c, err := dial(addr, req)
		if err != nil {
			return 0, 0, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { _ = c.c.Close() }()
			var n, f int64
			for ctx.Err() == nil {
				status, err := c.do()
				if err != nil || status != 200 {
					f++
					once.Do(func() { firstErr = fmt.Errorf("status %d: %v", status, err) })
					_ = c.c.Close()
					nc, err := dial(addr, req)
					if err != nil {
						c = &conn{c: nopConn{}}
						break
					}
					c = nc
					continue
				}
				n++
			}
			okN.Add(n)
			failN.Add(f)
		}()
	}
	wg.Wait()
	return okN.Load(), failN.Load(), firstErr
}

// latencies holds sorted request latencies.
type latencies []time.Duration

func (l latencies) pct(p float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	i := int(float64(len(l)-1) * p / 100)
	return l[i]
}

// openLoop sends rate requests per second for d, each on an idle
// connection of a small pool, whatever the earlier ones did, and returns
// each request's latency from write to the end of the response.
func openLoop(ctx context.Context, addr string, req []byte, rate int, d time.Duration) (latencies, int64, error) {
	const workers = 32
	total := int(d.Seconds() * float64(rate))
	jobs := make(chan struct{}, total)
	res := make([][]time.Duration, workers)
	var failed atomic.Int64
	var wg sync.WaitGroup
	for i := range workers {
		c, err := dial(addr, req)
		if err != nil {
			return nil, 0, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { _ = c.c.Close() }()
			out := make([]time.Duration, 0, total/workers*2)
			for range jobs {
				t0 := time.Now()
				status, err := c.do()
				el := time.Since(t0)
				if err != nil || status != 200 {
					failed.Add(1)
					_ = c.c.Close()
					nc, err := dial(addr, req)
					if err != nil {
						c = &conn{c: nopConn{}}
						return
					}
					c = nc
					continue
				}
				out = append(out, el)
			}
			res[i] = out
		}()
	}
	interval := time.Second / time.Duration(rate)
	start := time.Now()
	for i := range total {
		next := start.Add(time.Duration(i) * interval)
		if w := time.Until(next); w > 0 {
			time.Sleep(w)
		}
		if ctx.Err() != nil {
			break
		}
		jobs <- struct{}{}
	}
	close(jobs)
	wg.Wait()
	var all latencies
	for _, r := range res {
		all = append(all, r...)
	}
	slices.Sort(all)
	return all, failed.Load(), nil
}

// nopConn stands in for a connection that could not be redialled.
type nopConn struct{ net.Conn }

func (nopConn) Close() error { return nil }
