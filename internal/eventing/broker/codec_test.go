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
