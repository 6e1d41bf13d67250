package apiserver

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/skiff-sh/skiff/internal/apis"
	"github.com/skiff-sh/skiff/internal/store"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DefaultMaxBodyBytes is the largest request body accepted, as the
// Kubernetes API server's 3 MiB.
const DefaultMaxBodyBytes = 3 << 20

// Config is what the API server is built from.
type Config struct {
	// Kinds are every resource kind served.
	Kinds []apis.Kind
	// Store keeps the objects.
	Store store.Store
	// Token is the bearer token every call but /readyz, /livez and /version
	// needs. Empty disables authentication (tests only).
	Token string
	// Version is skiff's own version, reported in /version.
	Version string
	// APIConfig returns the cluster-wide settings defaulting and validation
	// read; nil means Knative's defaults.
	APIConfig func() *apis.Config
	// Ready reports whether the server is ready for /readyz; nil means ready.
	Ready func() bool
	// MaxBodyBytes bounds request bodies; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives request errors.
	Logger *slog.Logger
	// Extra are more handlers served behind the same token, by path prefix
	// (such as "/skiff/v1/images"), for skiff's own endpoints.
	Extra map[string]http.Handler
}

// Server is the HTTP API. Build it with New and serve Handler.
type Server struct {
	cfg     Config
	log     *slog.Logger
	gvOrder []string
	byGV    map[string][]*apis.Kind
	openapi *openAPIDocs
}

// New builds the server and its discovery and OpenAPI documents.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("apiserver: no store")
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.APIConfig == nil {
		cfg.APIConfig = apis.DefaultConfig
	}
	s := &Server{cfg: cfg, log: cfg.Logger}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.gvOrder, s.byGV = groupVersions(cfg.Kinds)
	docs, err := buildOpenAPI(s.gvOrder, s.byGV)
	if err != nil {
		return nil, fmt.Errorf("apiserver: build openapi: %w", err)
	}
	s.openapi = docs
	return s, nil
}

// Handler returns the HTTP handler of the whole API.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/readyz", s.serveReady)
	mux.HandleFunc("/livez", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) })
	mux.HandleFunc("/healthz", s.serveReady)
	mux.HandleFunc("/version", s.serveVersion)
	mux.Handle("/", s.authenticate(http.HandlerFunc(s.route)))
	for prefix, h := range s.cfg.Extra {
		mux.Handle(prefix, s.authenticate(h))
	}
	return mux
}

func (s *Server) serveReady(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Ready != nil && !s.cfg.Ready() {
		http.Error(w, "not ready", http.StatusServiceUnavailable)
		return
	}
	_, _ = w.Write([]byte("ok"))
}

func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Token != "" {
			auth := r.Header.Get("Authorization")
			token, ok := strings.CutPrefix(auth, "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(token)), []byte(s.cfg.Token)) != 1 {
				writeStatus(w, metav1.Status{Code: http.StatusUnauthorized, Reason: metav1.StatusReasonUnauthorized, Message: "Unauthorized"})
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// route dispatches every authenticated path.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	path := strings.Trim(r.URL.Path, "/")
	switch {
	case path == "api":
		s.serveAPIVersions(w, r)
		return
	case path == "apis":
		s.serveAPIGroups(w, r)
		return
	case path == "openapi/v3" || strings.HasPrefix(path, "openapi/v3/"):
		s.serveOpenAPI(w, r)
		return
	}
	parts := strings.Split(path, "/")
	var gv string
	var rest []string
	switch {
	case len(parts) >= 2 && parts[0] == "api":
		gv, rest = parts[1], parts[2:]
	case len(parts) >= 3 && parts[0] == "apis":
		gv, rest = parts[1]+"/"+parts[2], parts[3:]
	default:
		writeStatus(w, notFoundPath())
		return
	}
	if len(rest) == 0 {
		if r.Method != http.MethodGet {
			writeStatus(w, methodNotAllowed(r.Method))
			return
		}
		s.serveResourceList(w, gv)
		return
	}
	req, ok := s.parseResourcePath(gv, rest)
	if !ok {
		writeStatus(w, notFoundPath())
		return
	}
	s.serveResource(w, r, req)
}

// resourceRequest is a parsed resource path.
type resourceRequest struct {
	kind      *apis.Kind
	namespace string // from the path; "" for cluster-scoped kinds or all namespaces
	name      string
	status    bool // the status subresource
}

func (s *Server) kindByPlural(gv, plural string) *apis.Kind {
	for _, k := range s.byGV[gv] {
		if k.Plural == plural {
			return k
		}
	}
	return nil
}

func (s *Server) parseResourcePath(gv string, rest []string) (resourceRequest, bool) {
	var req resourceRequest
	if rest[0] == "namespaces" && len(rest) >= 3 {
		if k := s.kindByPlural(gv, rest[2]); k != nil && k.Namespaced {
			req.namespace, rest = rest[1], rest[2:]
		}
	}
	req.kind = s.kindByPlural(gv, rest[0])
	if req.kind == nil {
		return req, false
	}
	if req.kind.Namespaced == false && req.namespace != "" {
		return req, false
	}
	switch len(rest) {
	case 1:
	case 2:
		req.name = rest[1]
	case 3:
		if rest[2] != "status" || !req.kind.HasStatus {
			return req, false
		}
		req.name, req.status = rest[1], true
	default:
		return req, false
	}
	// A namespaced object is always addressed inside its namespace.
	if req.kind.Namespaced && req.name != "" && req.namespace == "" {
		return req, false
	}
	return req, true
}

func notFoundPath() metav1.Status {
	return metav1.Status{Code: http.StatusNotFound, Reason: metav1.StatusReasonNotFound,
		Message: "the server could not find the requested resource", Details: &metav1.StatusDetails{}}
}

func methodNotAllowed(method string) metav1.Status {
	return metav1.Status{Code: http.StatusMethodNotAllowed, Reason: metav1.StatusReasonMethodNotAllowed,
		Message: fmt.Sprintf("the server does not allow this method on the requested resource: %s", method)}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		writeStatus(w, metav1.Status{Code: http.StatusInternalServerError, Reason: metav1.StatusReasonInternalError, Message: err.Error()})
		return
	}
	writeRaw(w, code, body)
}

func writeRaw(w http.ResponseWriter, code int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(body)
}
