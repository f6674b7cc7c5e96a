package interop

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestPEXFindsSeeder gives a leecher one peer address: an intermediate
// leecher that is itself connected to `braid seed`. No tracker, no DHT: the
// leecher can only reach the seeder through peer exchange (BEP 11), and it
// must, to finish while the intermediate still lacks data.
//
//   - braid_via_braid: the intermediate is a braid download; the seeder is
//     slow (--upload-rate), so the intermediate is far from complete when
//     the braid leecher arrives;
//   - braid_via_libtorrent: the intermediate is libtorrent limited to 4000
//     bytes a second of download, so it verifies no piece during the test
//     and has nothing to give: braid completes only if it believed
//     libtorrent's ut_pex (a lower limit stalls libtorrent's handshakes);
//   - libtorrent_via_braid: libtorrent is the leecher and learns the slow
//     braid seeder from the braid intermediate's ut_pex.
func TestPEXFindsSeeder(t *testing.T) {
	cases := []struct {
		name               string
		intermediate       client // libtorrent, or "" for braid
		leecher            client // libtorrent, or "" for braid
		seederRate         string // --upload-rate of the seeder
		intermediateStarve bool   // the intermediate downloads (almost) nothing
	}{
		{"braid_via_braid", "", "", "1MiB", false},
		{"braid_via_libtorrent", libtorrent, "", "", true},
		{"libtorrent_via_braid", "", libtorrent, "1MiB", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			parallel(t)
			c := smallContent(t)
			braidPath(t)
			requireClient(t, libtorrent)
			work := t.TempDir()
			seedDir := filepath.Join(work, "seed")
			c.copyTo(t, seedDir)
			torrent := filepath.Join(work, "t.torrent")
			createTorrent(t, c, torrent, smallPiece)
			seeder := startBraidRun(t, "braid-seed", "seed", torrent, braidRun{
				braidOpts:  braidOpts{dir: seedDir, stateDir: filepath.Join(work, "seed-state")},
				uploadRate: tc.seederRate,
			})
			waitBraidSeeding(t, seeder, c.total, 30*time.Second)
			seederAddr := braidAddr(t, seeder)

			// The intermediate connects to the seeder, and only to it.
			var midAddr string
			var midHave func() int64
			midDir := filepath.Join(work, "mid")
			if tc.intermediate == libtorrent {
				flags := []string{"--peer", seederAddr, "--keep-seeding"}
				if tc.intermediateStarve {
					flags = append(flags, "--download-limit", "4000")
				}
				mid := startLTPeer(t, "libtorrent-intermediate", "leech", torrent, midDir, flags...)
				mid.proc.requireEvent(t, "libtorrent intermediate connected", 30*time.Second, func(e event) bool {
					return e.Type == "progress" && e.Peers >= 1
				})
				midAddr, midHave = mid.addr(), func() int64 { return ltHave(mid) }
			} else {
				mid := startBraidRun(t, "braid-intermediate", "download", torrent, braidRun{
					braidOpts: braidOpts{dir: midDir, stateDir: filepath.Join(work, "mid-state"), peers: []string{seederAddr}, seed: true},
				})
				mid.requireEvent(t, "braid intermediate connected", 30*time.Second, func(e event) bool {
					return e.Type == "progress" && e.Peers >= 1
				})
				midAddr = braidAddr(t, mid)
				midHave = func() int64 {
					ev, _ := mid.lastEvent("progress")
					return ev.Have
				}
			}
			atStart := midHave()
			require.Less(t, atStart, c.total, "the intermediate completed before the leecher came")
			t.Logf("intermediate %s has %d of %d bytes when the leecher starts", midAddr, atStart, c.total)

			dl := filepath.Join(work, "dl")
			start := time.Now()
			if tc.leecher == libtorrent {
				lt := startLTPeer(t, "libtorrent-leech", "leech", torrent, dl, "--peer", midAddr)
				lt.waitComplete(t, 90*time.Second)
				recordTiming(t, "pex: libtorrent leecher complete", time.Since(start))
				c.requireMatch(t, "libtorrent", dl)
				ltMax := 0
				for _, e := range lt.proc.events() {
					if e.Type == "progress" {
						ltMax = max(ltMax, e.Peers)
					}
				}
				require.GreaterOrEqual(t, ltMax, 2, "libtorrent never had more than the one peer it was given")
			} else {
				b := startBraidRun(t, "braid-leech", "download", torrent, braidRun{
					braidOpts: braidOpts{dir: dl, stateDir: filepath.Join(work, "state"), peers: []string{midAddr}},
				})
				done := waitBraidComplete(t, b, 90*time.Second)
				recordTiming(t, "pex: braid leecher complete", time.Since(start))
				c.requireMatch(t, "braid", dl)
				if !tc.intermediateStarve {
					// With a starved intermediate, completing is the proof; braid
					// may drop the useless peer between two progress lines.
					require.GreaterOrEqual(t, maxPeers(b), 2,
						"braid never had more than the one peer it was given, yet completed: %s", done.raw)
				}
			}
			if tc.intermediateStarve {
				have := midHave()
				require.Less(t, have, int64(smallPiece),
					"the starved intermediate got %d bytes: the leecher may have had its data from it", have)
			}
		})
	}
}
