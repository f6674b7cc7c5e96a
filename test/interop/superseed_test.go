package interop

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestSuperSeedLibtorrentSwarm: braid seeds with --super-seed (BEP 16),
// its upload capped, to three libtorrent leechers that also dial each
// other. libtorrent sees braid show a few pieces at a time, never its
// whole bitfield; every leecher completes with the right bytes; and braid
// uploads little more than one copy, as the leechers trade the rest.
func TestSuperSeedLibtorrentSwarm(t *testing.T) {
	parallel(t)
	s := startSmallBraidSeed(t, 32*kib, "--super-seed", "--upload-rate", "2MiB")
	c, work, torrent, seeder := s.c, s.work, s.torrent, s.braid

	dial := []string{braidAddr(t, seeder)}
	var leechers []*peer
	for i := range 3 {
		lt := startLeecher(t, libtorrent, torrent, filepath.Join(work, fmt.Sprint("lt", i)),
			peerOpts{dial: append([]string(nil), dial...), keepSeeding: true})
		leechers = append(leechers, lt)
		dial = append(dial, lt.addr())
	}
	numPieces := int((c.total + 32*kib - 1) / (32 * kib))
	for i, lt := range leechers {
		who := fmt.Sprint("libtorrent leecher ", i)
		lt.proc.requireEvent(t, who+" complete", 120*time.Second, isType("complete"))
		c.requireMatch(t, who, lt.parent)
		// While it downloaded, braid had shown it some pieces, not all.
		shown, partial := 0, false
		for _, e := range lt.proc.events() {
			if n, ok := e.PeerPieces[braidAddr(t, seeder)]; ok && e.Type == "progress" && e.Progress < 1 {
				shown = max(shown, n)
				partial = partial || (n > 0 && n < numPieces)
				require.Less(t, n, numPieces, "%s saw braid's whole bitfield while downloading", who)
			}
		}
		t.Logf("%s: braid showed at most %d of %d pieces while it downloaded", who, shown, numPieces)
		require.True(t, partial, "%s never saw braid offer a piece", who)
	}
	// The uploaded total of braid's next progress line covers every block
	// it sent.
	var up int64
	require.Eventually(t, func() bool {
		ev, ok := seeder.lastEvent("progress")
		up = ev.Uploaded
		return ok && up >= c.total
	}, 10*time.Second, 100*time.Millisecond, "braid must upload at least one copy")
	t.Logf("braid uploaded %d bytes for %d of content (%.2f copies) to 3 leechers", up, c.total, float64(up)/float64(c.total))
	require.LessOrEqual(t, up, c.total*3/2, "super-seeding uploads about one copy, not one per leecher")
}
