// Package interop runs the braid command-line client against real BitTorrent
// clients (libtorrent, Transmission, aria2) and trackers (braid's own and
// opentracker) on loopback, and checks that every transfer ends byte for byte
// identical to the source. The peer programs come from Debian packages
// (scripts/install-test-deps.sh); a missing one fails the test that needs it.
package interop

import (
	"fmt"
	"os"
	"sort"
	"sync"
	"testing"

	"time"

	"github.com/braid-bt/braid/internal/braidbin"
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
	// Test mode for every braid the tests run: a public default (STUN,
	// DHT routers) makes it refuse to start instead of going online.
	_ = os.Setenv("BRAID_TEST_OFFLINE", "1")
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
	suite.repoRoot, err = braidbin.RepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "interop:", err)
		return 1
	}
	// The CLI under test is compiled once; a failure is reported by every
	// test that needs the binary, so the driver tests still run.
	start := time.Now()
	suite.braidBin, suite.braidErr = braidbin.Build(suite.repoRoot, tmp)
	suite.buildTime = time.Since(start)
	code := m.Run()
	printTimings()
	return code
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
