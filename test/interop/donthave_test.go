package interop

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestDontHaveToLibtorrent: a file is truncated under a seeding braid
// while a libtorrent leecher downloads from it. Uploads that cannot read
// their blocks make braid hash those pieces again; they fail, so braid
// takes them back, sends lt_donthave (BEP 54), and says it is downloading
// again. libtorrent's view of braid's pieces drops below the whole.
func TestDontHaveToLibtorrent(t *testing.T) {
	parallel(t)
	s := startSmallBraidSeed(t, 32*kib)
	c, work, seedDir, torrent, seeder := s.c, s.work, s.dir, s.torrent, s.braid
	numPieces := int((c.total + 32*kib - 1) / (32 * kib))
	braid := braidAddr(t, seeder)

	lt := startLTPeer(t, "libtorrent-leech", "leech", torrent, filepath.Join(work, "lt"),
		"--peer", braid, "--download-limit", "300000")
	lt.proc.requireEvent(t, "libtorrent sees braid's every piece", 30*time.Second, func(e event) bool {
		return e.Type == "progress" && e.PeerPieces[braid] == numPieces
	})
	// b.bin is a third of the torrent: gone, its pieces cannot be served.
	require.NoError(t, os.Truncate(filepath.Join(seedDir, contentName, "b.bin"), 0))
	lt.proc.requireEvent(t, "libtorrent told of lost pieces", 60*time.Second, func(e event) bool {
		n, ok := e.PeerPieces[braid]
		return e.Type == "progress" && ok && n < numPieces
	})
	seeder.requireEvent(t, "braid downloading again", 30*time.Second, func(e event) bool {
		return e.Type == "progress" && e.State == "downloading" && e.Have < c.total
	})
}
