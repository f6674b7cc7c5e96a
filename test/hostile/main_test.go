// Package hostile proves that Braid survives hostile peers, hostile
// trackers, crashes, a full disk and unsafe paths in torrents. Peers and
// trackers are scripted in the test process on loopback; Braid runs
// in-process through its Go API, or as the `braid` binary built once here
// for the crash and command-line tests.
package hostile

import (
	"fmt"
	"os"
	"testing"

	"github.com/braid-bt/braid/internal/braidbin"
)

// suite holds what TestMain prepares once for every test.
var suite struct {
	tmp      string
	braidBin string
	braidErr error // why the binary could not be built; the tests needing it fail with this
}

func TestMain(m *testing.M) {
	// Test mode for every braid the tests run: a public default (STUN,
	// DHT routers) makes it refuse to start instead of going online.
	_ = os.Setenv("BRAID_TEST_OFFLINE", "1")
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
	root, err := braidbin.RepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "hostile:", err)
		return 1
	}
	suite.braidBin, suite.braidErr = braidbin.Build(root, tmp)
	return m.Run()
}

// braidPath returns the built binary or fails the test with the build error.
func braidPath(t *testing.T) string {
	t.Helper()
	if suite.braidErr != nil {
		t.Fatalf("braid binary unavailable: %v", suite.braidErr)
	}
	return suite.braidBin
}
