package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The calls in this file stream: a request body that may be large (an image
// upload) or a reply that lasts as long as the caller wants (logs -f). They
// are not bound by the client's 60 s timeout; ctx bounds them.

// Upload POSTs the bytes of r to path (such as "/skiff/v1/images") as
// application/octet-stream and returns the body of a 2xx reply, or a
// *StatusError.
func (c *Client) Upload(ctx context.Context, path string, r io.Reader) ([]byte, error) {
	resp, err := c.send(ctx, http.MethodPost, path, r, "application/octet-stream", "application/json")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("POST %s: read reply: %w", path, err)
	}
	return data, nil
}

// Stream GETs path and returns the reply body of a 2xx reply as it arrives;
// the caller closes it. A failure is a *StatusError.
func (c *Client) Stream(ctx context.Context, path string) (io.ReadCloser, error) {
	resp, err := c.send(ctx, http.MethodGet, path, nil, "", "text/plain, application/json")
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// send makes a request without a timeout and turns a non-2xx reply into a
// *StatusError.
func (c *Client) send(ctx context.Context, method, path string, body io.Reader, contentType, accept string) (*http.Response, error) {
	hr, err := http.NewRequestWithContext(ctx, method, c.server+path, body)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	if c.token != "" {
		hr.Header.Set("Authorization", "Bearer "+c.token)
	}
	if body != nil {
		hr.Header.Set("Content-Type", contentType)
	}
	hr.Header.Set("Accept", accept)
	hc := *c.hc
	hc.Timeout = 0
	resp, err := hc.Do(hr)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp, nil
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	se := &StatusError{}
	if json.Unmarshal(data, &se.Status) != nil || se.Status.Kind != "Status" {
		se.Status = metav1.Status{Code: int32(resp.StatusCode), Message: strings.TrimSpace(string(data))}
	}
	if se.Status.Code == 0 {
		se.Status.Code = int32(resp.StatusCode)
	}
	return nil, se
}
