package hostile

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// heapInuse is the Go heap in use after a full collection.
func heapInuse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// rss is the process's resident set size from /proc (0 if unknown).
func rss() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func mib(n uint64) float64 { return float64(n) / (1 << 20) }

// heapGrowth is after-before in bytes, 0 when the heap shrank.
func heapGrowth(before, after uint64) uint64 {
	if after < before {
		return 0
	}
	return after - before
}

// requireHeapBounded fails when the heap grew by more than limit since before.
func requireHeapBounded(t testing.TB, before uint64, limit uint64, what string) {
	t.Helper()
	after := heapInuse()
	t.Logf("%s: HeapInuse %.1f MiB -> %.1f MiB", what, mib(before), mib(after))
	if g := heapGrowth(before, after); g > limit {
		t.Fatalf("%s: heap grew by %.1f MiB, limit %.1f MiB", what, mib(g), mib(limit))
	}
}

// requireGoroutinesBack waits until the goroutine count is back within
// slack of baseline: connections Braid dropped must not leave workers behind.
func requireGoroutinesBack(t testing.TB, baseline, slack int, d time.Duration) {
	t.Helper()
	ok := eventually(d, func() bool { return runtime.NumGoroutine() <= baseline+slack })
	if !ok {
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		t.Fatalf("goroutines: %d, baseline %d (+%d allowed) after %v\n%s", runtime.NumGoroutine(), baseline, slack, d, buf[:n])
	}
}

func numGoroutine() int { return runtime.NumGoroutine() }
