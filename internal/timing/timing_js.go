//go:build js && wasm

package timing

import "syscall/js"

// Mark records "braid:"+name on the performance timeline of the Worker (or
// page) the wasm runs in; nothing when the host has no performance.mark.
func Mark(name string) {
	perf := js.Global().Get("performance")
	if perf.Type() != js.TypeObject || perf.Get("mark").Type() != js.TypeFunction {
		return
	}
	perf.Call("mark", "braid:"+name)
}
