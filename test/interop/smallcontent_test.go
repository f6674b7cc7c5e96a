package interop

import "testing"

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
