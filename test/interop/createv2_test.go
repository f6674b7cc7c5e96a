package interop

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid/core/metainfo"
)

// createdV2Layout is a folder with what BitTorrent v2 layouts make special: an
// empty file, a file of exactly one piece (64 KiB), a file of one block, a
// file of one byte, files spanning many pieces, and names whose order
// differs between joined paths and the file tree ("a/x.bin" sorts before
// "a-b.bin" in a file tree, after it as a joined string).
var createdV2Layout = []layoutFile{
	{"a/x.bin", 300*kib + 5},
	{"a-b.bin", mib + 100},
	{"empty", 0},
	{"one-block", 16 * kib},
	{"piece", 64 * kib},
	{"sub/deep/tiny.txt", 1},
	{"z.bin", 2*mib + 3},
}

var createdV2Content = lazyContent{dir: "created-v2", seedPrefix: "braid interop v2", layout: createdV2Layout}

// ltCreateScript makes a torrent with libtorrent 2.0's creator: flags
// "v2" (v2_only), "hybrid" (libtorrent's default) or "v1" (v1_only).
const ltCreateScript = `
import os, sys, libtorrent as lt
src, plen, kind, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
flags = {"v2": lt.create_torrent.v2_only, "hybrid": 0, "v1": lt.create_torrent.v1_only}[kind]
fs = lt.file_storage()
lt.add_files(fs, src)
ct = lt.create_torrent(fs, plen, flags=flags)
lt.set_piece_hashes(ct, os.path.dirname(os.path.abspath(src)))
open(out, "wb").write(lt.bencode(ct.generate()))
`

// ltHashesScript prints, for each .torrent, what libtorrent's parser
// (torrent_info) makes of it: its info hashes, file count and piece count.
const ltHashesScript = `
import json, sys, libtorrent as lt
out = []
for p in sys.argv[1:]:
    ti = lt.torrent_info(p)
    ih = ti.info_hashes()
    out.append({"v1": str(ih.v1) if ih.has_v1() else "", "v2": str(ih.v2) if ih.has_v2() else "",
                "files": ti.num_files(), "pieces": ti.num_pieces()})
print(json.dumps(out))
`

type ltTorrentView struct {
	V1     string `json:"v1"`
	V2     string `json:"v2"`
	Files  int    `json:"files"`
	Pieces int    `json:"pieces"`
}

func ltTorrentInfo(t *testing.T, torrents ...string) []ltTorrentView {
	t.Helper()
	out, err := exec.Command(systemPython, append([]string{"-c", ltHashesScript}, torrents...)...).Output()
	require.NoError(t, err, "libtorrent torrent_info: %s", stderrOf(err))
	var res []ltTorrentView
	require.NoError(t, json.Unmarshal(out, &res), "%s", out)
	require.Len(t, res, len(torrents))
	return res
}

func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}

// braidCreateProtocol runs `braid create --protocol P`.
func braidCreateProtocol(t *testing.T, protocol, src, out string, pieceLength int64, announce ...string) *metainfo.MetaInfo {
	t.Helper()
	argv := []string{"create", "--protocol", protocol, "-o", out, "--piece-length", strconv.FormatInt(pieceLength, 10)}
	for _, a := range announce {
		argv = append(argv, "--announce", a)
	}
	res, err := exec.Command(braidPath(t), append(argv, src)...).CombinedOutput()
	require.NoError(t, err, "braid %s: %s", strings.Join(argv, " "), res)
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	m, err := metainfo.Parse(data)
	require.NoError(t, err)
	return m
}

