package interop

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// ltCreateAs makes a torrent of dir with libtorrent 2.0's own creator:
// kind "v2" (v2_only: file tree, pieces roots, piece layers), "hybrid"
// (libtorrent's default, with BEP 47 padding files) or "v1" (v1_only).
func ltCreateAs(t *testing.T, kind, dir, out string, pieceLength int64, announce ...string) *torrentMeta {
	t.Helper()
	flags := map[string]string{"v2": "lt.create_torrent.v2_only", "hybrid": "0", "v1": "lt.create_torrent.v1_only"}[kind]
	require.NotEmpty(t, flags, "unknown torrent kind %q", kind)
	script := `
import sys, libtorrent as lt
fs = lt.file_storage()
lt.add_files(fs, sys.argv[1])
ct = lt.create_torrent(fs, int(sys.argv[3]), flags=` + flags + `)
for i, url in enumerate(sys.argv[5:]):
    ct.add_tracker(url, i)
lt.set_piece_hashes(ct, sys.argv[4])
open(sys.argv[2], "wb").write(lt.bencode(ct.generate()))
`
	args := append([]string{"-c", script, dir, out, strconv.FormatInt(pieceLength, 10), filepath.Dir(dir)}, announce...)
	res, err := exec.Command(systemPython, args...).CombinedOutput()
	require.NoError(t, err, "libtorrent create_torrent: %s", res)
	m := readTorrent(t, out)
	require.Equal(t, kind == "v2", m.v2Only, "%s torrent", kind)
	require.Equal(t, kind != "v1", m.infoHashV2 != "", "%s torrent", kind)
	return m
}

// v2Setup copies the content, starts the route's tracker (braid's, or
// none for viaPeer) and has libtorrent make a torrent of the given kind.
func v2Setup(t *testing.T, c *content, kind string, r route, pieceLength int64) *swarmSetup {
	t.Helper()
	s := &swarmSetup{work: t.TempDir()}
	s.seedDir = filepath.Join(s.work, "seed")
	c.copyTo(t, s.seedDir)
	s.torrent = filepath.Join(s.work, kind+".torrent")
	var announce []string
	switch r {
	case viaHTTP, viaUDP:
		h, u := startBraidTracker(t, trackerEvery)
		announce = []string{h}
		if r == viaUDP {
			announce = []string{u}
		}
	case viaPeer:
	default:
		t.Fatalf("route %q not wired for v2 tests", r)
	}
	s.meta = ltCreateAs(t, kind, filepath.Join(s.seedDir, contentName), s.torrent, pieceLength, announce...)
	return s
}

// TestBraidDownloadsV2FromLibtorrent: braid downloads a BitTorrent v2
// torrent made and seeded by libtorrent 2.0 (v2-only, verified piece by
// piece against the piece layers; and a hybrid, with the seeder found
// through a tracker both swarms are announced to), byte for byte. The v1
// row of the same content and piece length is there to compare times.
func TestBraidDownloadsV2FromLibtorrent(t *testing.T) {
	cases := []struct {
		kind        string
		pieceLength int64
		via         route
	}{
		{"v2", 256 * kib, viaPeer},
		{"v2", mib, viaHTTP},
		{"hybrid", 256 * kib, viaHTTP},
		{"hybrid", mib, viaPeer},
		{"v1", 256 * kib, viaPeer},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s_%dKiB_%s", tc.kind, tc.pieceLength/kib, tc.via), func(t *testing.T) {
			parallel(t)
			c := testContent(t)
			braidPath(t)
			requireClient(t, libtorrent)
			s := v2Setup(t, c, tc.kind, tc.via, tc.pieceLength)
			seeder := startSeeder(t, libtorrent, s.torrent, s.seedDir, peerOpts{})

			o := braidOpts{dir: filepath.Join(s.work, "dl"), stateDir: filepath.Join(s.work, "state")}
			if tc.via == viaPeer {
				o.peers = []string{seeder.addr()}
			}
			start := time.Now()
			b := startBraid(t, "braid-download", "download", s.torrent, o)
			done := waitBraidComplete(t, b, downloadTimeout(libtorrent))
			recordTiming(t, fmt.Sprintf("libtorrent->braid %s %s %dKiB", tc.kind, tc.via, tc.pieceLength/kib), time.Since(start))
			t.Logf("braid's own count: %d bytes in %.2fs from its start (check included)", done.Fetched, done.Seconds)
			c.requireMatch(t, "braid", o.dir)
			require.GreaterOrEqual(t, done.Fetched, c.total, done.raw)
			last, ok := b.lastEvent("progress")
			require.True(t, ok, "braid printed no progress line")
			require.Equal(t, s.meta.infoHash, last.InfoHash, "progress info_hash")
			require.Equal(t, s.meta.infoHashV2, last.InfoHashV2, "progress info_hash_v2")
			require.Equal(t, c.total, last.Total, "progress total")
			require.Equal(t, tc.kind, last.Protocol)
			require.Equal(t, tc.kind, done.Protocol)
			if s.meta.v2Only {
				_, err := os.Stat(resumeFile(o.stateDir, s.meta.infoHashV2))
				require.NoError(t, err, "a v2-only torrent's record is named by its 64-hex v2 hash")
			}
		})
	}
}

