package ko

import (
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func sha256File(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func TestBuild(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	first, err := Build(ctx, "testdata/hello", "example.com/hello")
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(first)
	out, err := exec.Command(first).CombinedOutput()
	if err != nil || string(out) != "hello from a ko build\n" {
		t.Errorf("running the binary = %q, %v; want the greeting", out, err)
	}

	// From a subdirectory of the module, the same import path builds the
	// same bytes: the digest does not depend on where or when it is built.
	second, err := Build(ctx, "testdata/hello/lib", "example.com/hello")
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(second)
	if first == second {
		t.Fatalf("two builds returned the same path %s; want a file each", first)
	}
	if sha256File(t, first) != sha256File(t, second) {
		t.Errorf("two builds of the same source differ; want a reproducible build")
	}
}

func TestBuildErrors(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tests := []struct {
		importPath string
		want       string
		wantErr    error
	}{
		{importPath: "example.com/hello/broken", want: "undefinedFunction"},
		{importPath: "example.com/nope", want: "example.com/nope"},
		{importPath: "example.com/hello/lib", wantErr: ErrNotMain},
		{importPath: "-x", want: "not an import path"},
	}
	for _, tt := range tests {
		p, err := Build(ctx, "testdata/hello", tt.importPath)
		if err == nil {
			os.Remove(p)
			t.Errorf("Build(%s) succeeded; want an error", tt.importPath)
			continue
		}
		if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
			t.Errorf("Build(%s) error = %v, want %v", tt.importPath, err, tt.wantErr)
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Build(%s) error = %q, want it to contain %q", tt.importPath, err, tt.want)
		}
	}
}
