package interop

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// route is how two peers find each other in a test.
type route string

const (
	viaHTTP      route = "http" // braid tracker, HTTP announce
	viaUDP       route = "udp"  // braid tracker, UDP announce
	viaPeer      route = "peer" // one side is told the other's address
	viaOpenHTTP  route = "opentracker-http"
	viaOpenUDP   route = "opentracker-udp"
	trackerEvery       = 2 // seconds between announces the braid tracker asks for
)

// swarmSetup is one prepared transfer: a private copy of the content to
// seed, a .torrent announcing to the route's tracker, and that tracker.
type swarmSetup struct {
	work    string
	seedDir string // parent of the seeder's data
	torrent string
	meta    *torrentMeta
	otPort  int // opentracker port, when the route uses it
}

// prepare copies the content, starts the route's tracker and makes the torrent.
func prepare(t *testing.T, c *content, r route, creator string, pieceLength int64) *swarmSetup {
	t.Helper()
	s := &swarmSetup{work: t.TempDir()}
	s.seedDir = filepath.Join(s.work, "seed")
	c.copyTo(t, s.seedDir)
	s.torrent = filepath.Join(s.work, "t.torrent")
	var announce []string
	switch r {
	case viaHTTP, viaUDP:
		h, u := startBraidTracker(t, trackerEvery)
		announce = []string{h}
		if r == viaUDP {
			announce = []string{u}
		}
	case viaOpenHTTP, viaOpenUDP:
		s.otPort = freePort(t)
		announce = []string{fmt.Sprintf("http://127.0.0.1:%d/announce", s.otPort)}
		if r == viaOpenUDP {
			announce = []string{fmt.Sprintf("udp://127.0.0.1:%d", s.otPort)}
		}
	case viaPeer:
	default:
		t.Fatalf("unknown route %q", r)
	}
	s.meta = makeTorrent(t, creator, c, s.torrent, pieceLength, announce...)
	if s.otPort != 0 {
		startOpentracker(t, s.otPort, s.meta.infoHash)
	}
	return s
}

// seederAnnounced waits, for opentracker routes, until the seeder shows in a scrape.
func (s *swarmSetup) seederAnnounced(t *testing.T) {
	t.Helper()
	if s.otPort != 0 {
		requireSeedOnTracker(t, s.otPort, s.meta.infoHash, 30*time.Second)
	}
}

// TestBraidDownloadsFrom has braid download the content from each foreign
// client as the only seeder, found through each kind of tracker and directly.
func TestBraidDownloadsFrom(t *testing.T) {
	cases := []struct {
		seeder      client
		pieceLength int64
		via         route
		creator     string
	}{
		{libtorrent, 256 * kib, viaHTTP, "braid"},
		{libtorrent, mib, viaUDP, "braid"},
		{libtorrent, mib, viaPeer, "mktorrent"},
		{libtorrent, mib, viaOpenUDP, "mktorrent"},
		{transmission, 256 * kib, viaHTTP, "braid"},
		{transmission, mib, viaUDP, "braid"},
		{transmission, mib, viaPeer, "mktorrent"},
		{aria2, 256 * kib, viaHTTP, "braid"},
		{aria2, mib, viaUDP, "braid"},
		{aria2, mib, viaPeer, "mktorrent"},
		{aria2, 256 * kib, viaOpenHTTP, "mktorrent"},
	}
	for _, tc := range cases {
		name := fmt.Sprintf("%s_%dKiB_%s_%s", tc.seeder, tc.pieceLength/kib, tc.via, tc.creator)
		t.Run(name, func(t *testing.T) {
			parallel(t)
			c := testContent(t)
			braidPath(t)
			requireClient(t, tc.seeder)
			s := prepare(t, c, tc.via, tc.creator, tc.pieceLength)
			seeder := startSeeder(t, tc.seeder, s.torrent, s.seedDir, peerOpts{})
			s.seederAnnounced(t)

			o := braidOpts{dir: filepath.Join(s.work, "dl"), stateDir: filepath.Join(s.work, "state")}
			if tc.via == viaPeer {
				o.peers = []string{seeder.addr()}
			}
			start := time.Now()
			b := startBraid(t, "braid-download", "download", s.torrent, o)
			done := waitBraidComplete(t, b, downloadTimeout(tc.seeder))
			recordTiming(t, fmt.Sprintf("%s->braid %s %dKiB", tc.seeder, tc.via, tc.pieceLength/kib), time.Since(start))

			c.requireMatch(t, "braid", o.dir)
			require.GreaterOrEqual(t, done.Fetched, c.total, "a fresh download fetched fewer payload bytes than the content: %s", done.raw)
			last, ok := b.lastEvent("progress")
			require.True(t, ok, "braid printed no progress line")
			require.Equal(t, s.meta.infoHash, last.InfoHash, "progress info_hash")
			require.Equal(t, c.total, last.Total, "progress total")
		})
	}
}

// downloadTimeout bounds one 64 MiB transfer: Transmission serves slowly on
// loopback (about 3 MiB/s here, unchoking every 10 s).
func downloadTimeout(c client) time.Duration {
	if c == transmission {
		return 150 * time.Second
	}
	return 90 * time.Second
}
