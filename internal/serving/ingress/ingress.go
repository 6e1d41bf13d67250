// Package ingress is the front door of skiff's serving data plane: it finds
// the route of a request by its Host header and hands the request on. Until
// a route claims a host, every host gets a short 404.
package ingress

import (
	"net/http"
)

// Ingress routes requests by Host.
type Ingress struct{}

// New returns an ingress with an empty routing table.
func New() *Ingress { return &Ingress{} }

// ServeHTTP answers requests for hosts no route claims with a short 404.
func (i *Ingress) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write([]byte("no route for host " + r.Host + "\n"))
}
