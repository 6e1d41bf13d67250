package main

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"image/png"
	"net/http"
	"net/http/httptest"
	"testing"

	cloudevents "github.com/cloudevents/sdk-go/v2"
)

func upload(t *testing.T, data any) cloudevents.Event {
	t.Helper()
	e := cloudevents.NewEvent()
	e.SetID("u1")
	e.SetType(typeUpload)
	e.SetSource("test")
	if err := e.SetData(cloudevents.ApplicationJSON, data); err != nil {
		t.Fatal(err)
	}
	return e
}

func decode(t *testing.T, r *cloudevents.Event) image.Image {
	t.Helper()
	if r == nil {
		t.Fatal("no reply")
	}
	if r.Type() != typeImage || r.Source() != source || r.DataContentType() != "image/jpeg" || r.Extensions()["uploadid"] != "u1" {
		t.Errorf("reply = %v", r)
	}
	img, err := jpeg.Decode(bytes.NewReader(r.Data()))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestHandleDrawsAnImage(t *testing.T) {
	r, res := handle(context.Background(), upload(t, Upload{Name: "cat"}))
	if !cloudevents.IsACK(res) {
		t.Fatal(res)
	}
	if b := decode(t, r).Bounds(); b.Dx() != 64 || b.Dy() != 64 || r.Subject() != "cat" {
		t.Errorf("image %v, subject %q", b, r.Subject())
	}
}

func TestHandleFetchesURL(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_ = png.Encode(w, image.NewRGBA(image.Rect(0, 0, 10, 7)))
	}))
	defer srv.Close()
	r, res := handle(context.Background(), upload(t, Upload{Name: "dog", URL: srv.URL}))
	if !cloudevents.IsACK(res) {
		t.Fatal(res)
	}
	if b := decode(t, r).Bounds(); b.Dx() != 10 || b.Dy() != 7 {
		t.Errorf("image %v, want the fetched 10x7", b)
	}
}

func TestHandleRefusesBadUploads(t *testing.T) {
	for _, data := range []any{map[string]string{}, Upload{Name: "x", URL: "http://127.0.0.1:1/nope"}} {
		if r, res := handle(context.Background(), upload(t, data)); r != nil || cloudevents.IsACK(res) {
			t.Errorf("upload %v: reply %v, result %v; want a refusal", data, r, res)
		}
	}
}
