package interop

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// TestEncryptedLibtorrent: libtorrent set to require RC4 encryption both
// ways (as many qBittorrent users are) refuses every plain handshake, so
// each transfer below works only through Braid's Message Stream
// Encryption: Braid dialling it, and it dialling Braid.
func TestEncryptedLibtorrent(t *testing.T) {
	cases := []struct {
		name      string
		braidSeed bool   // Braid seeds, libtorrent downloads
		policy    string // Braid's --encryption
		dialler   string // who connects: "braid" or "libtorrent"
	}{
		// Braid dials plain, is refused, dials again with MSE.
		{"braid-downloads_enabled_braid-dials", false, "enabled", "braid"},
		// libtorrent dials Braid with MSE; Braid answers as receiver.
		{"braid-seeds_enabled_libtorrent-dials", true, "enabled", "libtorrent"},
		{"braid-seeds_required_braid-dials", true, "required", "braid"},
		{"braid-downloads_required_libtorrent-dials", false, "required", "libtorrent"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			parallel(t)
			c := testContent(t)
			braidPath(t)
			requireClient(t, libtorrent)
			s := prepare(t, c, viaPeer, "braid", mib)
			o := braidOpts{stateDir: filepath.Join(s.work, "state"), extra: []string{"--encryption", tc.policy}}
			dlDir := filepath.Join(s.work, "dl")
			start := time.Now()
			if tc.braidSeed {
				o.dir = s.seedDir
				var leecher *peer
				if tc.dialler == "braid" {
					leecher = startLeecher(t, libtorrent, s.torrent, dlDir, peerOpts{encrypted: true})
					o.peers = []string{leecher.addr()}
				}
				b := startBraid(t, "braid-seed", "seed", s.torrent, o)
				waitBraidSeeding(t, b, c.total, 60*time.Second)
				if leecher == nil {
					leecher = startLeecher(t, libtorrent, s.torrent, dlDir, peerOpts{encrypted: true, dial: []string{braidAddr(t, b)}})
				}
				leecher.started = start
				d := leecher.waitComplete(t, downloadTimeout(libtorrent))
				recordTiming(t, fmt.Sprintf("braid->libtorrent encrypted %s", tc.name), d)
				c.requireMatch(t, "libtorrent", dlDir)
				return
			}
			o.dir = dlDir
			if tc.dialler == "braid" {
				seeder := startSeeder(t, libtorrent, s.torrent, s.seedDir, peerOpts{encrypted: true})
				o.peers = []string{seeder.addr()}
				b := startBraid(t, "braid-download", "download", s.torrent, o)
				waitBraidComplete(t, b, downloadTimeout(libtorrent))
			} else {
				b := startBraid(t, "braid-download", "download", s.torrent, o)
				startSeeder(t, libtorrent, s.torrent, s.seedDir, peerOpts{encrypted: true, dial: []string{braidAddr(t, b)}})
				waitBraidComplete(t, b, downloadTimeout(libtorrent))
			}
			recordTiming(t, fmt.Sprintf("libtorrent->braid encrypted %s", tc.name), time.Since(start))
			c.requireMatch(t, "braid", dlDir)
		})
	}
}
