package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr string
		check   func(t *testing.T, f File)
	}{
		{name: "empty", in: "", check: func(t *testing.T, f File) {
			c, _ := f.APIConfig()
			if c.RevisionTimeoutSeconds != 300 || c.MaxRevisionTimeoutSeconds != 600 || c.ContainerConcurrencyMaxLimit != 1000 {
				t.Errorf("APIConfig() = %+v, want Knative's defaults", c)
			}
		}},
		{name: "defaults", in: "config-defaults:\n  revision-timeout-seconds: \"120\"\n  container-concurrency: 10\n", check: func(t *testing.T, f File) {
			c, _ := f.APIConfig()
			if c.RevisionTimeoutSeconds != 120 || c.ContainerConcurrency != 10 {
				t.Errorf("APIConfig() = %+v, want timeout 120 and concurrency 10", c)
			}
		}},
		{name: "bools and durations", in: "config-autoscaler:\n  allow-zero-initial-scale: true\n  stable-window: 60s\n", check: func(t *testing.T, f File) {
			c, _ := f.APIConfig()
			if !c.AllowZeroInitialScale {
				t.Errorf("AllowZeroInitialScale = false, want true")
			}
			if v, _ := f.Get("config-autoscaler", "stable-window"); v != "60s" {
				t.Errorf("stable-window = %q, want 60s", v)
			}
		}},
		{name: "unknown section", in: "config-nope:\n  a: b\n", wantErr: `unknown section "config-nope"`},
		{name: "bad int", in: "config-defaults:\n  revision-timeout-seconds: abc\n", wantErr: "config-defaults.revision-timeout-seconds"},
		{name: "timeout over max", in: "config-defaults:\n  revision-timeout-seconds: \"900\"\n", wantErr: "cannot be greater than max-revision-timeout-seconds"},
		{name: "nested value", in: "config-network:\n  a:\n    b: c\n", wantErr: "config-network.a: value must be"},
		{name: "not yaml", in: "{{{", wantErr: "parse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse() error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse() error = %v", err)
			}
			tt.check(t, f)
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	f, err := Load(filepath.Join(t.TempDir(), "none.yaml"))
	if err != nil || len(f) != 0 {
		t.Fatalf("Load(missing) = %v, %v; want empty, nil", f, err)
	}
}

func TestLoadFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte("config-gc:\n  max-non-active-revisions: \"5\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := Load(p)
	if err != nil {
		t.Fatalf("Load() error = %v", err)
	}
	if v, _ := f.Get("config-gc", "max-non-active-revisions"); v != "5" {
		t.Errorf("max-non-active-revisions = %q, want 5", v)
	}
}
