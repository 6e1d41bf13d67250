// Package kubeconfig writes and reads the kubeconfig file that skiff keeps in
// its data dir, so that kubectl and the skiff CLI reach the API with its
// bearer token and the namespace "default".
package kubeconfig

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/yaml"
)

// ContextName is the name of the cluster, user and context skiff writes.
const ContextName = "skiff"

// Config is what a client needs to call the API.
type Config struct {
	Server    string // https://127.0.0.1:7080
	Token     string
	Namespace string
	// CAData is the PEM of the CA that signed the server's certificate.
	CAData []byte
}

type file struct {
	APIVersion     string         `json:"apiVersion"`
	Kind           string         `json:"kind"`
	Clusters       []namedCluster `json:"clusters"`
	Users          []namedUser    `json:"users"`
	Contexts       []namedContext `json:"contexts"`
	CurrentContext string         `json:"current-context"`
}

type namedCluster struct {
	Name    string `json:"name"`
	Cluster struct {
		Server                   string `json:"server"`
		CertificateAuthorityData []byte `json:"certificate-authority-data,omitempty"`
	} `json:"cluster"`
}

type namedUser struct {
	Name string `json:"name"`
	User struct {
		Token string `json:"token,omitempty"`
	} `json:"user"`
}

type namedContext struct {
	Name    string `json:"name"`
	Context struct {
		Cluster   string `json:"cluster"`
		User      string `json:"user"`
		Namespace string `json:"namespace,omitempty"`
	} `json:"context"`
}

// EnsureToken returns the API token kept at path, creating a random one
// (256 bits, hex) on first use.
func EnsureToken(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		if t := strings.TrimSpace(string(b)); t != "" {
			return t, nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read token: %w", err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("generate token: %w", err)
	}
	t := hex.EncodeToString(raw)
	if err := writeAtomic(path, []byte(t+"\n")); err != nil {
		return "", fmt.Errorf("write token: %w", err)
	}
	return t, nil
}

// Write writes a kubeconfig for cfg at path (mode 0600).
func Write(path string, cfg Config) error {
	f := file{APIVersion: "v1", Kind: "Config", CurrentContext: ContextName}
	var c namedCluster
	c.Name, c.Cluster.Server, c.Cluster.CertificateAuthorityData = ContextName, cfg.Server, cfg.CAData
	var u namedUser
	u.Name, u.User.Token = ContextName, cfg.Token
	var x namedContext
	x.Name, x.Context.Cluster, x.Context.User, x.Context.Namespace = ContextName, ContextName, ContextName, cfg.Namespace
	f.Clusters, f.Users, f.Contexts = []namedCluster{c}, []namedUser{u}, []namedContext{x}
	data, err := yaml.Marshal(f)
	if err != nil {
		return fmt.Errorf("encode kubeconfig: %w", err)
	}
	if err := writeAtomic(path, data); err != nil {
		return fmt.Errorf("write kubeconfig: %w", err)
	}
	return nil
}

// Load reads the current context of the kubeconfig at path.
func Load(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("read kubeconfig: %w", err)
	}
	var f file
	if err := yaml.Unmarshal(data, &f); err != nil {
		return Config{}, fmt.Errorf("parse kubeconfig %s: %w", path, err)
	}
	var cfg Config
	for _, x := range f.Contexts {
		if x.Name != f.CurrentContext {
			continue
		}
		cfg.Namespace = x.Context.Namespace
		for _, c := range f.Clusters {
			if c.Name == x.Context.Cluster {
				cfg.Server, cfg.CAData = c.Cluster.Server, c.Cluster.CertificateAuthorityData
			}
		}
		for _, u := range f.Users {
			if u.Name == x.Context.User {
				cfg.Token = u.User.Token
			}
		}
	}
	if cfg.Server == "" {
		return Config{}, fmt.Errorf("kubeconfig %s: current context %q names no server", path, f.CurrentContext)
	}
	if cfg.Namespace == "" {
		cfg.Namespace = "default"
	}
	return cfg, nil
}

// writeAtomic writes data to a temporary file beside path and renames it.
func writeAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
