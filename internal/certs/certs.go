// Package certs keeps the small certificate authority of a skiff data dir
// and the API server's certificate signed by it. kubectl sends a bearer
// token only over TLS, so the API is served over HTTPS and the kubeconfig
// carries the CA, as a cluster's does.
package certs

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Files of the PKI directory.
const (
	caCertFile     = "ca.crt"
	caKeyFile      = "ca.key"
	serverCertFile = "apiserver.crt"
	serverKeyFile  = "apiserver.key"
)

// Validity periods: the CA lives ten years, the serving certificate one,
// and is renewed when less than thirty days remain.
const (
	caValidity     = 10 * 365 * 24 * time.Hour
	serverValidity = 365 * 24 * time.Hour
	renewBefore    = 30 * 24 * time.Hour
)

// Serving is a CA and a serving certificate.
type Serving struct {
	// CAPEM is the CA certificate, for clients (the kubeconfig's
	// certificate-authority-data).
	CAPEM []byte
	// Certificate is the server's certificate and key.
	Certificate tls.Certificate
}

// CAPath returns the path of the CA certificate in dir.
func CAPath(dir string) string { return filepath.Join(dir, caCertFile) }

// EnsureServing loads the CA and serving certificate kept in dir, creating
// them at first use, and issues a new serving certificate when the old one
// does not cover hosts (IP addresses or DNS names) or is about to expire.
// "localhost", "127.0.0.1" and "::1" are always covered.
func EnsureServing(dir string, hosts []string, now time.Time) (*Serving, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create pki dir: %w", err)
	}
	caCert, caKey, caPEM, err := ensureCA(dir, now)
	if err != nil {
		return nil, err
	}
	hosts = append([]string{"localhost", "127.0.0.1", "::1"}, hosts...)
	certPEM, keyPEM, err := loadPair(dir, serverCertFile, serverKeyFile)
	if err == nil {
		if cert, err := tls.X509KeyPair(certPEM, keyPEM); err == nil {
			leaf, err := x509.ParseCertificate(cert.Certificate[0])
			if err == nil && covers(leaf, hosts) && now.Add(renewBefore).Before(leaf.NotAfter) && leaf.CheckSignatureFrom(caCert) == nil {
				return &Serving{CAPEM: caPEM, Certificate: cert}, nil
			}
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate server key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: "skiff-apiserver"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(serverValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if h != "" && !slices.Contains(tmpl.DNSNames, h) {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("sign server certificate: %w", err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode server key: %w", err)
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	if err := writeFile(filepath.Join(dir, serverKeyFile), keyPEM); err != nil {
		return nil, err
	}
	if err := writeFile(filepath.Join(dir, serverCertFile), certPEM); err != nil {
		return nil, err
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("load server certificate: %w", err)
	}
	return &Serving{CAPEM: caPEM, Certificate: cert}, nil
}

func covers(cert *x509.Certificate, hosts []string) bool {
	for _, h := range hosts {
		if h == "" {
			continue
		}
		if cert.VerifyHostname(h) != nil {
			return false
		}
	}
	return true
}

func ensureCA(dir string, now time.Time) (*x509.Certificate, *ecdsa.PrivateKey, []byte, error) {
	certPEM, keyPEM, err := loadPair(dir, caCertFile, caKeyFile)
	if err == nil {
		cb, _ := pem.Decode(certPEM)
		kb, _ := pem.Decode(keyPEM)
		if cb == nil || kb == nil {
			return nil, nil, nil, fmt.Errorf("pki: %s or %s is not PEM", caCertFile, caKeyFile)
		}
		cert, err := x509.ParseCertificate(cb.Bytes)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("pki: parse CA: %w", err)
		}
		key, err := x509.ParseECPrivateKey(kb.Bytes)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("pki: parse CA key: %w", err)
		}
		return cert, key, certPEM, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, nil, nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("generate CA key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "skiff-ca"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(caValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("create CA: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("parse CA: %w", err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("encode CA key: %w", err)
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := writeFile(filepath.Join(dir, caKeyFile), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})); err != nil {
		return nil, nil, nil, err
	}
	if err := writeFile(filepath.Join(dir, caCertFile), certPEM); err != nil {
		return nil, nil, nil, err
	}
	return cert, key, certPEM, nil
}

func loadPair(dir, certFile, keyFile string) (certPEM, keyPEM []byte, err error) {
	certPEM, err = os.ReadFile(filepath.Join(dir, certFile))
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err = os.ReadFile(filepath.Join(dir, keyFile))
	if err != nil {
		return nil, nil, err
	}
	return certPEM, keyPEM, nil
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	return n
}

func writeFile(path string, data []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
