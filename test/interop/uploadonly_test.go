package interop

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestUploadOnlyToLibtorrent: braid downloads one file of a multi-file
// torrent and keeps seeding it; it then says "finished", and libtorrent
// connecting to it treats it as upload-only (BEP 21) from braid's
// extension handshake.
func TestUploadOnlyToLibtorrent(t *testing.T) {
	parallel(t)
	s := startSmallBraidSeed(t, smallPiece)
	work, torrent, seeder := s.work, s.torrent, s.braid

	partial := startBraid(t, "braid-partial", "download", torrent, braidOpts{
		dir: filepath.Join(work, "partial"), stateDir: filepath.Join(work, "partial-state"),
		peers: []string{braidAddr(t, seeder)}, seed: true, extra: []string{"--only", "0"},
	})
	partial.requireEvent(t, "braid-partial finished", 60*time.Second, func(e event) bool {
		return e.Type == "error" || (e.Type == "progress" && e.State == "finished")
	})
	if ev, bad := partial.lastEvent("error"); bad {
		t.Fatalf("braid-partial reported error: %s", ev.raw)
	}

	lt := startLeecher(t, libtorrent, torrent, filepath.Join(work, "lt"),
		peerOpts{dial: []string{braidAddr(t, partial)}})
	// libtorrent flags the peer upload_only, and once it has every piece
	// braid has it drops the connection as an "uninteresting upload-only
	// peer": either shows it read braid's upload_only.
	require.Eventually(t, func() bool {
		for _, e := range lt.proc.events() {
			if e.Type == "progress" && e.UploadOnly > 0 {
				return true
			}
		}
		lt.proc.mu.Lock()
		defer lt.proc.mu.Unlock()
		for _, l := range lt.proc.stderr {
			if strings.Contains(l, "uninteresting upload-only peer") {
				return true
			}
		}
		return false
	}, 30*time.Second, 100*time.Millisecond, "libtorrent never saw braid as upload-only")
}
