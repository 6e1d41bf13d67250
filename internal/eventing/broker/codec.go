package broker

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"
	"github.com/nats-io/nats.go"
)

// Events are kept in a broker's stream in the binary content mode of the
// CloudEvents NATS protocol binding: every context attribute is a message
// header named "ce-" and the attribute, datacontenttype is the
// "content-type" header, and the message body is the event's data as it
// arrived. Storing the data as-is spares the JSON encoding and decoding of
// the structured format on every event. Messages stored before this format
// (structured JSON bodies without a ce-specversion header) are still read.

// Header names of stored events.
const (
	storedPrefix      = "ce-"
	storedSpecVersion = storedPrefix + "specversion"
	storedContentType = "content-type"
	// storedBase64 marks data that arrived as data_base64 in a structured
	// event, so that it leaves as data_base64 again.
	storedBase64 = "skiff-data-base64"
	// storedContext holds the context attributes of an event the ce-
	// headers cannot carry, as a structured event without data.
	storedContext = "skiff-ce-context"
)

// EncodeMsg is the JetStream message that stores e on subject. The data is
// referenced, not copied. The context of an event the ce- headers cannot
// carry exactly (a version other than 1.0, or an attribute value with
// surrounding whitespace or control characters, which NATS headers trim or
// replace) goes in one header as a structured event without data, JSON
// escaping what headers cannot hold; the data is the body all the same.
func EncodeMsg(subject string, e event.Event) (*nats.Msg, error) {
	ctx := e.Context
	if ctx == nil {
		return nil, fmt.Errorf("encode event: %w: no context", ErrInvalidEvent)
	}
	h, ok, err := storedHeaders(ctx)
	if err != nil {
		return nil, err
	}
	if !ok {
		j, err := json.Marshal(event.Event{Context: ctx})
		if err != nil {
			return nil, fmt.Errorf("encode event %s: %w: %w", ctx.GetID(), ErrInvalidEvent, err)
		}
		h = nats.Header{storedContext: []string{string(j)}}
	}
	if e.DataBase64 {
		h[storedBase64] = []string{"true"}
	}
	return &nats.Msg{Subject: subject, Header: h, Data: e.Data()}, nil
}

// storedHeaders are the headers of ctx in the binary format; ok is false
// when they cannot carry it exactly.
func storedHeaders(ctx event.EventContext) (h nats.Header, ok bool, err error) {
	if _, v1 := ctx.(*event.EventContextV1); !v1 {
		return nil, false, nil
	}
	exts := extensions(ctx)
	h = make(nats.Header, 8+len(exts))
	h[storedSpecVersion] = []string{ctx.GetSpecVersion()}
	h[storedPrefix+"id"] = []string{ctx.GetID()}
	h[storedPrefix+"source"] = []string{ctx.GetSource()}
	h[storedPrefix+"type"] = []string{ctx.GetType()}
	if v := ctx.GetSubject(); v != "" {
		h[storedPrefix+"subject"] = []string{v}
	}
	if t := ctx.GetTime(); !t.IsZero() {
		h[storedPrefix+"time"] = []string{types.FormatTime(t)}
	}
	if v := ctx.GetDataSchema(); v != "" {
		h[storedPrefix+"dataschema"] = []string{v}
	}
	if v := ctx.GetDataContentType(); v != "" {
		h[storedContentType] = []string{v}
	}
	for name, v := range exts {
		s, err := types.Format(v)
		if err != nil {
			return nil, false, fmt.Errorf("encode event %s: %w: extension %s: %w", ctx.GetID(), ErrInvalidEvent, name, err)
		}
		h[storedPrefix+name] = []string{s}
	}
	for _, vs := range h {
		if !headerSafe(vs[0]) {
			return nil, false, nil
		}
	}
	return h, true, nil
}

