package kubeconfig

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWriteLoadRoundTrip(t *testing.T) {
	p := filepath.Join(t.TempDir(), "kubeconfig")
	want := Config{Server: "https://127.0.0.1:7080", Token: "abc", Namespace: "default", CAData: []byte("-----BEGIN CERTIFICATE-----\n")}
	if err := Write(p, want); err != nil {
		t.Fatal(err)
	}
	got, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if got.Server != want.Server || got.Token != want.Token || got.Namespace != want.Namespace || string(got.CAData) != string(want.CAData) {
		t.Errorf("Load() = %+v, want %+v", got, want)
	}
	st, _ := os.Stat(p)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("kubeconfig mode = %v, want 0600", st.Mode().Perm())
	}
}

func TestEnsureTokenIsStable(t *testing.T) {
	p := filepath.Join(t.TempDir(), "token")
	a, err := EnsureToken(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 64 {
		t.Errorf("token length = %d, want 64 hex chars", len(a))
	}
	b, err := EnsureToken(p)
	if err != nil || b != a {
		t.Errorf("second EnsureToken() = %q, %v; want %q", b, err, a)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(filepath.Join(dir, "missing")); err == nil {
		t.Error("Load(missing) = nil error")
	}
	p := filepath.Join(dir, "empty")
	_ = os.WriteFile(p, []byte("apiVersion: v1\nkind: Config\n"), 0o600)
	if _, err := Load(p); err == nil {
		t.Error("Load(no contexts) = nil error")
	}
}
