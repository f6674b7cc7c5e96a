package interop

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// pairCase is one transfer between Braid and a libtorrent configured by
// lo: who seeds, and who dials whom.
type pairCase struct {
	name      string
	braidSeed bool   // Braid seeds, libtorrent downloads
	dialler   string // who connects: "braid" or "libtorrent"
}

// runLibtorrentPair runs tc with Braid's extra flags and returns Braid's
// process, after checking the data arrived whole. label names the timing.
func runLibtorrentPair(t *testing.T, tc pairCase, label string, extra []string, lo peerOpts) *proc {
	t.Helper()
	c := testContent(t)
	braidPath(t)
	requireClient(t, libtorrent)
	s := prepare(t, c, viaPeer, "braid", mib)
	o := braidOpts{stateDir: filepath.Join(s.work, "state"), extra: extra}
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
		recordTiming(t, fmt.Sprintf("braid->libtorrent %s %s", label, tc.name), d)
		c.requireMatch(t, "libtorrent", dlDir)
		return b
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
	recordTiming(t, fmt.Sprintf("libtorrent->braid %s %s", label, tc.name), time.Since(start))
	c.requireMatch(t, "braid", dlDir)
	return b
}
