package interop

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// TestForeignDownloadsFromBraid has each foreign client download the content
// from `braid seed` as the only seeder. Transmission never dials tracker
// peers on 127.0.0.0/8, so braid dials it (--peer) instead.
func TestForeignDownloadsFromBraid(t *testing.T) {
	cases := []struct {
		leecher     client
		pieceLength int64
		via         route
		creator     string
	}{
		{libtorrent, 256 * kib, viaHTTP, "braid"},
		{libtorrent, mib, viaPeer, "mktorrent"},
		{aria2, mib, viaUDP, "braid"},
		{aria2, 256 * kib, viaOpenHTTP, "mktorrent"},
		{transmission, mib, viaPeer, "braid"},
	}
	for _, tc := range cases {
		name := fmt.Sprintf("%s_%dKiB_%s_%s", tc.leecher, tc.pieceLength/kib, tc.via, tc.creator)
		t.Run(name, func(t *testing.T) {
			parallel(t)
			c := testContent(t)
			braidPath(t)
			requireClient(t, tc.leecher)
			s := prepare(t, c, tc.via, tc.creator, tc.pieceLength)
			dlDir := filepath.Join(s.work, "dl")
			o := braidOpts{dir: s.seedDir, stateDir: filepath.Join(s.work, "state")}

			var leecher *peer
			if tc.leecher == transmission {
				// Transmission must hold the torrent before braid dials it.
				leecher = startLeecher(t, tc.leecher, s.torrent, dlDir, peerOpts{})
				o.peers = []string{leecher.addr()}
			}
			b := startBraid(t, "braid-seed", "seed", s.torrent, o)
			waitBraidSeeding(t, b, c.total, 60*time.Second)
			s.seederAnnounced(t)
			if leecher == nil {
				var po peerOpts
				if tc.via == viaPeer {
					po.dial = []string{braidAddr(t, b)}
				}
				leecher = startLeecher(t, tc.leecher, s.torrent, dlDir, po)
			}
			leecher.started = time.Now()
			d := leecher.waitComplete(t, downloadTimeout(tc.leecher))
			recordTiming(t, fmt.Sprintf("braid->%s %s %dKiB", tc.leecher, tc.via, tc.pieceLength/kib), d)
			c.requireMatch(t, string(tc.leecher), dlDir)
		})
	}
}
