package interop

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// libtorrent set to uTP only (no TCP either way): Braid downloads from it
// and seeds to it, dialling and dialled. Braid dials "host:port" peers
// over TCP first, so its own dials also prove the fallback to uTP.
func TestUTPLibtorrent(t *testing.T) {
	cases := []struct {
		name      string
		braidSeed bool   // Braid seeds, libtorrent downloads
		dialler   string // who connects: "braid" or "libtorrent"
		encrypted bool   // libtorrent forces MSE (RC4) as well
	}{
		{"braid-downloads_braid-dials", false, "braid", false},
		{"braid-downloads_libtorrent-dials", false, "libtorrent", false},
		{"braid-seeds_braid-dials", true, "braid", false},
		{"braid-seeds_libtorrent-dials", true, "libtorrent", false},
		{"braid-downloads_braid-dials_encrypted", false, "braid", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			parallel(t)
			c := testContent(t)
			braidPath(t)
			requireClient(t, libtorrent)
			s := prepare(t, c, viaPeer, "braid", mib)
			o := braidOpts{stateDir: filepath.Join(s.work, "state")}
			lo := peerOpts{utpOnly: true, encrypted: tc.encrypted}
			dlDir := filepath.Join(s.work, "dl")
			start := time.Now()
			if tc.braidSeed {
				o.dir = s.seedDir
				var leecher *peer
				if tc.dialler == "braid" {
					leecher = startLeecher(t, libtorrent, s.torrent, dlDir, lo)
					o.peers = []string{leecher.addr()}
				}
				b := startBraid(t, "braid-seed", "seed", s.torrent, o)
				waitBraidSeeding(t, b, c.total, 60*time.Second)
				if leecher == nil {
					lo.dial = []string{braidAddr(t, b)}
					leecher = startLeecher(t, libtorrent, s.torrent, dlDir, lo)
				}
				leecher.started = start
				d := leecher.waitComplete(t, downloadTimeout(libtorrent))
				recordTiming(t, fmt.Sprintf("braid->libtorrent uTP %s", tc.name), d)
				c.requireMatch(t, "libtorrent", dlDir)
				requireOnlyUTP(t, b)
				return
			}
			o.dir = dlDir
			var b *proc
			if tc.dialler == "braid" {
				seeder := startSeeder(t, libtorrent, s.torrent, s.seedDir, lo)
				o.peers = []string{seeder.addr()}
				b = startBraid(t, "braid-download", "download", s.torrent, o)
			} else {
				b = startBraid(t, "braid-download", "download", s.torrent, o)
				lo.dial = []string{braidAddr(t, b)}
				startSeeder(t, libtorrent, s.torrent, s.seedDir, lo)
			}
			waitBraidComplete(t, b, downloadTimeout(libtorrent))
			recordTiming(t, fmt.Sprintf("libtorrent->braid uTP %s", tc.name), time.Since(start))
			c.requireMatch(t, "braid", dlDir)
			requireOnlyUTP(t, b)
		})
	}
}

// requireOnlyUTP checks Braid's progress lines: its peers came over uTP,
// never over TCP.
func requireOnlyUTP(t *testing.T, b *proc) {
	t.Helper()
	seen := map[string]int{}
	for _, e := range b.events() {
		for k, v := range e.Transports {
			seen[k] = max(seen[k], v)
		}
	}
	require.Positive(t, seen["utp"], "%s saw no uTP peer: %v", b.name, seen)
	require.Zero(t, seen["tcp"], "%s saw a TCP peer: %v", b.name, seen)
}
