//go:build !js

// Package nodepeer runs a Node.js peer script (WebTorrent, bittorrent-tracker)
// for Braid's interop tests, with the npm packages of web/e2e. It fails the
// test, never skips it, when node or the packages are missing: interop with
// WebTorrent is a requirement, not an option.
package nodepeer

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Start runs `node script args...` and returns a scanner over its stdout and
// its stderr so far. modules is web/e2e/node_modules, relative to the
// calling package. The script runs from a temporary directory whose
// node_modules links to modules, so nothing is written into the repository;
// the process is killed when the test ends or ctx is done.
func Start(t *testing.T, ctx context.Context, modules, script string, args ...string) (*bufio.Scanner, *strings.Builder) {
	t.Helper()
	node, err := exec.LookPath("node")
	require.NoError(t, err, "node must be on PATH for the WebTorrent interop test")
	modules, err = filepath.Abs(modules)
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(modules, "webtorrent", "package.json"))
	require.NoError(t, err, "run: cd web/e2e && npm ci --ignore-scripts")

	dir := t.TempDir()
	src, err := os.ReadFile(script)
	require.NoError(t, err)
	name := filepath.Base(script)
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), src, 0o644))
	require.NoError(t, os.Symlink(modules, filepath.Join(dir, "node_modules")))

	cmd := exec.CommandContext(ctx, node, append([]string{name}, args...)...)
	cmd.Dir = dir
	stderr := &strings.Builder{}
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return bufio.NewScanner(out), stderr
}
