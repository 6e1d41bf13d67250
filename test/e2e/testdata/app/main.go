// Command app is the test workload of the serving end-to-end tests. With
// MODE=grpc it serves the gRPC health service over h2c on $PORT; otherwise
// it serves HTTP: / answers with the revision and $TARGET, /ws echoes
// WebSocket messages, /stream streams ten flushed lines, /sleep?d=1s waits, /peak reports the most
// /sleep requests seen at once, POST /events counts deliveries (202, no
// body) and GET /events reports the count.
package main

import (
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"golang.org/x/net/websocket"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

func main() {
	port := os.Getenv("PORT")
	if os.Getenv("MODE") == "grpc" {
		ln, err := net.Listen("tcp", ":"+port)
		if err != nil {
			log.Fatal(err)
		}
		s := grpc.NewServer()
		healthpb.RegisterHealthServer(s, health.NewServer())
		log.Fatal(s.Serve(ln))
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %s host=%s xff=%s\n", os.Getenv("K_REVISION"), os.Getenv("TARGET"), r.Host, r.Header.Get("X-Forwarded-For"))
	})
	mux.Handle("/ws", websocket.Handler(func(c *websocket.Conn) {
		for {
			var msg string
			if err := websocket.Message.Receive(c, &msg); err != nil {
				return
			}
			if err := websocket.Message.Send(c, "echo: "+msg); err != nil {
				return
			}
		}
	}))
	mux.HandleFunc("/stream", func(w http.ResponseWriter, r *http.Request) {
		for i := range 10 {
			fmt.Fprintf(w, "line %d\n", i)
			w.(http.Flusher).Flush()
			time.Sleep(50 * time.Millisecond)
		}
	})
	var inflight, peak atomic.Int64
	mux.HandleFunc("/sleep", func(w http.ResponseWriter, r *http.Request) {
		n := inflight.Add(1)
		defer inflight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		d, _ := time.ParseDuration(r.URL.Query().Get("d"))
		time.Sleep(d)
		fmt.Fprintln(w, "slept", d)
	})
	var events atomic.Int64
	mux.HandleFunc("/events", func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			events.Add(1)
			w.WriteHeader(http.StatusAccepted)
			return
		}
		fmt.Fprintln(w, events.Load())
	})
	mux.HandleFunc("/peak", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, peak.Load())
	})
	log.Printf("listening on :%s", port)
	log.Fatal(http.ListenAndServe(":"+port, mux))
}