// TestCreateMatchesLibtorrent: for the same files and piece length,
// `braid create --protocol v2|hybrid` writes the info dict libtorrent 2.0
// writes, so the v2 info hash (and a hybrid's v1 one) are libtorrent's;
// and libtorrent's own parser loads Braid's torrents with those hashes.
// (Symbolic links differ: Braid does not share them, libtorrent shares
// their target's bytes under the link's name.)
func TestCreateMatchesLibtorrent(t *testing.T) {
	c := createdV2Content.get(t)
	braidPath(t)
	requireClient(t, libtorrent)
	single := filepath.Join(c.dir(), "z.bin")
	oneBlock := filepath.Join(c.dir(), "one-block")
	onePiece := filepath.Join(c.dir(), "piece")
	tiny := filepath.Join(c.dir(), "sub", "deep", "tiny.txt")
	cases := []struct {
		name string
		src  string
		plen int64
	}{
		{"folder 16KiB", c.dir(), 16 * kib},
		{"folder 64KiB", c.dir(), 64 * kib},
		{"folder 1MiB", c.dir(), mib},
		{"single file 32KiB", single, 32 * kib},
		{"single file one block", oneBlock, 16 * kib},
		{"single file one block of a bigger piece", oneBlock, 64 * kib},
		{"single file exactly one piece", onePiece, 64 * kib},
		{"single file of one byte", tiny, 16 * kib},
	}
	work := t.TempDir()
	// libtorrent marks a file with an execute bit attr "x" and shares
	// hidden files; Braid does the same.
	attrs := filepath.Join(work, "attrs")
	require.NoError(t, os.MkdirAll(filepath.Join(attrs, "bin"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(attrs, "bin", "run.sh"), []byte(strings.Repeat("#!/bin/sh\n", 3000)), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(attrs, ".hidden"), []byte("dot"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(attrs, "readme"), []byte("plain"), 0o644))
	cases = append(cases, struct {
		name string
		src  string
		plen int64
	}{"folder with an executable and a hidden file", attrs, 16 * kib})
	for i, tc := range cases {
		for _, kind := range []string{"v2", "hybrid"} {
			t.Run(tc.name+"/"+kind, func(t *testing.T) {
				ours := filepath.Join(work, fmt.Sprintf("%d-%s-braid.torrent", i, kind))
				theirs := filepath.Join(work, fmt.Sprintf("%d-%s-lt.torrent", i, kind))
				m := braidCreateProtocol(t, kind, tc.src, ours, tc.plen)
				res, err := exec.Command(systemPython, "-c", ltCreateScript, tc.src, strconv.FormatInt(tc.plen, 10), kind, theirs).CombinedOutput()
				require.NoError(t, err, "libtorrent create_torrent: %s", res)
				data, err := os.ReadFile(theirs)
				require.NoError(t, err)
				lt, err := metainfo.Parse(data)
				require.NoError(t, err, "Braid parses libtorrent's torrent")

				require.Equal(t, string(lt.InfoBytes), string(m.InfoBytes), "info dict bytes")
				require.Equal(t, lt.InfoHashV2, m.InfoHashV2)
				require.Equal(t, lt.InfoHash, m.InfoHash)
				require.Equal(t, lt.PieceLayers, m.PieceLayers)

				parsed := ltTorrentInfo(t, ours, theirs)
				require.Equal(t, parsed[1], parsed[0], "libtorrent's view of Braid's torrent and of its own")
				require.Equal(t, hex.EncodeToString(m.InfoHashV2[:]), parsed[0].V2)
				if kind == "hybrid" {
					require.Equal(t, hex.EncodeToString(m.InfoHash[:]), parsed[0].V1)
				} else {
					require.Empty(t, parsed[0].V1)
				}
			})
		}
	}
}

// TestBraidHybridDownloads: `braid create --protocol hybrid` of a folder;
// libtorrent seeds it from the folder; a libtorrent leecher (v2-capable)
// and Braid (which runs a hybrid on its v1 side: SHA-1 pieces, v1 info
// hash) download it through a tracker, and WebTorrent 2.8.5 (v1 only) from
// the seeder's address; all their files equal the folder's. aria2 1.36 and
// Transmission 3.00, the other v1-only clients at hand, cannot load any
// BEP 52 torrent (libtorrent's own hybrids neither): see
// TestV1OnlyClientsRefuseFileTrees.
func TestBraidHybridDownloads(t *testing.T) {
	parallel(t)
	c := createdV2Content.get(t)
	braidPath(t)
	requireClient(t, libtorrent)
	work := t.TempDir()
	seedDir := filepath.Join(work, "seed")
	c.copyTo(t, seedDir)
	announce, _ := startBraidTracker(t, trackerEvery)
	torrent := filepath.Join(work, "hybrid.torrent")
	m := braidCreateProtocol(t, "hybrid", filepath.Join(seedDir, contentName), torrent, 64*kib, announce)
	require.True(t, m.Info.HasV1() && m.Info.HasV2())
	pads := 0
	for _, f := range m.Info.Files {
		if f.Padding {
			pads++
		}
	}
	require.Positive(t, pads, "a multi-file hybrid has padding files")

	seeder := startSeeder(t, libtorrent, torrent, seedDir, peerOpts{})
	lt := startLeecher(t, libtorrent, torrent, filepath.Join(work, "lt"), peerOpts{})
	bo := braidOpts{dir: filepath.Join(work, "braid"), stateDir: filepath.Join(work, "state")}
	b := startBraid(t, "braid-download", "download", torrent, bo)
	wt := startWebTorrentLeecher(t, torrent, filepath.Join(work, "webtorrent"), seeder.addr())

	const timeout = 90 * time.Second
	recordTiming(t, "hybrid: libtorrent complete", lt.waitComplete(t, timeout))
	waitBraidComplete(t, b, timeout)
	done := wt.requireEvent(t, "webtorrent complete", timeout, isType("complete"))
	wt.requireExitOK(t, 20*time.Second)
	c.requireMatch(t, "libtorrent", filepath.Join(work, "lt"))
	c.requireMatch(t, "braid", bo.dir)
	require.Equal(t, hex.EncodeToString(m.InfoHash[:]), done.InfoHash, "WebTorrent ran the v1 side")
	requireNonEmptyMatch(t, c, "webtorrent", filepath.Join(work, "webtorrent"))
	require.FileExists(t, resumeFile(bo.stateDir, hex.EncodeToString(m.InfoHash[:])), "Braid ran the torrent by its v1 info hash")
}

// startWebTorrentLeecher runs test/interop/peers/wt_leech.mjs: WebTorrent
// 2.8.5 in Node (web/e2e's pinned copy, `make npm-deps`), which speaks
// BitTorrent v1 only, downloading over TCP from peer.
func startWebTorrentLeecher(t *testing.T, torrent, dir, peer string) *proc {
	t.Helper()
	node := requireCommand(t, "node", "nodejs")
	e2e := filepath.Join(suite.repoRoot, "web", "e2e")
	_, err := os.Stat(filepath.Join(e2e, "node_modules", "webtorrent", "index.js"))
	require.NoError(t, err, "WebTorrent is missing: run make npm-deps")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	script := filepath.Join(suite.repoRoot, "test", "interop", "peers", "wt_leech.mjs")
	p := startProc(t, "webtorrent-leech", "", node, script, e2e, torrent, dir, peer)
	p.requireEvent(t, "webtorrent ready", 30*time.Second, isType("ready"))
	return p
}

// requireNonEmptyMatch is requireMatch for a client that creates no empty
// files (WebTorrent): every non-empty source file must be there, equal.
func requireNonEmptyMatch(t *testing.T, c *content, who, parent string) {
	t.Helper()
	nonEmpty := &content{parent: c.parent}
	for _, f := range c.files {
		if f.size > 0 {
			nonEmpty.files = append(nonEmpty.files, f)
		}
	}
	require.Less(t, len(nonEmpty.files), len(c.files), "the layout has an empty file")
	nonEmpty.requireMatch(t, who, parent)
}

// TestV1OnlyClientsRefuseFileTrees pins why no v1-only client at hand
// downloads a hybrid (Braid's or libtorrent's): a BEP 52 file tree keys
// each file's length and root under the empty key "". aria2 1.36 drops
// dict entries with an empty key and hashes its re-encoding of what is
// left, so it announces and handshakes with a v1 info hash no one else
// has (it fetches the right metadata by magnet, then switches to its own
// hash); Transmission 3.00 refuses the torrent as unparseable. Should
// either start to load hybrids correctly, this test fails: then make it
// download TestBraidHybridDownloads's torrent.
func TestV1OnlyClientsRefuseFileTrees(t *testing.T) {
	c := createdV2Content.get(t)
	braidPath(t)
	requireClient(t, libtorrent)
	requireClient(t, aria2)
	show := requireCommand(t, "transmission-show", "transmission-cli")
	work := t.TempDir()
	ours := filepath.Join(work, "braid.torrent")
	m := braidCreateProtocol(t, "hybrid", c.dir(), ours, 64*kib)
	theirs := filepath.Join(work, "lt.torrent")
	res, err := exec.Command(systemPython, "-c", ltCreateScript, c.dir(), "65536", "hybrid", theirs).CombinedOutput()
	require.NoError(t, err, "libtorrent create_torrent: %s", res)
	for _, torrent := range []string{ours, theirs} {
		data, err := os.ReadFile(torrent)
		require.NoError(t, err)
		var top struct {
			Info bencode.Bytes `bencode:"info"`
		}
		require.NoError(t, bencode.Unmarshal(data, &top))
		require.Equal(t, m.InfoHash, sha1.Sum(top.Info), "the same info dict")
		var info any
		require.NoError(t, bencode.Unmarshal(top.Info, &info))
		stripped, err := bencode.Marshal(dropEmptyKeys(info))
		require.NoError(t, err)
		aria2Sees := sha1.Sum(stripped)

		out, err := exec.Command("aria2c", "-S", torrent).CombinedOutput()
		require.NoError(t, err, "%s", out)
		got := ""
		for _, line := range strings.Split(string(out), "\n") {
			if v, ok := strings.CutPrefix(line, "Info Hash: "); ok {
				got = strings.TrimSpace(v)
			}
		}
		require.Equal(t, hex.EncodeToString(aria2Sees[:]), got, "aria2 hashes the info dict without its empty keys")
		require.NotEqual(t, hex.EncodeToString(m.InfoHash[:]), got)

		out, err = exec.Command(show, torrent).CombinedOutput()
		require.Error(t, err, "transmission-show parsed a file tree: %s", out)
		require.Contains(t, string(out), "Error parsing")
	}
}

// dropEmptyKeys removes, at every level, dict entries whose key is "".
func dropEmptyKeys(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if k != "" {
				out[k] = dropEmptyKeys(e)
			}
		}
		return out
	case []any:
		for i := range x {
			x[i] = dropEmptyKeys(x[i])
		}
	}
	return v
}

