//go:build !js

package node

import "os"

// TestOffline reports test mode: BRAID_TEST_OFFLINE=1 in the environment.
// Then a node refuses to start with an ICE server, tracker or DHT
// bootstrap node outside loopback and private networks (ErrNotOffline):
// tests never reach the internet, and a public default that leaks into
// one fails it instead.
func TestOffline() bool { return os.Getenv("BRAID_TEST_OFFLINE") == "1" }
