package certs

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestEnsureServingIsStableAndVerifies(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	a, err := EnsureServing(dir, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	b, err := EnsureServing(dir, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	if string(a.CAPEM) != string(b.CAPEM) || string(a.Certificate.Certificate[0]) != string(b.Certificate.Certificate[0]) {
		t.Error("second EnsureServing issued new certificates; want the stored ones")
	}

	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) }))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{a.Certificate}}
	srv.StartTLS()
	defer srv.Close()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(a.CAPEM)
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatalf("GET over TLS with the CA: %v", err)
	}
	resp.Body.Close()
}

func TestEnsureServingReissuesForNewHostAndExpiry(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	a, _ := EnsureServing(dir, nil, now)
	b, err := EnsureServing(dir, []string{"10.1.2.3", "skiff.example"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if string(a.Certificate.Certificate[0]) == string(b.Certificate.Certificate[0]) {
		t.Fatal("a new host did not reissue the certificate")
	}
	leaf, _ := x509.ParseCertificate(b.Certificate.Certificate[0])
	for _, h := range []string{"10.1.2.3", "skiff.example", "localhost", "127.0.0.1"} {
		if err := leaf.VerifyHostname(h); err != nil {
			t.Errorf("certificate does not cover %s: %v", h, err)
		}
	}
	if string(a.CAPEM) != string(b.CAPEM) {
		t.Error("the CA changed; want it kept")
	}
	c, _ := EnsureServing(dir, nil, now.Add(340*24*time.Hour))
	if string(c.Certificate.Certificate[0]) == string(b.Certificate.Certificate[0]) {
		t.Error("a certificate 25 days from expiry was not renewed")
	}
}