// headerSafe reports whether a NATS header carries v unchanged: no
// surrounding whitespace, no control characters.
func headerSafe(v string) bool {
	if v != strings.TrimSpace(v) {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}

// MarkBinaryData makes e's data leave a structured (JSON) encoding intact:
// data that is not valid JSON under a JSON media type (or none, which
// CloudEvents reads as JSON), or that is not UTF-8 text under another
// media type, is marked to be written as data_base64. Binary-mode
// deliveries carry data as it is and need nothing.
func MarkBinaryData(e *event.Event) {
	if e.DataBase64 || len(e.DataEncoded) == 0 {
		return
	}
	mt := strings.ToLower(strings.TrimSpace(e.DataMediaType()))
	if mt == "" || mt == event.ApplicationJSON || mt == event.TextJSON || strings.HasSuffix(mt, "+json") {
		e.DataBase64 = !json.Valid(e.DataEncoded)
	} else {
		e.DataBase64 = !utf8.Valid(e.DataEncoded)
	}
	if v03, ok := e.Context.(*event.EventContextV03); ok && e.DataBase64 && v03.DataContentEncoding == nil {
		// Version 0.3 says base64 with an attribute; the context is
		// copied, since e shares it with the event it was copied from.
		c := *v03
		enc := event.Base64
		c.DataContentEncoding = &enc
		e.Context = &c
	}
}

// extensions are the extensions of ctx, without the copy GetExtensions
// makes for version 1.0 contexts.
func extensions(ctx event.EventContext) map[string]any {
	if v1, ok := ctx.(*event.EventContextV1); ok {
		return v1.Extensions
	}
	return ctx.GetExtensions()
}

// DecodeMsg reads an event stored by EncodeMsg, or by the structured JSON
// format of earlier versions. The event's data references body.
func DecodeMsg(header nats.Header, body []byte) (event.Event, error) {
	if c := first(header, storedContext); c != "" {
		var e event.Event
		if err := json.Unmarshal([]byte(c), &e); err != nil {
			return event.Event{}, fmt.Errorf("decode stored event context: %w", err)
		}
		if len(body) > 0 {
			e.DataEncoded = body
		}
		e.DataBase64 = first(header, storedBase64) == "true"
		return e, nil
	}
	sv := first(header, storedSpecVersion)
	if sv == "" {
		var e event.Event
		if err := json.Unmarshal(body, &e); err != nil {
			return event.Event{}, fmt.Errorf("decode stored event: %w", err)
		}
		return e, nil
	}
	e := event.New(sv)
	if e.Context == nil {
		return event.Event{}, fmt.Errorf("decode stored event: unknown specversion %q", sv)
	}
	for k, vs := range header {
		if len(vs) == 0 {
			continue
		}
		v := vs[0]
		switch k {
		case storedContentType:
			e.SetDataContentType(v)
			continue
		case storedBase64:
			e.DataBase64 = v == "true"
			continue
		}
		name, ok := strings.CutPrefix(k, storedPrefix)
		if !ok {
			continue
		}
		if err := setAttribute(&e, name, v); err != nil {
			return event.Event{}, fmt.Errorf("decode stored event: attribute %s: %w", name, err)
		}
	}
	if len(body) > 0 {
		e.DataEncoded = body
	}
	return e, nil
}

// setAttribute sets the context attribute or extension name of e from its
// canonical string form.
func setAttribute(e *event.Event, name, v string) error {
	switch name {
	case "specversion":
		return nil
	case "id":
		e.SetID(v)
	case "source":
		e.SetSource(v)
	case "type":
		e.SetType(v)
	case "subject":
		e.SetSubject(v)
	case "dataschema":
		e.SetDataSchema(v)
	case "time":
		t, err := types.ParseTime(v)
		if err != nil {
			return err
		}
		e.SetTime(t)
	default:
		return e.Context.SetExtension(name, v)
	}
	return nil
}

// first is the first value of a header, or "".
func first(h nats.Header, k string) string {
	if vs := h[k]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}
