package interop

import (
	"errors"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestKillResume kills braid with SIGKILL mid-download and restarts it on the
// same data and state directories: the pieces it had verified must be
// checked and kept, not fetched again.
func TestKillResume(t *testing.T) {
	parallel(t)
	c := testContent(t)
	braidPath(t)
	requireClient(t, libtorrent)
	const pieceLength = mib
	s := prepare(t, c, viaPeer, "braid", pieceLength)
	// About 11 s for the whole content, so a progress line lands between 30% and 70%.
	seeder := startSeeder(t, libtorrent, s.torrent, s.seedDir, peerOpts{uploadLimit: 6 * mib})
	o := braidOpts{dir: filepath.Join(s.work, "dl"), stateDir: filepath.Join(s.work, "state"), peers: []string{seeder.addr()}}

	first := startBraid(t, "braid-first", "download", s.torrent, o)
	at := first.requireEvent(t, "progress of at least 30%", 90*time.Second, func(e event) bool {
		return (e.Type == "progress" && e.Progress >= 0.3) || e.Type == "complete" || e.Type == "error"
	})
	require.Equal(t, "progress", at.Type, "braid-first: %s", at.raw)
	require.LessOrEqual(t, at.Progress, 0.7, "progress jumped past 70%% between two lines (is the seeder's rate limit working?): %s", at.raw)
	first.kill()
	err := first.waitExit(t, 10*time.Second)
	var exitErr *exec.ExitError
	require.True(t, errors.As(err, &exitErr), "braid-first: want death by SIGKILL, got %v", err)
	ws, ok := exitErr.Sys().(syscall.WaitStatus)
	require.True(t, ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL, "braid-first: want death by SIGKILL, got %v", err)
	t.Logf("killed braid with SIGKILL at %s", at.raw)

	second := startBraid(t, "braid-resumed", "download", s.torrent, o)
	res := second.requireEvent(t, "resume line", 60*time.Second, isType("resume"))
	t.Logf("after restart: %s", res.raw)
	require.Positive(t, res.Valid, "no verified piece survived the kill: %s", res.raw)
	require.Equal(t, res.Checked, res.Valid+res.Invalid, "resume line counts: %s", res.raw)
	require.LessOrEqual(t, res.Valid, s.meta.numPieces())
	done := waitBraidComplete(t, second, 90*time.Second)
	t.Logf("resumed download: %s", done.raw)

	missing := c.total - int64(res.Valid)*pieceLength
	const slack = 4 * pieceLength
	require.Less(t, done.Fetched, missing+slack,
		"resumed download fetched %d bytes; %d valid pieces of %d bytes were kept, so at most %d (+%d slack) were missing",
		done.Fetched, res.Valid, pieceLength, missing, slack)
	require.GreaterOrEqual(t, done.Fetched, missing, "fetched fewer bytes than the pieces that were not valid")
	c.requireMatch(t, "braid", o.dir)
}

// TestCorruptPieceRefetched damages one piece of a completed download on disk
// and restarts braid on it: the check must find the piece bad and fetch it
// again, and only a small part of the content.
func TestCorruptPieceRefetched(t *testing.T) {
	parallel(t)
	c := testContent(t)
	braidPath(t)
	requireClient(t, libtorrent)
	const pieceLength = 256 * kib
	s := prepare(t, c, viaPeer, "braid", pieceLength)
	seeder := startSeeder(t, libtorrent, s.torrent, s.seedDir, peerOpts{})
	o := braidOpts{dir: filepath.Join(s.work, "dl"), stateDir: filepath.Join(s.work, "state"), peers: []string{seeder.addr()}}

	first := startBraid(t, "braid-first", "download", s.torrent, o)
	waitBraidComplete(t, first, 90*time.Second)
	require.FileExists(t, resumeFile(o.stateDir, s.meta.infoHash), "resume record after a completed download")
	c.requireMatch(t, "braid", o.dir)

	piece, off := s.meta.pieceInsideFile(t, "big.bin")
	flipBytes(t, filepath.Join(o.dir, contentName, "big.bin"), off+1000, 64)
	require.False(t, s.meta.pieceHashOK(t, o.dir, piece), "the damaged piece %d still hashes right", piece)

	second := startBraid(t, "braid-recheck", "download", s.torrent, o)
	res := second.requireEvent(t, "resume line", 60*time.Second, isType("resume"))
	t.Logf("after damaging piece %d: %s", piece, res.raw)
	require.GreaterOrEqual(t, res.Invalid, 1, "the damaged piece was not found: %s", res.raw)
	done := waitBraidComplete(t, second, 90*time.Second)
	t.Logf("repair: %s", done.raw)
	require.GreaterOrEqual(t, done.Fetched, int64(pieceLength), "the damaged piece was not fetched again")
	require.Less(t, done.Fetched, c.total, "the whole content was fetched again")
	require.True(t, s.meta.pieceHashOK(t, o.dir, piece), "piece %d still damaged", piece)
	c.requireMatch(t, "braid", o.dir)
}
