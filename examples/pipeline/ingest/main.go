// Command ingest is the first stage of the pipeline example: it receives
// pipeline.upload events (JSON {"name": ..., "url": ...}) and replies with a
// pipeline.image event whose data is a JPEG. With a url it fetches that
// image (JPEG, PNG or GIF) and re-encodes it; without one it draws a 64x64
// image in a colour derived from the name. The reply goes back into the
// broker, which routes it to resize.
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"image"
	"image/color"
	"image/draw"
	_ "image/gif" // decoders for fetched images
	"image/jpeg"
	_ "image/png"
	"io"
	"log"
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
	typeUpload = "pipeline.upload"
	typeImage  = "pipeline.image"
	source     = "/pipeline/ingest"
	// maxFetch bounds a fetched image.
	maxFetch = 10 << 20
)

// Upload is the data of a pipeline.upload event.
type Upload struct {
	Name string `json:"name"`
	URL  string `json:"url,omitempty"`
}

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
	log.Printf("ingest listening on :%d", port)
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

// handle turns an upload into an image event. Bad uploads are refused with
// 400, which the broker does not retry.
func handle(ctx context.Context, e cloudevents.Event) (*cloudevents.Event, cloudevents.Result) {
	if e.Type() != typeUpload {
		return nil, cehttp.NewResult(http.StatusBadRequest, "ingest takes %s, not %s", typeUpload, e.Type())
	}
	var up Upload
	if err := e.DataAs(&up); err != nil {
		return nil, cehttp.NewResult(http.StatusBadRequest, "upload data: %v", err)
	}
	if up.Name == "" {
		return nil, cehttp.NewResult(http.StatusBadRequest, "upload data has no name")
	}
	img, err := load(ctx, up)
	if err != nil {
		return nil, cehttp.NewResult(http.StatusBadRequest, "%s: %v", up.Name, err)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		return nil, cehttp.NewResult(http.StatusInternalServerError, "encode: %v", err)
	}
	r := cloudevents.NewEvent()
	r.SetID(e.ID() + "-image")
	r.SetType(typeImage)
	r.SetSource(source)
	r.SetSubject(up.Name)
	r.SetTime(time.Now())
	// uploadid ties every stage to the upload it came from.
	r.SetExtension("uploadid", e.ID())
	if err := r.SetData("image/jpeg", buf.Bytes()); err != nil {
		return nil, cehttp.NewResult(http.StatusInternalServerError, "%v", err)
	}
	b := img.Bounds()
	log.Printf("upload %s (%s): %dx%d image, %d bytes", e.ID(), up.Name, b.Dx(), b.Dy(), buf.Len())
	return &r, cloudevents.ResultACK
}

// load fetches the upload's image, or draws one when it has no url.
func load(ctx context.Context, up Upload) (image.Image, error) {
	if up.URL == "" {
		return solid(up.Name, 64, 64), nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, up.URL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", up.URL, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxFetch+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxFetch {
		return nil, errors.New("image larger than 10 MiB")
	}
	img, _, err := image.Decode(bytes.NewReader(body))
	return img, err
}

// solid is a w x h image in a colour derived from name.
func solid(name string, w, h int) image.Image {
	f := fnv.New32a()
	f.Write([]byte(name))
	s := f.Sum32()
	c := color.RGBA{R: uint8(s), G: uint8(s >> 8), B: uint8(s >> 16), A: 255}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), &image.Uniform{C: c}, image.Point{}, draw.Src)
	return img
}
