//go:build linux

// Package netnstest runs a test inside a network namespace of its own that
// has only loopback, with multicast on it: tests of Local Service
// Discovery send multicast there and never on the host's interfaces.
package netnstest

import (
	"net"
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/require"
)

// envVar marks the re-executed test binary that runs in the namespace.
const envVar = "BRAID_TEST_IN_NETNS"

// setup brings loopback up and adds a veth pair, lsd0 and lsd1, with an
// address of each family on lsd0: Linux loops IPv6 multicast back on a
// real link but not on lo, and loopback's own addresses are host-scoped
// (a datagram to a group would leave from 0.0.0.0). No duplicate
// address detection: the link-local addresses are usable at once. Both ends stay in the
// namespace; the IPv4 groups are routed through lsd0.
const setup = `set -e
ip link set lo up
echo 0 >/proc/sys/net/ipv6/conf/default/accept_dad
ip link add lsd0 type veth peer name lsd1
ip link set lsd0 up
ip link set lsd1 up
ip addr add 10.99.0.1/24 dev lsd0
ip -6 addr add fd99::1/64 dev lsd0 nodad
ip route add 239.0.0.0/8 dev lsd0
exec "$@"`

// Interfaces are the namespace's interfaces.
var Interfaces = []string{"lo", "lsd0", "lsd1"}

// Addr4 is the namespace's IPv4 address (on lsd0).
const Addr4 = "10.99.0.1"

// Enter reports whether the calling test runs inside its namespace: then
// it goes on. Otherwise it re-executes the test binary for this test
// (a top-level test) in a new namespace made by `unshare -rn` (setup), logs what
// that printed and fails the test when it failed or no namespace could be
// made; the caller returns.
func Enter(t *testing.T, extraArgs ...string) bool {
	t.Helper()
	if os.Getenv(envVar) == "1" {
		ifis, err := net.Interfaces()
		require.NoError(t, err)
		for _, ifi := range ifis {
			require.Contains(t, Interfaces, ifi.Name, "an interface outside the test's namespace")
		}
		return true
	}
	args := append([]string{"-rn", "sh", "-c", setup, "sh", os.Args[0], "-test.run", "^" + t.Name() + "$", "-test.count=1", "-test.v"}, extraArgs...)
	cmd := exec.Command("unshare", args...)
	cmd.Env = append(os.Environ(), envVar+"=1")
	out, err := cmd.CombinedOutput()
	t.Logf("in a network namespace:\n%s", out)
	require.NoError(t, err, "the test in its own network namespace failed, or unshare -rn could not make one")
	return false
}
