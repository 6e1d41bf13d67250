// Package ko builds ko:// images as ko does, without containers: a Go main
// package, named by its import path, compiled with `go build` into one
// static binary for this machine. The build is reproducible (-trimpath, no
// VCS stamping, no cgo), so that the same source always gives the same
// digest and re-applying an unchanged manifest changes nothing.
package ko

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strings"
)

// Scheme is the prefix of an image that ko (and skiff) build from source.
const Scheme = "ko://"

// ErrNotMain: the import path names a package that is not a command.
var ErrNotMain = errors.New("not a main package")

// Build compiles the main package importPath (without the ko:// scheme) in
// the Go module of dir, as ko builds in the module of the current
// directory, and returns the path of the binary: a new file in the system's
// temporary directory that the caller removes. A failed build's error
// carries go's output.
func Build(ctx context.Context, dir, importPath string) (string, error) {
	if importPath == "" || strings.HasPrefix(importPath, "-") {
		return "", fmt.Errorf("build %q: not an import path", importPath)
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("build %s: ko:// images are built with the go command: %w", importPath, err)
	}
	tmp, err := os.MkdirTemp("", "skiff-ko-")
	if err != nil {
		return "", fmt.Errorf("build %s: %w", importPath, err)
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, "bin")

	cmd := exec.CommandContext(ctx, goBin, "build", "-trimpath", "-buildvcs=false", "-o", out, importPath)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH)
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(output.String())
		if msg == "" {
			msg = err.Error()
		}
		return "", fmt.Errorf("build %s: go build failed:\n%s", importPath, msg)
	}
	// For a package that is not a command, go build -o writes an archive,
	// which is not executable.
	st, err := os.Stat(out)
	if err != nil {
		return "", fmt.Errorf("build %s: %w", importPath, err)
	}
	if st.Mode()&0o111 == 0 {
		return "", fmt.Errorf("build %s: %w; a ko:// image names a command (package main)", importPath, ErrNotMain)
	}

	// Move the binary out of the build directory, to a file of its own.
	f, err := os.CreateTemp("", "skiff-ko-"+path.Base(importPath)+"-")
	if err != nil {
		return "", fmt.Errorf("build %s: %w", importPath, err)
	}
	f.Close()
	if err := os.Rename(out, f.Name()); err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("build %s: %w", importPath, err)
	}
	return f.Name(), nil
}
