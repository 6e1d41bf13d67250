// Package client is the small REST client the skiff CLI uses to talk to the
// API: it resolves kind names as kubectl does (plural, singular, short name
// or Kind, optionally with the group), builds resource paths, and turns
// Status error replies into Go errors.
package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/skiff-sh/skiff/internal/apis"
	"github.com/skiff-sh/skiff/internal/kubeconfig"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Client calls one skiff API server.
type Client struct {
	server    string
	token     string
	namespace string
	kinds     []apis.Kind
	hc        *http.Client
}

// New returns a client for the server and token in cfg that knows kinds.
func New(cfg kubeconfig.Config, kinds []apis.Kind) *Client {
	ns := cfg.Namespace
	if ns == "" {
		ns = "default"
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if len(cfg.CAData) > 0 {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(cfg.CAData)
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &Client{
		server: strings.TrimRight(cfg.Server, "/"), token: cfg.Token, namespace: ns, kinds: kinds,
		hc: &http.Client{Timeout: 60 * time.Second, Transport: tr},
	}
}

// Namespace returns the default namespace of the client's context.
func (c *Client) Namespace() string { return c.namespace }

// StatusError is an error reply of the API.
type StatusError struct{ Status metav1.Status }

func (e *StatusError) Error() string {
	if e.Status.Message != "" {
		return e.Status.Message
	}
	return fmt.Sprintf("the server answered %d", e.Status.Code)
}

// IsNotFound reports whether err is a 404 reply.
func IsNotFound(err error) bool {
	se, ok := err.(*StatusError)
	return ok && se.Status.Code == http.StatusNotFound
}

// ResolveKind finds a kind by what a user types: "ksvc", "services",
// "service", "Service", "services.serving.knative.dev".
func (c *Client) ResolveKind(name string) (*apis.Kind, error) {
	name = strings.ToLower(name)
	base, group, _ := strings.Cut(name, ".")
	var found *apis.Kind
	for i := range c.kinds {
		k := &c.kinds[i]
		if group != "" && k.Group != group {
			continue
		}
		match := base == k.Plural || base == k.Singular || base == strings.ToLower(k.Kind)
		for _, s := range k.ShortNames {
			match = match || base == s
		}
		// Prefer the first (preferred) version of a group.
		if match && found == nil {
			found = k
		}
	}
	if found == nil {
		return nil, fmt.Errorf("the server doesn't have a resource type %q", name)
	}
	return found, nil
}

// KindFor finds the kind of an object by its apiVersion and kind.
func (c *Client) KindFor(apiVersion, kind string) (*apis.Kind, error) {
	for i := range c.kinds {
		if c.kinds[i].GroupVersion() == apiVersion && c.kinds[i].Kind == kind {
			return &c.kinds[i], nil
		}
	}
	return nil, fmt.Errorf("no matches for kind %q in version %q", kind, apiVersion)
}

// Path returns the URL path of a collection (name "") or an object.
func Path(k *apis.Kind, namespace, name string) string {
	var b strings.Builder
	if k.Group == "" {
		b.WriteString("/api/" + k.Version)
	} else {
		b.WriteString("/apis/" + k.Group + "/" + k.Version)
	}
	if k.Namespaced && namespace != "" {
		b.WriteString("/namespaces/" + namespace)
	}
	b.WriteString("/" + k.Plural)
	if name != "" {
		b.WriteString("/" + name)
	}
	return b.String()
}

// Request is one API call.
type Request struct {
	Method      string
	Path        string // with query
	Body        []byte
	ContentType string // default application/json
	Accept      string // default application/json
}

// Do sends req and returns the body of a 2xx reply, or a *StatusError.
func (c *Client) Do(ctx context.Context, req Request) ([]byte, error) {
	var body io.Reader
	if req.Body != nil {
		body = bytes.NewReader(req.Body)
	}
	hr, err := http.NewRequestWithContext(ctx, req.Method, c.server+req.Path, body)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	if c.token != "" {
		hr.Header.Set("Authorization", "Bearer "+c.token)
	}
	ct := req.ContentType
	if ct == "" {
		ct = "application/json"
	}
	if req.Body != nil {
		hr.Header.Set("Content-Type", ct)
	}
	accept := req.Accept
	if accept == "" {
		accept = "application/json"
	}
	hr.Header.Set("Accept", accept)
	resp, err := c.hc.Do(hr)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", req.Method, req.Path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: read reply: %w", req.Method, req.Path, err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return data, nil
	}
	se := &StatusError{}
	if json.Unmarshal(data, &se.Status) != nil || se.Status.Kind != "Status" {
		se.Status = metav1.Status{Code: int32(resp.StatusCode), Message: strings.TrimSpace(string(data))}
	}
	if se.Status.Code == 0 {
		se.Status.Code = int32(resp.StatusCode)
	}
	return nil, se
}
