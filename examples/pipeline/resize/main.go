// Command resize is the second stage of the pipeline example: it receives
// pipeline.image events (image/jpeg data), scales the image to a 32x32
// thumbnail (nearest neighbour) and replies with a pipeline.thumbnail
// event (image/jpeg), which the broker routes to notify.
package main

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"log"
	"mime"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"
)

const (
	typeImage     = "pipeline.image"
	typeThumbnail = "pipeline.thumbnail"
	source        = "/pipeline/resize"
	size          = 32
)

func main() {
	port, err := strconv.Atoi(envOr("PORT", "8080"))
	if err != nil {
		log.Fatalf("PORT: %v", err)
	}
	p, err := cloudevents.NewHTTP(cloudevents.WithPort(port))
	if err != nil {
		log.Fatal(err)
	}
	c, err := cloudevents.NewClient(p)
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	log.Printf("resize listening on :%d", port)
	if err := c.StartReceiver(ctx, handle); err != nil {
		log.Fatal(err)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// handle turns an image event into a thumbnail event. Data that is not a
// JPEG is refused with 400, which the broker does not retry.
func handle(ctx context.Context, e cloudevents.Event) (*cloudevents.Event, cloudevents.Result) {
	if e.Type() != typeImage {
		return nil, cehttp.NewResult(http.StatusBadRequest, "resize takes %s, not %s", typeImage, e.Type())
	}
	if mt, _, _ := mime.ParseMediaType(e.DataContentType()); mt != "image/jpeg" {
		return nil, cehttp.NewResult(http.StatusBadRequest, "datacontenttype %q, want image/jpeg", e.DataContentType())
	}
	src, err := jpeg.Decode(bytes.NewReader(e.Data()))
	if err != nil {
		return nil, cehttp.NewResult(http.StatusBadRequest, "decode: %v", err)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, scale(src, size, size), &jpeg.Options{Quality: 90}); err != nil {
		return nil, cehttp.NewResult(http.StatusInternalServerError, "encode: %v", err)
	}
	r := cloudevents.NewEvent()
	r.SetID(e.ID() + "-thumbnail")
	r.SetType(typeThumbnail)
	r.SetSource(source)
	r.SetSubject(e.Subject())
	r.SetTime(time.Now())
	if up, ok := e.Extensions()["uploadid"]; ok {
		r.SetExtension("uploadid", up)
	}
	// imageid names the pipeline.image event this thumbnail was made from.
	r.SetExtension("imageid", e.ID())
	if err := r.SetData("image/jpeg", buf.Bytes()); err != nil {
		return nil, cehttp.NewResult(http.StatusInternalServerError, "%v", err)
	}
	b := src.Bounds()
	log.Printf("image %s (%s): %dx%d -> %dx%d, %d bytes", e.ID(), e.Subject(), b.Dx(), b.Dy(), size, size, buf.Len())
	return &r, cloudevents.ResultACK
}

// scale resizes src to w x h by nearest neighbour.
func scale(src image.Image, w, h int) image.Image {
	b := src.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		sy := b.Min.Y + (2*y+1)*b.Dy()/(2*h)
		for x := 0; x < w; x++ {
			sx := b.Min.X + (2*x+1)*b.Dx()/(2*w)
			dst.Set(x, y, src.At(sx, sy))
		}
	}
	return dst
}
