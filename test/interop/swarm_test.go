package interop

import (
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestMixedSwarm runs one libtorrent seeder and three leechers (braid,
// libtorrent, aria2) together through braid's HTTP tracker. The seeder is
// rate-limited so the leechers have reason to trade pieces among themselves;
// braid keeps seeding (--seed) until every leecher is done, then stops on
// SIGINT and exits 0.
func TestMixedSwarm(t *testing.T) {
	parallel(t)
	c := testContent(t)
	braidPath(t)
	requireClient(t, libtorrent)
	requireClient(t, aria2)
	s := prepare(t, c, viaHTTP, "braid", 256*kib)

	startSeeder(t, libtorrent, s.torrent, s.seedDir, peerOpts{uploadLimit: 24 * mib})
	start := time.Now()
	bo := braidOpts{dir: filepath.Join(s.work, "braid"), stateDir: filepath.Join(s.work, "state"), seed: true}
	b := startBraid(t, "braid-leech", "download", s.torrent, bo)
	lt := startLeecher(t, libtorrent, s.torrent, filepath.Join(s.work, "lt"), peerOpts{keepSeeding: true})
	ar := startLeecher(t, aria2, s.torrent, filepath.Join(s.work, "aria2"), peerOpts{})

	const timeout = 120 * time.Second
	done := b.requireEvent(t, "braid complete line", timeout, func(e event) bool {
		return e.Type == "complete" || e.Type == "error"
	})
	require.Equal(t, "complete", done.Type, "braid: %s", done.raw)
	recordTiming(t, "swarm: braid complete", time.Since(start))
	ltTook := lt.waitComplete(t, timeout)
	recordTiming(t, "swarm: libtorrent complete", ltTook)
	arTook := ar.waitComplete(t, timeout)
	recordTiming(t, "swarm: aria2 complete", arTook)

	c.requireMatch(t, "braid", bo.dir)
	c.requireMatch(t, "libtorrent", filepath.Join(s.work, "lt"))
	c.requireMatch(t, "aria2", filepath.Join(s.work, "aria2"))

	if last, ok := b.lastEvent("progress"); ok {
		t.Logf("braid in the swarm: fetched %d, uploaded %d, peers %d", last.Fetched, last.Uploaded, last.Peers)
	}
	require.False(t, b.exited(), "braid --seed exited after completing; it should keep seeding")
	b.signal(syscall.SIGINT)
	b.requireExitOK(t, 30*time.Second)
	b.requireEvent(t, "braid stopped line", time.Second, isType("stopped"))
	require.FileExists(t, resumeFile(bo.stateDir, s.meta.infoHash), "resume record after a clean stop")
}
