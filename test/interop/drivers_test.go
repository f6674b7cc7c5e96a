package interop

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// TestDrivers checks the peer drivers and trackers against each other without
// braid, so a failure elsewhere points at braid and not at the harness. Each
// client seeds and leeches once; Transmission only accepts peers that dial
// it, so its partner dials it (directly or after learning it from the
// tracker).
func TestDrivers(t *testing.T) {
	cases := []struct {
		seeder, leecher client
		route           string // "opentracker-http", "opentracker-udp" or "dial" (the other side dials)
		pieceLength     int64
	}{
		{libtorrent, aria2, "opentracker-http", 256 * kib},
		{aria2, transmission, "opentracker-udp", mib},
		{transmission, libtorrent, "dial", mib},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s_to_%s_%s", tc.seeder, tc.leecher, tc.route), func(t *testing.T) {
			parallel(t)
			c := testContent(t)
			work := t.TempDir()
			seedDir, dlDir := filepath.Join(work, "seed"), filepath.Join(work, "dl")
			c.copyTo(t, seedDir)
			torrent := filepath.Join(work, "t.torrent")

			var otPort int
			var announce []string
			if tc.route != "dial" {
				otPort = freePort(t)
				if tc.route == "opentracker-udp" {
					announce = []string{fmt.Sprintf("udp://127.0.0.1:%d", otPort)}
				} else {
					announce = []string{fmt.Sprintf("http://127.0.0.1:%d/announce", otPort)}
				}
			}
			meta := makeTorrent(t, "mktorrent", c, torrent, tc.pieceLength, announce...)
			if otPort != 0 {
				startOpentracker(t, otPort, meta.infoHash)
			}

			seeder := startSeeder(t, tc.seeder, torrent, seedDir, peerOpts{})
			if otPort != 0 {
				requireSeedOnTracker(t, otPort, meta.infoHash, 30*time.Second)
			}
			var o peerOpts
			if tc.route == "dial" && tc.leecher == libtorrent {
				o.dial = []string{seeder.addr()}
			}
			leecher := startLeecher(t, tc.leecher, torrent, dlDir, o)
			d := leecher.waitComplete(t, 150*time.Second)
			recordTiming(t, fmt.Sprintf("%s->%s %s %dKiB", tc.seeder, tc.leecher, tc.route, tc.pieceLength/kib), d)
			c.requireMatch(t, string(tc.leecher), dlDir)
		})
	}
}
