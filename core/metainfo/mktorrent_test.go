//go:build !js

package metainfo

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var updateFixtures = flag.Bool("update", false, "rewrite testdata/mktorrent-*.torrent with mktorrent")

// TestMktorrentFixtures runs mktorrent on the fixture content and checks
// the committed fixtures still match it (or rewrites them with -update).
func TestMktorrentFixtures(t *testing.T) {
	bin, err := exec.LookPath("mktorrent")
	if err != nil {
		t.Skip("mktorrent not installed")
	}
	for _, f := range fixtures() {
		t.Run(f.file, func(t *testing.T) {
			dir := t.TempDir()
			writeFixtureContent(t, dir, f)
			out := filepath.Join(dir, "out.torrent")
			args := append([]string{"-d", "-t", "1", "-o", out}, f.args...)
			cmd := exec.Command(bin, append(args, f.target)...)
			cmd.Dir = dir
			msg, err := cmd.CombinedOutput()
			require.NoError(t, err, string(msg))
			got, err := os.ReadFile(out)
			require.NoError(t, err)
			if *updateFixtures {
				require.NoError(t, os.WriteFile(f.file, got, 0o644))
				return
			}
			require.True(t, bytes.Equal(f.data, got), "mktorrent output differs from %s; rerun with -update", f.file)
		})
	}
}

func writeFixtureContent(t *testing.T, dir string, f fixture) {
	if f.opts.SingleFile {
		require.NoError(t, os.WriteFile(filepath.Join(dir, f.target), f.content(), 0o644))
		return
	}
	for i, fs := range f.opts.Files {
		p := filepath.Join(append([]string{dir, f.target}, fs.Path...)...)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, fixtureContent(i, int(fs.Length)), 0o644))
	}
}

// hybridScript makes a v1+v2 hybrid torrent, with BEP 47 padding files,
// the way libtorrent 2.0 (and so qBittorrent) does by default.
const hybridScript = `
import sys, libtorrent as lt
fs = lt.file_storage()
lt.add_files(fs, sys.argv[1])
ct = lt.create_torrent(fs, 32768)
ct.add_tracker("http://127.0.0.1:6969/announce")
lt.set_piece_hashes(ct, ".")
sys.stdout.buffer.write(lt.bencode(ct.generate()))
`

// TestLibtorrentHybridFixture rewrites testdata/libtorrent-hybrid.torrent
// with -update, from the multi-file fixture content.
func TestLibtorrentHybridFixture(t *testing.T) {
	if !*updateFixtures {
		t.Skip("run with -update to rewrite the libtorrent fixture")
	}
	f := fixtures()[0]
	dir := t.TempDir()
	writeFixtureContent(t, dir, f)
	cmd := exec.Command("/usr/bin/python3", "-c", hybridScript, f.target)
	cmd.Dir = dir
	out, err := cmd.Output()
	require.NoError(t, err)
	require.NoError(t, os.WriteFile("testdata/libtorrent-hybrid.torrent", out, 0o644))
}

// TestLibtorrentInfoHash checks Parse's info hash against libtorrent's
// for every committed fixture, when the Python binding is installed.
func TestLibtorrentInfoHash(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import libtorrent").Run(); err != nil {
		t.Skip("python3-libtorrent not installed")
	}
	for _, f := range append(fixtures(), fixture{file: "testdata/libtorrent-hybrid.torrent", data: libtorrentHybrid, infoHash: libtorrentHybridHash}) {
		out, err := exec.Command(py, "-c",
			"import sys, libtorrent as lt; print(lt.torrent_info(sys.argv[1]).info_hashes().v1)", f.file).CombinedOutput()
		require.NoError(t, err, string(out))
		m, err := Parse(f.data)
		require.NoError(t, err)
		require.Equal(t, strings.TrimSpace(string(out)), hexHash(m.InfoHash), f.file)
		require.Equal(t, f.infoHash, hexHash(m.InfoHash), "fixture table out of date for %s", f.file)
	}
}
