package proxy

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A tiny RFC 6455 peer: enough framing for an echo test.

const wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

func wsAccept(key string) string {
	h := sha1.Sum([]byte(key + wsGUID))
	return base64.StdEncoding.EncodeToString(h[:])
}

// wsWrite writes one final frame; client frames are masked.
func wsWrite(w io.Writer, op byte, payload []byte, mask bool) error {
	var hdr []byte
	hdr = append(hdr, 0x80|op)
	var m byte
	if mask {
		m = 0x80
	}
	switch n := len(payload); {
	case n < 126:
		hdr = append(hdr, m|byte(n))
	case n < 1<<16:
		hdr = append(hdr, m|126)
		hdr = binary.BigEndian.AppendUint16(hdr, uint16(n))
	default:
		hdr = append(hdr, m|127)
		hdr = binary.BigEndian.AppendUint64(hdr, uint64(n))
	}
	body := payload
	if mask {
		key := [4]byte{1, 2, 3, 4}
		hdr = append(hdr, key[:]...)
		body = make([]byte, len(payload))
		for i := range payload {
			body[i] = payload[i] ^ key[i%4]
		}
	}
	_, err := w.Write(append(hdr, body...))
	return err
}

func wsRead(r io.Reader) (op byte, payload []byte, err error) {
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, nil, err
	}
	op = h[0] & 0x0f
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return 0, nil, err
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return 0, nil, err
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	var key [4]byte
	masked := h[1]&0x80 != 0
	if masked {
		if _, err := io.ReadFull(r, key[:]); err != nil {
			return 0, nil, err
		}
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		return 0, nil, err
	}
	if masked {
		for i := range payload {
			payload[i] ^= key[i%4]
		}
	}
	return op, payload, nil
}

// wsEcho is a WebSocket backend that echoes every frame until a close.
var wsEcho = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") || !hasToken(r.Header["Connection"], "upgrade") {
		http.Error(w, "websocket only", http.StatusBadRequest)
		return
	}
	c, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer c.Close()
	_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: " + wsAccept(r.Header.Get("Sec-WebSocket-Key")) + "\r\n" +
		"X-Backend: ws\r\n\r\n")
	_ = brw.Flush()
	for {
		op, p, err := wsRead(brw)
		if err != nil {
			return
		}
		if err := wsWrite(c, op, p, false); err != nil || op == 0x8 {
			return
		}
	}
})

func TestWebSocketEcho(t *testing.T) {
	forEachPath(t, func(t *testing.T, fast bool) {
		rg := newRig(t, fast, wsEcho, Options{Timeout: 200 * time.Millisecond, IdleTimeout: 100 * time.Millisecond})
		c, err := net.Dial("tcp", hostOf(rg.url()))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		key := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef"))
		_, _ = io.WriteString(c, "GET /chat HTTP/1.1\r\nHost: ws.default.example.com\r\nUpgrade: websocket\r\n"+
			"Connection: keep-alive, Upgrade\r\nSec-WebSocket-Key: "+key+"\r\nSec-WebSocket-Version: 13\r\n\r\n")
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusSwitchingProtocols || resp.Header.Get("Sec-WebSocket-Accept") != wsAccept(key) ||
			!strings.EqualFold(resp.Header.Get("Upgrade"), "websocket") || resp.Header.Get("X-Backend") != "ws" {
			t.Fatalf("handshake answer %d %v", resp.StatusCode, resp.Header)
		}
		// Past the request timeouts: they govern only the handshake.
		time.Sleep(250 * time.Millisecond)
		for _, msg := range [][]byte{[]byte("hello"), bytes.Repeat([]byte("x"), 300), bytes.Repeat([]byte("y"), 70000)} {
			if err := wsWrite(c, 0x1, msg, true); err != nil {
				t.Fatal(err)
			}
			op, got, err := wsRead(br)
			if err != nil {
				t.Fatal(err)
			}
			if op != 0x1 || !bytes.Equal(got, msg) {
				t.Fatalf("echo of %d bytes: op %d, %d bytes", len(msg), op, len(got))
			}
		}
		_ = wsWrite(c, 0x8, []byte{0x03, 0xe8}, true)
		if op, _, err := wsRead(br); err != nil || op != 0x8 {
			t.Fatalf("close echo: op %d, %v", op, err)
		}
		// The backend closed: so does the proxy, and Forward returns.
		_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
		if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
			t.Errorf("after close: %v, want EOF", err)
		}
		checkFor(t, 2*time.Second, func() error {
			rg.mu.Lock()
			defer rg.mu.Unlock()
			if len(rg.errs) != 1 || rg.errs[0] != nil {
				return errors.New("Forward has not returned nil")
			}
			return nil
		})
	})
}

func TestUpgradeRefusedByBackend(t *testing.T) {
	forEachPath(t, func(t *testing.T, fast bool) {
		rg := newRig(t, fast, wsEcho, Options{})
		resp, body := rawExchange(t, hostOf(rg.url()),
			"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: something-else\r\nConnection: Upgrade\r\n\r\n")
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "websocket only") {
			t.Errorf("got %d %q, want the backend's 400", resp.StatusCode, body)
		}
	})
}
