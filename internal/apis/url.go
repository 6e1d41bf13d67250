package apis

import (
	"encoding/json"
	"fmt"
	"net/url"
)

// URL is a url.URL that travels as a JSON string, as Knative's apis.URL.
type URL url.URL

// ParseURL parses s; the empty string gives nil.
func ParseURL(s string) (*URL, error) {
	if s == "" {
		return nil, nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("parse url %q: %w", s, err)
	}
	return (*URL)(u), nil
}

// String returns the URL as text; nil gives "".
func (u *URL) String() string {
	if u == nil {
		return ""
	}
	return (*url.URL)(u).String()
}

// URL returns u as a *url.URL.
func (u *URL) URL() *url.URL { return (*url.URL)(u) }

// MarshalJSON implements json.Marshaler.
func (u URL) MarshalJSON() ([]byte, error) {
	return json.Marshal((*url.URL)(&u).String())
}

// UnmarshalJSON implements json.Unmarshaler.
func (u *URL) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("url must be a string: %w", err)
	}
	p, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("parse url %q: %w", s, err)
	}
	*u = URL(*p)
	return nil
}
