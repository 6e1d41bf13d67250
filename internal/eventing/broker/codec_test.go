package broker

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
)

func TestCodecRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 28, 10, 30, 0, 123456789, time.UTC)
	tests := []struct {
		name  string
		build func(e *event.Event)
	}{
		{"required only", func(*event.Event) {}},
		{"every attribute", func(e *event.Event) {
			e.SetSubject("photos/1.jpg")
			e.SetTime(at)
			e.SetDataSchema("https://example.com/schema.json")
			e.SetExtension("partitionkey", "p-1")
			e.SetExtension(ExtTTL, 254)
			e.SetExtension("flag", true)
			_ = e.SetData("application/json", json.RawMessage(`{"hello":"world"}`))
		}},
		{"binary data", func(e *event.Event) {
			_ = e.SetData("image/jpeg", []byte{0xff, 0xd8, 0xff, 0x00, 0x01, '\n', 0xd9})
		}},
		{"text without content type", func(e *event.Event) {
			e.DataEncoded = []byte("not json at all")
		}},
		{"content type without data", func(e *event.Event) {
			e.SetDataContentType("text/plain")
		}},
		{"id with surrounding space", func(e *event.Event) {
			e.Context.(*event.EventContextV1).ID = " id-1 " // as JSON decoding leaves it
		}},
		{"subject with a line break", func(e *event.Event) {
			e.SetSubject("line1\nline2")
			_ = e.SetData("text/plain", "text")
		}},
		{"extension with padding", func(e *event.Event) {
			e.SetExtension("note", " padded ")
			e.DataEncoded = []byte("not json") // stored as data_base64 then
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := event.New()
			in.SetID("id-1")
			in.SetSource("/src")
			in.SetType("dev.example.test")
			tt.build(&in)
			if err := in.Validate(); err != nil {
				t.Fatalf("test event invalid: %v", err)
			}
			msg, err := EncodeMsg("skiff.broker.ns.b", in)
			if err != nil {
				t.Fatalf("EncodeMsg: %v", err)
			}
			if msg.Subject != "skiff.broker.ns.b" {
				t.Errorf("subject = %q", msg.Subject)
			}
			out, err := DecodeMsg(msg.Header, msg.Data)
			if err != nil {
				t.Fatalf("DecodeMsg: %v", err)
			}
			if err := out.Validate(); err != nil {
				t.Fatalf("decoded event invalid: %v", err)
			}
			checkSameEvent(t, in, out)
		})
	}
}

// checkSameEvent compares two events attribute by attribute, extensions by
// their canonical string form (headers carry strings, as HTTP's binary
// mode does).
func checkSameEvent(t *testing.T, want, got event.Event) {
	t.Helper()
	str := func(e event.Event) map[string]string {
		m := map[string]string{
			"specversion":     e.SpecVersion(),
			"id":              e.ID(),
			"source":          e.Source(),
			"type":            e.Type(),
			"subject":         e.Subject(),
			"dataschema":      e.DataSchema(),
			"datacontenttype": e.DataContentType(),
			"time":            e.Time().UTC().Format(time.RFC3339Nano),
		}
		for k := range e.Extensions() {
			v, err := e.Context.GetExtension(k)
			if err != nil {
				t.Fatalf("extension %s: %v", k, err)
			}
			m["ext:"+k] = toString(t, v)
		}
		return m
	}
	w, g := str(want), str(got)
	for k, v := range w {
		if g[k] != v {
			t.Errorf("%s = %q, want %q", k, g[k], v)
		}
	}
	for k := range g {
		if _, ok := w[k]; !ok {
			t.Errorf("unexpected %s = %q", k, g[k])
		}
	}
	if !bytes.Equal(got.Data(), want.Data()) {
		t.Errorf("data = %q, want %q", got.Data(), want.Data())
	}
}

func toString(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var s string
	if json.Unmarshal(b, &s) == nil {
		return s
	}
	return string(b)
}

// Events stored as structured JSON, the format before the binary one, are
// still read.
func TestDecodeMsgStructuredJSON(t *testing.T) {
	body := []byte(`{"specversion":"1.0","id":"old-1","source":"/old","type":"dev.example.old","knativebrokerttl":200,"datacontenttype":"application/json","data":{"a":1}}`)
	e, err := DecodeMsg(nats.Header{}, body)
	if err != nil {
		t.Fatalf("DecodeMsg: %v", err)
	}
	if e.ID() != "old-1" || e.Type() != "dev.example.old" || string(e.Data()) != `{"a":1}` {
		t.Errorf("decoded %v", e)
	}
	if ttl, ok := TTL(e); !ok || ttl != 200 {
		t.Errorf("ttl = %d, %v", ttl, ok)
	}
}

