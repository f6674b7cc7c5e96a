//go:build !js

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anacrolix/torrent/bencode"
	"github.com/stretchr/testify/require"
)

// braid info on a torrent with BEP 47 padding (as libtorrent 2.0 makes)
// shows the files' size and lists the real files only.
func TestInfoLeavesPaddingOut(t *testing.T) {
	type file struct {
		Length int64    `bencode:"length"`
		Path   []string `bencode:"path"`
		Attr   string   `bencode:"attr,omitempty"`
	}
	info := map[string]any{
		"name": "padded", "piece length": 16384, "pieces": string(make([]byte, 40)),
		"files": []file{{10000, []string{"a.bin"}, ""}, {6384, []string{".pad", "6384"}, "p"}, {9000, []string{"b.bin"}, ""}},
	}
	tb, err := bencode.Marshal(map[string]any{"info": info})
	require.NoError(t, err)
	tf := filepath.Join(t.TempDir(), "p.torrent")
	require.NoError(t, os.WriteFile(tf, tb, 0o644))
	code, stdout, stderr := runCLI(t, "", "info", tf)
	require.Equal(t, exitOK, code, stderr)
	require.Contains(t, stdout, "(19000 bytes in files, plus 6384 bytes of padding)")
	require.Contains(t, stdout, "files:        2 (and 1 padding files, not shown)")
	require.Contains(t, stdout, "padded/b.bin")
	require.NotContains(t, stdout, ".pad")
}

// braid info of a magnet shows what the link holds and says the file list
// needs the metadata; a malformed magnet is one usage error line.
func TestInfoOfMagnet(t *testing.T) {
	hash := "0123456789abcdef0123456789abcdef01234567"
	magnet := "magnet:?xt=urn:btih:" + strings.ToUpper(hash) + "&dn=My+Photos" +
		"&tr=udp%3A%2F%2Ftracker.example%3A6969&tr=http%3A%2F%2Ft2.example%2Fannounce" +
		"&x.pe=10.0.0.5:6881&ws=http%3A%2F%2Fseed.example%2Fphotos&so=0,2,4-6"
	code, stdout, stderr := runCLI(t, "", "info", magnet)
	require.Equal(t, exitOK, code, stderr)
	for _, want := range []string{
		"name:         My Photos\n",
		"info hash:    " + hash + "\n",
		"tracker:      udp://tracker.example:6969\n",
		"tracker:      http://t2.example/announce\n",
		"peer:         10.0.0.5:6881\n",
		"web seed:     http://seed.example/photos\n",
		"selected:     files 0,2,4-6 only\n",
		"files:        known only once the metadata is fetched",
	} {
		require.Contains(t, stdout, want)
	}

	for _, bad := range []string{"magnet:?dn=no-hash", "magnet:?xt=urn:btih:1234", "magnet:nothing"} {
		code, stdout, stderr := runCLI(t, "", "info", bad)
		require.Equal(t, exitUsage, code, bad)
		require.Empty(t, stdout)
		require.Contains(t, stderr, "magnet")
		require.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
		require.NotContains(t, stderr, "no such file")
	}
}

func TestFormatIndices(t *testing.T) {
	require.Equal(t, "0,2,4-6", formatIndices([]int{0, 2, 4, 5, 6}))
	require.Equal(t, "7", formatIndices([]int{7}))
	require.Equal(t, "1-2,9-10", formatIndices([]int{1, 2, 9, 10}))
}

// braid info shows a v2-only torrent's SHA-256 info hash (no v1 hash of
// zeros) and the swarm it is known by (the truncated v2 hash); a hybrid
// shows both hashes.
func TestInfoOfV2Torrents(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "torrents")
	code, stdout, stderr := runCLI(t, "", "info", filepath.Join(dir, "libtorrent-v2.torrent"))
	require.Equal(t, exitOK, code, stderr)
	require.Contains(t, stdout, "info hash v2: dfa8d6b62c09dac2c7bc791a2dd7b741f067bc58a422c9e366a847afad5b35ed")
	require.NotContains(t, stdout, "info hash:    ")
	require.Contains(t, stdout, "v2 only")
	require.Contains(t, stdout, "swarm dfa8d6b62c09dac2c7bc791a2dd7b741f067bc58")
	code, stdout, stderr = runCLI(t, "", "info", filepath.Join(dir, "libtorrent-hybrid.torrent"))
	require.Equal(t, exitOK, code, stderr)
	require.Contains(t, stdout, "info hash:    75afb1f476a1a9e1b8134a0fe2d0fb993366712e")
	require.Contains(t, stdout, "info hash v2: 98b6c0166d74eb315d1dafef6acd468c19aed990d4b66887aee10a3befcf04df")
	require.Contains(t, stdout, "hybrid")
}

// braid download of a v2-only .torrent made by libtorrent 2.0 checks the
// data already in --dir by SHA-256 Merkle hashes and says it is done, as
// BitTorrent v2; a resume record named by the 64-hex v2 hash is left.
func TestDownloadV2Torrent(t *testing.T) {
	torrents := filepath.Join("..", "..", "testdata", "torrents")
	data, err := filepath.Abs(filepath.Join("..", "..", "testdata", "content"))
	require.NoError(t, err)
	state := t.TempDir()
	args := append(append([]string{"download"}, localFlags...), "--state-dir", state, "--dir", data,
		filepath.Join(torrents, "libtorrent-v2.torrent"))
	code, stdout, stderr := runCLI(t, "", args...)
	require.Equal(t, exitOK, code, stderr)
	require.Contains(t, stdout, "complete (BitTorrent v2), 0 B fetched")
	_, err = os.Stat(filepath.Join(state, "dfa8d6b62c09dac2c7bc791a2dd7b741f067bc58a422c9e366a847afad5b35ed.resume"))
	require.NoError(t, err)
}
