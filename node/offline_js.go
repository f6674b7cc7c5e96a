//go:build js

package node

import "syscall/js"

// TestOffline reports test mode: the page set globalThis.BRAID_TEST_OFFLINE.
// Then a node refuses to start with an ICE server or tracker outside
// loopback and private networks (ErrNotOffline), so a public default that
// leaks into a browser test fails it.
func TestOffline() bool { return js.Global().Get("BRAID_TEST_OFFLINE").Truthy() }