func TestDecodeMsgErrors(t *testing.T) {
	tests := []struct {
		name   string
		header nats.Header
		body   string
	}{
		{"not json", nats.Header{}, "garbage"},
		{"unknown specversion", nats.Header{"ce-specversion": {"9.9"}}, ""},
		{"bad time", nats.Header{"ce-specversion": {"1.0"}, "ce-time": {"yesterday"}}, ""},
		{"bad extension name", nats.Header{"ce-specversion": {"1.0"}, "ce-Bad_Name": {"x"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := DecodeMsg(tt.header, []byte(tt.body)); err == nil {
				t.Error("DecodeMsg succeeded, want an error")
			}
		})
	}
}

// The context of an event the ce- headers cannot carry exactly goes in
// one header as JSON; the data stays the body, byte for byte.
func TestEncodeMsgContextHeader(t *testing.T) {
	e := event.New()
	e.SetSource("/src")
	e.SetType("t")
	// SetID trims; a structured event decoded from JSON does not.
	e.Context.(*event.EventContextV1).ID = "id "
	data := []byte(`{"a": "<b>"}` + "\n")
	e.SetDataContentType("application/json")
	e.DataEncoded = data // as the ingress keeps it
	msg, err := EncodeMsg("s", e)
	if err != nil {
		t.Fatal(err)
	}
	if c := first(msg.Header, storedContext); !json.Valid([]byte(c)) || first(msg.Header, storedSpecVersion) != "" {
		t.Errorf("header %v: want the context as JSON in %s", msg.Header, storedContext)
	}
	if !bytes.Equal(msg.Data, data) {
		t.Errorf("body = %q, want the data as it was, %q", msg.Data, data)
	}
}

// Version 0.3 events, whose base64 marking the SDK handles otherwise, come
// back with their data as it was, whatever it is.
func TestCodecV03Data(t *testing.T) {
	for _, tt := range []struct{ ct, data string }{
		{"", "hello"},
		{"application/json", "plain text"},
		{"application/json", `{"a": "<b>"} `},
		{"image/png", "\x89PNG\x00"},
	} {
		e := event.New(event.CloudEventsVersionV03)
		e.SetID("old")
		e.SetSource("/src")
		e.SetType("t")
		if tt.ct != "" {
			e.SetDataContentType(tt.ct)
		}
		e.DataEncoded = []byte(tt.data)
		msg, err := EncodeMsg("s", e)
		if err != nil {
			t.Fatalf("%q: EncodeMsg: %v", tt.data, err)
		}
		got, err := DecodeMsg(msg.Header, msg.Data)
		if err != nil {
			t.Fatalf("%q: DecodeMsg: %v", tt.data, err)
		}
		checkSameEvent(t, e, got)
	}
}

// A version 0.3 event keeps its encoding.
func TestCodecV03(t *testing.T) {
	e := event.New(event.CloudEventsVersionV03)
	e.SetID("old")
	e.SetSource("/src")
	e.SetType("t")
	if err := e.SetData("text/plain", "hello"); err != nil {
		t.Fatal(err)
	}
	msg, err := EncodeMsg("s", e)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeMsg(msg.Header, msg.Data)
	if err != nil {
		t.Fatal(err)
	}
	if got.SpecVersion() != event.CloudEventsVersionV03 || string(got.Data()) != "hello" {
		t.Errorf("decoded %v", got)
	}
}

// Data that arrived as data_base64 leaves as data_base64; data that is not
// JSON under a JSON (or no) media type, or not text under another, is
// marked so that a structured encoding keeps it intact.
func TestBinaryDataInStructuredEncoding(t *testing.T) {
	tests := []struct {
		name       string
		ct         string
		data       []byte
		base64     bool // DataBase64 before storing
		wantBase64 bool
	}{
		{"json", "application/json", []byte(`{"a":1}`), false, false},
		{"no type, json", "", []byte(`[1,2]`), false, false},
		{"no type, not json", "", []byte("hello"), false, true},
		{"json type, not json", "application/json", []byte("{oops"), false, true},
		{"+json type, not json", "application/vnd.x+json", []byte("{oops"), false, true},
		{"text", "text/plain", []byte("hello"), false, false},
		{"image", "image/jpeg", []byte{0xff, 0xd8, 0xff, 0xe0}, false, true},
		{"arrived as base64", "", []byte(`{"a":1}`), true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := event.New()
			e.SetID("1")
			e.SetSource("/src")
			e.SetType("t")
			if tt.ct != "" {
				e.SetDataContentType(tt.ct)
			}
			e.DataEncoded, e.DataBase64 = tt.data, tt.base64
			msg, err := EncodeMsg("s", e)
			if err != nil {
				t.Fatal(err)
			}
			got, err := DecodeMsg(msg.Header, msg.Data)
			if err != nil {
				t.Fatal(err)
			}
			MarkBinaryData(&got)
			if got.DataBase64 != tt.wantBase64 {
				t.Errorf("DataBase64 = %v, want %v", got.DataBase64, tt.wantBase64)
			}
			out, err := json.Marshal(got)
			if err != nil {
				t.Fatalf("structured encoding: %v", err)
			}
			var back event.Event
			if err := json.Unmarshal(out, &back); err != nil {
				t.Fatalf("structured decoding of %s: %v", out, err)
			}
			if !bytes.Equal(back.Data(), tt.data) && !json.Valid(tt.data) {
				t.Errorf("data after a structured round trip = %q, want %q", back.Data(), tt.data)
			}
		})
	}
}

// Structured encoding of a version 0.3 event keeps binary data intact,
// base64 with datacontentencoding as 0.3 says, without touching the event
// it was copied from.
func TestMarkBinaryDataV03(t *testing.T) {
	orig := event.New(event.CloudEventsVersionV03)
	orig.SetID("1")
	orig.SetSource("/src")
	orig.SetType("t")
	orig.DataEncoded = []byte("plain text") // no content type: read as JSON
	e := orig
	MarkBinaryData(&e)
	out, err := json.Marshal(e)
	if err != nil {
		t.Fatalf("structured encoding: %v", err)
	}
	var back event.Event
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatalf("decode %s: %v", out, err)
	}
	if string(back.Data()) != "plain text" {
		t.Errorf("data after a structured round trip = %q (%s)", back.Data(), out)
	}
	if orig.Context.(*event.EventContextV03).DataContentEncoding != nil {
		t.Error("the original event's context was changed")
	}
}
