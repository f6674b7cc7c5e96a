package interop

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// ltCreate makes a torrent of dir with libtorrent's own creator: since
// 2.0 a hybrid v1+v2 torrent whose v1 file list pads every file to a
// piece boundary with BEP 47 padding files (".pad/N", attr "p"), as
// qBittorrent's torrents have.
func ltCreate(t *testing.T, dir, out string, pieceLength int64) {
	t.Helper()
	script := `
import sys, libtorrent as lt
fs = lt.file_storage()
lt.add_files(fs, sys.argv[1])
ct = lt.create_torrent(fs, int(sys.argv[3]))
lt.set_piece_hashes(ct, sys.argv[4])
open(sys.argv[2], "wb").write(lt.bencode(ct.generate()))
`
	res, err := exec.Command(systemPython, "-c", script, dir, out, strconv.FormatInt(pieceLength, 10), filepath.Dir(dir)).CombinedOutput()
	require.NoError(t, err, "libtorrent create_torrent: %s", res)
}

// filesUnder lists the regular files below dir, slash-separated.
func filesUnder(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, filepath.ToSlash(rel))
		return nil
	}))
	return out
}

// TestHybridTorrentWithPaddingFiles: a torrent made by libtorrent 2.0 has
// padding files. Braid downloads it from libtorrent writing no padding
// file to disk, then seeds it to a fresh libtorrent, which can verify
// the pieces that span the padding only if Braid serves it as zeros.
func TestHybridTorrentWithPaddingFiles(t *testing.T) {
	parallel(t)
	c := testContent(t)
	braidPath(t)
	requireClient(t, libtorrent)
	work := t.TempDir()
	seedDir := filepath.Join(work, "seed")
	c.copyTo(t, seedDir)
	torrent := filepath.Join(work, "hybrid.torrent")
	ltCreate(t, filepath.Join(seedDir, contentName), torrent, mib)
	meta := readTorrent(t, torrent)
	pads, padBytes := 0, int64(0)
	for _, f := range meta.files {
		if strings.HasPrefix(f.path, ".pad/") {
			pads++
			padBytes += f.length
		}
	}
	require.NotZero(t, pads, "libtorrent's torrent has no padding files: nothing would be tested")

	seeder := startSeeder(t, libtorrent, torrent, seedDir, peerOpts{})
	dl := filepath.Join(work, "dl")
	b := startBraid(t, "braid-download", "download", torrent,
		braidOpts{dir: dl, stateDir: filepath.Join(work, "state"), peers: []string{seeder.addr()}})
	done := waitBraidComplete(t, b, downloadTimeout(libtorrent))
	c.requireMatch(t, "braid", dl)
	// Padding is zeros by definition: only blocks partly padding travel.
	require.Less(t, done.Fetched, c.total+int64(pads)*16*kib,
		"fetched %d bytes for %d of content and %d of padding", done.Fetched, c.total, padBytes)
	var want []string
	for _, f := range c.files {
		want = append(want, contentName+"/"+f.rel)
	}
	require.ElementsMatch(t, want, filesUnder(t, dl), "files Braid wrote (padding files must not be among them)")

	// Braid seeds what it downloaded to a libtorrent that has nothing.
	b2 := startBraid(t, "braid-seed", "seed", torrent, braidOpts{dir: dl, stateDir: filepath.Join(work, "state2")})
	waitBraidSeeding(t, b2, c.total, 60*time.Second) // Braid's totals leave padding out
	dl2 := filepath.Join(work, "dl2")
	leecher := startLeecher(t, libtorrent, torrent, dl2, peerOpts{dial: []string{braidAddr(t, b2)}})
	leecher.waitComplete(t, downloadTimeout(libtorrent))
	c.requireMatch(t, "libtorrent", dl2)
	_, err := os.Stat(filepath.Join(dl, contentName, ".pad"))
	require.True(t, os.IsNotExist(err), "a .pad directory appeared in Braid's download")
}
