// Package hostile proves that Braid survives hostile peers, hostile
// trackers, crashes, a full disk and unsafe paths in torrents. Peers and
// trackers are scripted in the test process on loopback; Braid runs
// in-process through its Go API, or as the `braid` binary built once here
// for the crash and command-line tests.
package hostile

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// suite holds what TestMain prepares once for every test.
var suite struct {
	tmp      string
	braidBin string
	braidErr error // why the binary could not be built; the tests needing it fail with this
}

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "braid-hostile-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "hostile:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	suite.tmp = tmp
	root, err := findRepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "hostile:", err)
		return 1
	}
	suite.braidBin, suite.braidErr = buildBraid(root, tmp)
	return m.Run()
}

// findRepoRoot walks up from the working directory to the directory holding go.mod.
func findRepoRoot() (string, error) {
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
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

func buildBraid(root, tmp string) (string, error) {
	bin := filepath.Join(tmp, "braid")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/braid-bt/braid/cmd/native")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build github.com/braid-bt/braid/cmd/native: %v\n%s", err, out)
	}
	return bin, nil
}

// braidPath returns the built binary or fails the test with the build error.
func braidPath(t *testing.T) string {
	t.Helper()
	if suite.braidErr != nil {
		t.Fatalf("braid binary unavailable: %v", suite.braidErr)
	}
	return suite.braidBin
}