// TestBraidV2OnlyDownloads: a v2-only torrent from `braid create
// --protocol v2` is one libtorrent seeds and another libtorrent downloads
// and verifies by its Merkle trees (the piece layers Braid wrote).
func TestBraidV2OnlyDownloads(t *testing.T) {
	parallel(t)
	c := createdV2Content.get(t)
	braidPath(t)
	requireClient(t, libtorrent)
	work := t.TempDir()
	seedDir := filepath.Join(work, "seed")
	c.copyTo(t, seedDir)
	torrent := filepath.Join(work, "v2.torrent")
	m := braidCreateProtocol(t, "v2", filepath.Join(seedDir, contentName), torrent, 32*kib)
	require.False(t, m.Info.HasV1())
	parsed := ltTorrentInfo(t, torrent)[0]
	require.Equal(t, hex.EncodeToString(m.InfoHashV2[:]), parsed.V2)

	seeder := startSeeder(t, libtorrent, torrent, seedDir, peerOpts{})
	lt := startLeecher(t, libtorrent, torrent, filepath.Join(work, "lt"), peerOpts{dial: []string{seeder.addr()}})
	recordTiming(t, "v2: libtorrent complete", lt.waitComplete(t, 60*time.Second))
	c.requireMatch(t, "libtorrent", filepath.Join(work, "lt"))
}
