//go:build js && wasm

package webrtc

import (
	"fmt"
	"os"
	"syscall/js"
	"testing"
)

// TestMain gives Node the browser's WebRTC classes from @roamhq/wrtc (in
// web/e2e/node_modules), so pion's js/wasm build can run these tests under
// go_js_wasm_exec: PATH="$PATH:$(go env GOROOT)/lib/wasm" GOOS=js GOARCH=wasm go test.
func TestMain(m *testing.M) {
	if js.Global().Get("RTCPeerConnection").IsUndefined() {
		dir := js.Global().Get("process").Call("cwd").String()
		mod := dir + "/../../web/e2e/node_modules/@roamhq/wrtc"
		var err error
		func() {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("%v", r)
				}
			}()
			wrtc := js.Global().Call("require", mod)
			for _, name := range []string{"RTCPeerConnection", "RTCSessionDescription", "RTCIceCandidate", "RTCDataChannel"} {
				js.Global().Set(name, wrtc.Get(name))
			}
		}()
		if err != nil {
			fmt.Fprintf(os.Stderr, "webrtc tests need @roamhq/wrtc (cd web/e2e && npm ci --ignore-scripts): %v\n", err)
			os.Exit(1)
		}
	}
	if js.Global().Get("window").IsUndefined() {
		js.Global().Set("window", js.Global()) // pion looks the classes up on window
	}
	os.Exit(m.Run())
}
