//go:build !js

// Package braidbin builds the braid command for the end-to-end tests
// (test/interop, test/hostile), which drive it as a separate process.
package braidbin

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// RepoRoot walks up from the working directory to the directory holding go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// Build compiles cmd/native of the module at root into dir/braid and
// returns its path; the error carries the compiler's output.
func Build(root, dir string) (string, error) {
	bin := filepath.Join(dir, "braid")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/braid-bt/braid/cmd/native")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build github.com/braid-bt/braid/cmd/native: %v\n%s", err, out)
	}
	return bin, nil
}
