//go:build js && wasm

package timing

import (
	"syscall/js"
	"testing"
)

// TestMarkOnTimeline: a mark lands on the host's performance timeline
// under the "braid:" prefix, once per call.
func TestMarkOnTimeline(t *testing.T) {
	perf := js.Global().Get("performance")
	if perf.Type() != js.TypeObject || perf.Get("getEntriesByName").Type() != js.TypeFunction {
		t.Fatal("the wasm host has no performance timeline")
	}
	count := func() int { return perf.Call("getEntriesByName", "braid:test-phase", "mark").Length() }
	before := count()
	Mark("test-phase")
	Mark("test-phase")
	if got := count() - before; got != 2 {
		t.Fatalf("marks named braid:test-phase: %d new, want 2", got)
	}
}
