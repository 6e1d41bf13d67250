package broker

import (
	"context"
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
