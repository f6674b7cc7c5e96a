package interop

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMagnetBraidFromLibtorrent has braid start from nothing but a magnet:
// it must fetch the info dictionary from a libtorrent seeder (BEP 9), then
// the data. The seeder is found only through the magnet's x.pe, or only
// through its tr (braid's tracker); the DHT is off.
func TestMagnetBraidFromLibtorrent(t *testing.T) {
	for _, via := range []string{"x.pe", "tr"} {
		t.Run(via, func(t *testing.T) {
			parallel(t)
			c := smallContent(t)
			braidPath(t)
			requireClient(t, libtorrent)
			work := t.TempDir()
			seedDir := filepath.Join(work, "seed")
			c.copyTo(t, seedDir)
			var trURL string
			var flags []string
			if via == "tr" {
				trURL, _ = startBraidTracker(t, trackerEvery)
				flags = []string{"--announce", trURL}
			}
			torrent := filepath.Join(work, "t.torrent")
			meta := createTorrent(t, c, torrent, smallPiece, flags...)
			seeder := startSeeder(t, libtorrent, torrent, seedDir, peerOpts{})

			kv := []string{"dn", contentName}
			if via == "tr" {
				kv = append(kv, "tr", trURL)
			} else {
				kv = append(kv, "x.pe", seeder.addr())
			}
			dl := filepath.Join(work, "dl")
			start := time.Now()
			b := startBraidRun(t, "braid-magnet", "download", magnetURI(meta.infoHash, kv...),
				braidRun{braidOpts: braidOpts{dir: dl, stateDir: filepath.Join(work, "state")}})
			done := waitBraidComplete(t, b, 60*time.Second)
			recordTiming(t, "libtorrent->braid magnet via "+via, time.Since(start))

			c.requireMatch(t, "braid", dl)
			require.GreaterOrEqual(t, done.Fetched, c.total, "fetched fewer payload bytes than the content: %s", done.raw)
			last, ok := b.lastEvent("progress")
			require.True(t, ok, "braid printed no progress line")
			require.Equal(t, meta.infoHash, last.InfoHash, "progress info_hash")
			require.Equal(t, c.total, last.Total, "progress total once the metadata is known")
			require.Equal(t, contentName, last.Name, "progress name")
			require.FileExists(t, resumeFile(filepath.Join(work, "state"), meta.infoHash), "resume record of the magnet")

			// The record keeps the info dictionary: the bare magnet, with no
			// way to reach a peer, resumes from it and finds the data complete.
			again := startBraidRun(t, "braid-magnet-again", "download", magnetURI(meta.infoHash),
				braidRun{braidOpts: braidOpts{dir: dl, stateDir: filepath.Join(work, "state")}})
			res := again.requireEvent(t, "resume line", 30*time.Second, isType("resume"))
			require.Equal(t, "ok", res.Record, "resume: %s", res.raw)
			require.Equal(t, meta.numPieces(), res.Valid, "resume: %s", res.raw)
			waitBraidComplete(t, again, 30*time.Second)
			c.requireMatch(t, "braid after resuming the magnet", dl)
		})
	}
}

// TestMagnetLibtorrentFromBraid is the reverse: libtorrent starts from a
// magnet and fetches the info dictionary and the data from `braid seed`,
// which it dials itself (connect_peer) or finds in the magnet's x.pe.
func TestMagnetLibtorrentFromBraid(t *testing.T) {
	for _, via := range []string{"connect_peer", "x.pe"} {
		t.Run(via, func(t *testing.T) {
			parallel(t)
			c := smallContent(t)
			braidPath(t)
			requireClient(t, libtorrent)
			work := t.TempDir()
			seedDir := filepath.Join(work, "seed")
			c.copyTo(t, seedDir)
			torrent := filepath.Join(work, "t.torrent")
			meta := createTorrent(t, c, torrent, smallPiece)
			b := startBraidRun(t, "braid-seed", "seed", torrent,
				braidRun{braidOpts: braidOpts{dir: seedDir, stateDir: filepath.Join(work, "state")}})
			waitBraidSeeding(t, b, c.total, 30*time.Second)

			magnet := magnetURI(meta.infoHash, "dn", contentName)
			var flags []string
			if via == "x.pe" {
				magnet = magnetURI(meta.infoHash, "dn", contentName, "x.pe", braidAddr(t, b))
			} else {
				flags = []string{"--peer", braidAddr(t, b)}
			}
			dl := filepath.Join(work, "dl")
			lt := startLTPeer(t, "libtorrent-magnet", "leech", magnet, dl, flags...)
			d := lt.waitComplete(t, 60*time.Second)
			recordTiming(t, "braid->libtorrent magnet via "+via, d)
			c.requireMatch(t, "libtorrent", dl)
		})
	}
}

// TestMagnetFetchingMetadataProgress starts a magnet nobody can serve: braid
// must say so in its progress lines (state "fetching metadata", the
// magnet's dn as name) instead of staying silent, create no data, and stop
// cleanly on SIGINT.
func TestMagnetFetchingMetadataProgress(t *testing.T) {
	parallel(t)
	braidPath(t)
	var ih [20]byte
	_, _ = rand.Read(ih[:])
	hexIH := hex.EncodeToString(ih[:])
	work := t.TempDir()
	dl := filepath.Join(work, "dl")
	b := startBraidRun(t, "braid-magnet", "download", magnetURI(hexIH, "dn", "nobody-has-this"),
		braidRun{braidOpts: braidOpts{dir: dl, stateDir: filepath.Join(work, "state")}})

	// Checked with assert, so the stop below is exercised either way.
	ev, _, err := b.nextEvent(0, 10*time.Second, isType("progress"))
	if assert.NoError(t, err, "no progress line within 10 s while fetching metadata") {
		assert.Equal(t, "fetching metadata", ev.State, "progress: %s", ev.raw)
		assert.Equal(t, hexIH, ev.InfoHash, "progress: %s", ev.raw)
		assert.Equal(t, "nobody-has-this", ev.Name, "progress: %s", ev.raw)
		assert.Zero(t, ev.Have, "progress: %s", ev.raw)
	}

	b.signal(syscall.SIGINT)
	b.requireExitOK(t, 20*time.Second)
	b.requireEvent(t, "stopped line", time.Second, isType("stopped"))
	entries, err := os.ReadDir(dl)
	require.NoError(t, err)
	require.Empty(t, entries, "a magnet without metadata created data")
}
