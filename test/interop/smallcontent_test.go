package interop

import (
	"path/filepath"
	"testing"
	"time"
)

// smallPiece is the piece length of the small content's torrents: every file
// edge then falls inside a piece, so neighbouring files share one.
const smallPiece = 256 * kib

// smallLayout is a four-file folder of about 6 MiB for the magnet, DHT, PEX,
// web seed and select-only tests, where discovery is under test rather than
// throughput. Each file has whole pieces of its own and shares its edge
// pieces with its neighbours.
var smallLayout = []layoutFile{
	{"a.bin", mib + 100*kib},
	{"b.bin", 2*mib + 50*kib},
	{"c.bin", mib + 3},
	{"d.bin", mib + 512*kib + 7},
}

var small = lazyContent{dir: "small", seedPrefix: "braid interop small", layout: smallLayout}

// smallContent returns the shared small folder (named contentName, so the
// content helpers apply), generating it on first use.
func smallContent(t *testing.T) *content {
	t.Helper()
	return small.get(t)
}

// smallSeed is a braid seeding the small content from a copy in work.
type smallSeed struct {
	c       *content
	work    string // the test's scratch directory
	dir     string // the seeder's --dir
	torrent string // the .torrent it seeds
	braid   *proc
}

// startSmallBraidSeed copies the small content into a scratch directory,
// makes a torrent of it with pieceLength, starts `braid seed` on it with
// the extra flags, and waits until braid seeds every byte.
func startSmallBraidSeed(t *testing.T, pieceLength int64, extra ...string) smallSeed {
	t.Helper()
	s := smallSeed{c: smallContent(t), work: t.TempDir()}
	braidPath(t)
	requireClient(t, libtorrent)
	s.dir = filepath.Join(s.work, "seed")
	s.c.copyTo(t, s.dir)
	s.torrent = filepath.Join(s.work, "t.torrent")
	createTorrent(t, s.c, s.torrent, pieceLength)
	s.braid = startBraid(t, "braid-seed", "seed", s.torrent,
		braidOpts{dir: s.dir, stateDir: filepath.Join(s.work, "seed-state"), extra: extra})
	waitBraidSeeding(t, s.braid, s.c.total, 30*time.Second)
	return s
}
