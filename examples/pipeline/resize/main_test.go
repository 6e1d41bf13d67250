package main

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"testing"

	cloudevents "github.com/cloudevents/sdk-go/v2"
)

func TestScaleNearestNeighbour(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 64, 64))
	red := color.RGBA{R: 255, A: 255}
	for y := 0; y < 64; y++ {
		for x := 32; x < 64; x++ {
			src.Set(x, y, red)
		}
	}
	dst := scale(src, 32, 32)
	if b := dst.Bounds(); b.Dx() != 32 || b.Dy() != 32 {
		t.Fatalf("bounds %v", b)
	}
	if dst.At(0, 0) != (color.RGBA{}) || dst.At(31, 31) != red || dst.At(16, 5) != red || dst.At(15, 5) != (color.RGBA{}) {
		t.Errorf("pixels not sampled from the right half")
	}
}

func TestHandle(t *testing.T) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 64, 48)), nil); err != nil {
		t.Fatal(err)
	}
	e := cloudevents.NewEvent()
	e.SetID("u1-image")
	e.SetType(typeImage)
	e.SetSource("/pipeline/ingest")
	e.SetSubject("cat")
	e.SetExtension("uploadid", "u1")
	_ = e.SetData("image/jpeg", buf.Bytes())
	r, res := handle(context.Background(), e)
	if !cloudevents.IsACK(res) || r == nil {
		t.Fatalf("reply %v, %v", r, res)
	}
	ext := r.Extensions()
	if r.Type() != typeThumbnail || r.Subject() != "cat" || ext["uploadid"] != "u1" || ext["imageid"] != "u1-image" || r.DataContentType() != "image/jpeg" {
		t.Errorf("reply = %v", r)
	}
	img, err := jpeg.Decode(bytes.NewReader(r.Data()))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 32 || b.Dy() != 32 {
		t.Errorf("thumbnail %v", b)
	}

	e.SetData("text/plain", []byte("not an image"))
	if r, res := handle(context.Background(), e); r != nil || cloudevents.IsACK(res) {
		t.Errorf("text data: reply %v, %v; want a refusal", r, res)
	}
}
