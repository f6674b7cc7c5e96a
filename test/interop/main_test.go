// Package interop runs the braid command-line client against real BitTorrent
// clients (libtorrent, Transmission, aria2) and trackers (braid's own and
// opentracker) on loopback, and checks that every transfer ends byte for byte
// identical to the source. The peer programs come from Debian packages
// (scripts/install-test-deps.sh); a missing one fails the test that needs it.
package interop

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"
)

// suite holds what TestMain prepares once for every test.
var suite struct {
	tmp       string // removed after the run
	repoRoot  string
	braidBin  string
	braidErr  error // why braid could not be built; tests that need it fail with this
	buildTime time.Duration
}

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "braid-interop-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "interop:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	suite.tmp = tmp
	suite.repoRoot, err = findRepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "interop:", err)
		return 1
	}
	suite.braidBin, suite.braidErr = buildBraid(suite.repoRoot, tmp)
	code := m.Run()
	printTimings()
	return code
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

// buildBraid compiles the CLI under test once; a failure is reported by every
// test that needs the binary, so the driver tests still run.
func buildBraid(root, tmp string) (string, error) {
	bin := filepath.Join(tmp, "braid")
	start := time.Now()
	cmd := exec.Command("go", "build", "-o", bin, "github.com/braid-bt/braid/cmd/native")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	suite.buildTime = time.Since(start)
	if err != nil {
		return "", fmt.Errorf("go build github.com/braid-bt/braid/cmd/native: %v\n%s", err, out)
	}
	return bin, nil
}

// braidPath returns the built braid binary or fails the test with the build error.
func braidPath(t *testing.T) string {
	t.Helper()
	if suite.braidErr != nil {
		t.Fatalf("braid binary unavailable: %v", suite.braidErr)
	}
	return suite.braidBin
}

// slots caps how many transfers run at once: every pair runs two CPU-hungry
// clients, and CI machines have two cores.
var slots = make(chan struct{}, 2)

// parallel marks t parallel and waits for one of the transfer slots.
func parallel(t *testing.T) {
	t.Helper()
	t.Parallel()
	slots <- struct{}{}
	t.Cleanup(func() { <-slots })
}

var timings struct {
	sync.Mutex
	rows []string
}

// recordTiming notes how long one transfer took, for the summary after the run.
func recordTiming(t *testing.T, what string, d time.Duration) {
	t.Logf("timing: %s: %.1fs", what, d.Seconds())
	timings.Lock()
	defer timings.Unlock()
	timings.rows = append(timings.rows, fmt.Sprintf("%-70s %6.1fs", t.Name()+" "+what, d.Seconds()))
}

func printTimings() {
	timings.Lock()
	defer timings.Unlock()
	if len(timings.rows) == 0 {
		return
	}
	sort.Strings(timings.rows)
	fmt.Println("interop timings:")
	for _, r := range timings.rows {
		fmt.Println("  " + r)
	}
}