// TestLibtorrentDownloadsV2FromBraid: libtorrent 2.0 downloads a v2-only
// torrent (and a hybrid) from `braid seed` as the only seeder, dialling
// braid directly or finding it through braid's tracker in the v2 swarm.
func TestLibtorrentDownloadsV2FromBraid(t *testing.T) {
	cases := []struct {
		kind        string
		pieceLength int64
		via         route
	}{
		{"v2", 256 * kib, viaPeer},
		{"v2", mib, viaUDP},
		{"hybrid", 256 * kib, viaPeer},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s_%dKiB_%s", tc.kind, tc.pieceLength/kib, tc.via), func(t *testing.T) {
			parallel(t)
			c := testContent(t)
			braidPath(t)
			requireClient(t, libtorrent)
			s := v2Setup(t, c, tc.kind, tc.via, tc.pieceLength)
			b := startBraid(t, "braid-seed", "seed", s.torrent, braidOpts{dir: s.seedDir, stateDir: filepath.Join(s.work, "state")})
			waitBraidSeeding(t, b, c.total, 60*time.Second) // every piece verified by its Merkle hash first
			var po peerOpts
			if tc.via == viaPeer {
				po.dial = []string{braidAddr(t, b)}
			}
			dlDir := filepath.Join(s.work, "dl")
			leecher := startLeecher(t, libtorrent, s.torrent, dlDir, po)
			d := leecher.waitComplete(t, downloadTimeout(libtorrent))
			recordTiming(t, fmt.Sprintf("braid->libtorrent %s %s %dKiB", tc.kind, tc.via, tc.pieceLength/kib), d)
			c.requireMatch(t, "libtorrent", dlDir)
		})
	}
}

// TestBraidDownloadsBtmhMagnetFromLibtorrent: a v2-only magnet (btmh
// alone) gets its metadata from a libtorrent 2.0 seeder, checked by
// SHA-256, and the content: with 4 MiB pieces every file of the small
// folder is one piece, verified by its pieces root. With 1 MiB pieces
// the files need piece layers, which braid fetches by BEP 52 hash
// requests and checks against the pieces roots first.
func TestBraidDownloadsBtmhMagnetFromLibtorrent(t *testing.T) {
	for _, pieceLength := range []int64{4 * mib, mib} {
		t.Run(fmt.Sprintf("%dKiB", pieceLength/kib), func(t *testing.T) {
			parallel(t)
			c := smallContent(t)
			braidPath(t)
			requireClient(t, libtorrent)
			s := v2Setup(t, c, "v2", viaPeer, pieceLength)
			seeder := startSeeder(t, libtorrent, s.torrent, s.seedDir, peerOpts{})
			magnet := "magnet:?xt=urn:btmh:1220" + s.meta.infoHashV2 + "&dn=" + contentName
			o := braidOpts{dir: filepath.Join(s.work, "dl"), stateDir: filepath.Join(s.work, "state"), peers: []string{seeder.addr()}}
			b := startBraid(t, "braid-download", "download", magnet, o)
			done := waitBraidComplete(t, b, downloadTimeout(libtorrent))
			c.requireMatch(t, "braid", o.dir)
			require.Equal(t, "v2", done.Protocol)
		})
	}
}

// TestLibtorrentDownloadsBtmhMagnetFromBraid: libtorrent 2.0 given only a
// v2 magnet (btmh alone) gets the info dictionary from `braid seed` (by
// the truncated v2 hash in the handshake), then, with 1 MiB pieces, every
// file's piece layer by hash requests, and the content; with 4 MiB pieces
// each file is one piece, checked by its pieces root.
func TestLibtorrentDownloadsBtmhMagnetFromBraid(t *testing.T) {
	for _, pieceLength := range []int64{4 * mib, mib} {
		t.Run(fmt.Sprintf("%dKiB", pieceLength/kib), func(t *testing.T) {
			parallel(t)
			c := smallContent(t)
			braidPath(t)
			requireClient(t, libtorrent)
			s := v2Setup(t, c, "v2", viaPeer, pieceLength)
			b := startBraidRun(t, "braid-seed", "seed", s.torrent,
				braidRun{braidOpts: braidOpts{dir: s.seedDir, stateDir: filepath.Join(s.work, "state")}})
			waitBraidSeeding(t, b, c.total, 60*time.Second)
			magnet := "magnet:?xt=urn:btmh:1220" + s.meta.infoHashV2 + "&dn=" + contentName
			dl := filepath.Join(s.work, "dl")
			lt := startLTPeer(t, "libtorrent-btmh", "leech", magnet, dl, "--peer", braidAddr(t, b))
			d := lt.waitComplete(t, 90*time.Second)
			recordTiming(t, fmt.Sprintf("braid->libtorrent btmh magnet %dKiB", pieceLength/kib), d)
			c.requireMatch(t, "libtorrent", dl)
		})
	}
}
