package broker

import (
	"context"
	"unicode/utf8"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/skiff-sh/skiff/internal/natsembed"
)

// FuzzIngressDecode sends arbitrary bodies, content types and ce- headers
// to the ingress: it must never panic, answer only Knative's statuses, and
// store only events that are valid.
func FuzzIngressDecode(f *testing.F) {
	f.Add("application/cloudevents+json", "", `{"specversion":"1.0","id":"1","source":"s","type":"t","data":{"a":1}}`)
	f.Add("application/json", "1.0|id|/src|type", `{"a":1}`)
	f.Add("text/plain", "1.0|id%20x|/s|t%", "hi")
	f.Add("application/cloudevents-batch+json", "", `[{"specversion":"1.0"}]`)
	f.Add("application/cloudevents+json", "", `{"specversion":"0.3","id":"1"}`)
	f.Add("", "", "")
	n, err := natsembed.Start(context.Background(), natsembed.Config{DataDir: f.TempDir()})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(n.Close)
	in := NewIngress(n.JetStream(), IngressOptions{MaxEventBytes: 1 << 16})
	if err := in.EnsureBroker(context.Background(), "default", "b", true); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, contentType, ce, body string) {
		req := httptest.NewRequest(http.MethodPost, "/default/b", strings.NewReader(body))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		if parts := strings.Split(ce, "|"); len(parts) == 4 {
			for i, h := range []string{"Ce-Specversion", "Ce-Id", "Ce-Source", "Ce-Type"} {
				req.Header.Set(h, parts[i])
			}
		}
		rec := httptest.NewRecorder()
		in.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusAccepted, http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType:
		default:
			t.Fatalf("status %d for content type %q, ce %q, body %q: %s", rec.Code, contentType, ce, body, rec.Body.String())
		}
	})
}

// FuzzStoredEventRoundTrip stores arbitrary valid events in a real stream
// and reads them back: every attribute and the data must come back exactly,
// whichever format EncodeMsg chose. Attributes are Unicode strings in
// CloudEvents, so inputs that are not UTF-8 are skipped.
func FuzzStoredEventRoundTrip(f *testing.F) {
	f.Add("id-1", "/src", "dev.example", "", "", []byte(`{"a":1}`), "application/json")
	f.Add(" id ", "/src", "t", "line1\nline2", " padded ", []byte("hello"), "")
	f.Add("i", "urn:x", "t", "s", "v\x7f", []byte{0xff, 0xd8}, "image/jpeg")
	f.Add("é", "/s", "t\tx", "", "a%20b", []byte(nil), "text/plain; charset=utf-8")
	f.Add(" id ", "/src", "t", "", "", []byte(`{"a": "<b>"}`+"\n"), "application/json")
	ctx := context.Background()
	n, err := natsembed.Start(ctx, natsembed.Config{DataDir: f.TempDir()})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(n.Close)
	js := n.JetStream()
	in := NewIngress(js, IngressOptions{})
	if err := in.EnsureBroker(ctx, "default", "b", true); err != nil {
		f.Fatal(err)
	}
	stream, err := js.Stream(ctx, StreamName("default", "b"))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, id, source, typ, subject, ext string, data []byte, ct string) {
		for _, s := range []string{id, source, typ, subject, ext, ct} {
			if !utf8.ValidString(s) {
				return
			}
		}
		e := event.New()
		ec := e.Context.(*event.EventContextV1)
		src := types.ParseURIRef(source)
		if src == nil {
			return
		}
		ec.ID, ec.Source, ec.Type = id, *src, typ
		if subject != "" {
			ec.Subject = &subject
		}
		if ct != "" {
			ec.DataContentType = &ct
		}
		if ext != "" {
			ec.Extensions = map[string]any{"fuzzext": ext}
		}
		if len(data) > 0 {
			e.DataEncoded = data
		}
		if e.Validate() != nil {
			return
		}
		msg, err := EncodeMsg(Subject("default", "b"), e)
		if err != nil {
			t.Fatalf("EncodeMsg of a valid event: %v", err)
		}
		ack, err := js.PublishMsg(ctx, msg)
		if err != nil {
			t.Fatalf("publish: %v", err)
		}
		raw, err := stream.GetMsg(ctx, ack.Sequence)
		if err != nil {
			t.Fatalf("get: %v", err)
		}
		got, err := DecodeMsg(raw.Header, raw.Data)
		if err != nil {
			t.Fatalf("decode %q / %q: %v", raw.Header, raw.Data, err)
		}
		checkSameEvent(t, e, got)
	})
}
