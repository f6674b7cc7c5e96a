//go:build linux

package interop

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/braid-bt/braid/internal/netnstest"
	"github.com/stretchr/testify/require"
)

// TestHolepunch (BEP 55): braid downloads from a libtorrent seeder that,
// like braid itself, accepts no connection (nftables in the test's own
// network namespace drops every new TCP connection and uTP datagram to
// either one's port). Both are connected to a relay that downloads at
// 2 KB/s, so the data can only come from the seeder: braid learns the
// seeder from the relay's PEX, fails to dial it, asks the relay for a
// rendezvous, and both dial each other over uTP at once. The relay is
// libtorrent (braid as initiator) and then braid (braid as relay too).
func TestHolepunch(t *testing.T) {
	parallel(t) // its own namespace: its nftables rules touch no other test
	if !netnstest.Enter(t) {
		return
	}
	c := smallContent(t)
	braidPath(t)
	requireClient(t, libtorrent)
	for _, relayKind := range []string{"libtorrent", "braid"} {
		t.Run("relay "+relayKind, func(t *testing.T) {
			work := t.TempDir()
			torrent := filepath.Join(work, "t.torrent")
			createTorrent(t, c, torrent, smallPiece/4)
			seedDir := filepath.Join(work, "seed")
			c.copyTo(t, seedDir)

			braidPort, seedPort := freePort(t), freePort(t)
			unreachable(t, braidPort, seedPort)

			var relay string
			if relayKind == "libtorrent" {
				r := startLTPeer(t, "libtorrent-relay", "leech", torrent, filepath.Join(work, "relay"),
					"--download-limit", "2000", "--transport", "both")
				relay = r.addr()
			} else {
				r := startBraid(t, "braid-relay", "download", torrent, braidOpts{
					dir: filepath.Join(work, "relay"), stateDir: filepath.Join(work, "relay-state"),
					extra: []string{"--download-rate", "2KiB"},
				})
				relay = braidAddr(t, r)
			}
			seeder := &peer{kind: libtorrent, port: seedPort, parent: seedDir}
			seeder.proc = startProc(t, "libtorrent-seed-unreachable", "", systemPython, "-u",
				filepath.Join(suite.repoRoot, "test", "interop", "peers", "lt_peer.py"),
				"seed", torrent, seedDir, "--listen", seeder.addr(), "--peer", relay, "--transport", "both")
			seeder.proc.requireEvent(t, "seeder ready", 30*time.Second, isType("ready"))

			// uTP to the relay: a libtorrent relay introduces us by the
			// address our connection comes from, and only a uTP one's is
			// our listening port.
			d := startBraid(t, "braid-behind-nat", "download", torrent, braidOpts{
				dir: filepath.Join(work, "braid"), stateDir: filepath.Join(work, "braid-state"),
				peers: []string{"utp://" + relay},
				extra: []string{"--listen", loopback(braidPort)},
			})
			waitBraidComplete(t, d, 90*time.Second)
			c.requireMatch(t, "braid", filepath.Join(work, "braid"))
		})
	}
}

// unreachable makes new connections to these ports fail, TCP and UDP
// alike, as a NAT or firewall does: only packets of a flow the port's own
// side opened get in.
func unreachable(t *testing.T, ports ...int) {
	t.Helper()
	table := fmt.Sprintf("hp%d", ports[0])
	set := ""
	for i, p := range ports {
		if i > 0 {
			set += ", "
		}
		set += strconv.Itoa(p)
	}
	for _, args := range [][]string{
		{"add", "table", "inet", table},
		{"add", "chain", "inet", table, "input", "{ type filter hook input priority 0; }"},
		{"add", "rule", "inet", table, "input", "tcp", "dport", "{ " + set + " }", "ct", "state", "new", "drop"},
		{"add", "rule", "inet", table, "input", "udp", "dport", "{ " + set + " }", "ct", "state", "new", "drop"},
	} {
		out, err := exec.Command("nft", args...).CombinedOutput()
		require.NoError(t, err, "nft %v: %s", args, out)
	}
	t.Cleanup(func() { _ = exec.Command("nft", "delete", "table", "inet", table).Run() })
}
