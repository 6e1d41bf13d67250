package broker

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// TailPath is where the tail handler is served: TailPath + "<ns>/<broker>".
const TailPath = "/skiff/v1/events/"

// TailHandler streams what a broker receives from now on, one structured
// CloudEvent (JSON) per line, flushed per event, until the client goes
// away: `skiff event tail` reads it.
func (in *Ingress) TailHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ns, name, ok := strings.Cut(strings.Trim(strings.TrimPrefix(r.URL.Path, TailPath), "/"), "/")
		if !ok || ns == "" || name == "" || strings.Contains(name, "/") {
			http.Error(w, "path must be "+TailPath+"<namespace>/<broker>", http.StatusBadRequest)
			return
		}
		ctx := r.Context()
		stream, err := in.js.Stream(ctx, StreamName(ns, name))
		if err != nil {
			http.Error(w, fmt.Sprintf("broker %s/%s not found", ns, name), http.StatusNotFound)
			return
		}
		cons, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverNewPolicy})
		if err != nil {
			http.Error(w, "tail: "+err.Error(), http.StatusInternalServerError)
			return
		}
		msgs, err := cons.Messages()
		if err != nil {
			http.Error(w, "tail: "+err.Error(), http.StatusInternalServerError)
			return
		}
		defer msgs.Stop()
		go func() {
			<-ctx.Done()
			msgs.Stop()
		}()
		w.Header().Set("Content-Type", "application/x-ndjson")
		w.WriteHeader(http.StatusOK)
		flusher, _ := w.(http.Flusher)
		if flusher != nil {
			flusher.Flush()
		}
		for {
			m, err := msgs.Next()
			if err != nil {
				return
			}
			e, err := DecodeMsg(m.Headers(), m.Data())
			if err != nil {
				in.logger.Warn("tail: undecodable event in stream", logKeyError, err)
				continue
			}
			MarkBinaryData(&e)
			line, err := json.Marshal(e)
			if err != nil {
				in.logger.Warn("tail: encode event", logKeyID, e.ID(), logKeyError, err)
				continue
			}
			if _, err := w.Write(append(line, '\n')); err != nil {
				return
			}
			if flusher != nil {
				flusher.Flush()
			}
		}
	})
}
