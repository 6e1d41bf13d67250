// Package resolver turns Knative Destinations (a ref, a URI, or a ref plus a
// relative URI) into URLs, reading the addresses of Addressable objects
// (Services, Brokers) from the store.
package resolver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	duckv1 "github.com/skiff-sh/skiff/internal/apis/duck/v1"
	"github.com/skiff-sh/skiff/internal/store"
)

// ErrNotAddressable is returned for a ref whose object has no address yet,
// or whose kind skiff cannot address.
var ErrNotAddressable = errors.New("not addressable")

// Resolver resolves destinations in a namespace.
type Resolver struct {
	Store store.Store
}

// addressable kinds: apiVersion group -> kind -> plural.
var addressable = map[string]map[string]string{
	"serving.knative.dev":   {"Service": "services", "Route": "routes"},
	"eventing.knative.dev":  {"Broker": "brokers"},
	"messaging.knative.dev": {"Channel": "channels", "InMemoryChannel": "inmemorychannels"},
	"flows.knative.dev":     {"Sequence": "sequences", "Parallel": "parallels"},
}

// Resolve returns the URL dest points at, in namespace ns unless its ref
// names another.
func (r *Resolver) Resolve(ctx context.Context, ns string, dest duckv1.Destination) (*url.URL, error) {
	var rel *url.URL
	if dest.URI != nil {
		rel = dest.URI.URL()
	}
	if dest.Ref == nil {
		if rel == nil || !rel.IsAbs() {
			return nil, fmt.Errorf("destination has neither a ref nor an absolute uri")
		}
		return rel, nil
	}
	group, _, _ := strings.Cut(dest.Ref.APIVersion, "/")
	plural, ok := addressable[group][dest.Ref.Kind]
	if !ok {
		return nil, fmt.Errorf("%w: kind %s in %s", ErrNotAddressable, dest.Ref.Kind, dest.Ref.APIVersion)
	}
	refNS := dest.Ref.Namespace
	if refNS == "" {
		refNS = ns
	}
	o, err := r.Store.Get(ctx, store.Key{Group: group, Resource: plural, Namespace: refNS, Name: dest.Ref.Name})
	if err != nil {
		return nil, fmt.Errorf("resolve %s %s/%s: %w", dest.Ref.Kind, refNS, dest.Ref.Name, err)
	}
	var obj struct {
		Status struct {
			Address *struct {
				URL string `json:"url"`
			} `json:"address"`
			URL string `json:"url"`
		} `json:"status"`
	}
	if err := json.Unmarshal(o.JSON, &obj); err != nil {
		return nil, fmt.Errorf("resolve %s %s: %w", dest.Ref.Kind, dest.Ref.Name, err)
	}
	addr := obj.Status.URL
	if obj.Status.Address != nil && obj.Status.Address.URL != "" {
		addr = obj.Status.Address.URL
	}
	if addr == "" {
		return nil, fmt.Errorf("%w: %s %s/%s has no address yet", ErrNotAddressable, dest.Ref.Kind, refNS, dest.Ref.Name)
	}
	base, err := url.Parse(addr)
	if err != nil {
		return nil, fmt.Errorf("resolve %s %s: address %q: %w", dest.Ref.Kind, dest.Ref.Name, addr, err)
	}
	if rel != nil {
		return base.ResolveReference(rel), nil
	}
	return base, nil
}
