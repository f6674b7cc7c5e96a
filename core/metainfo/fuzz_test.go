package metainfo

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid/core/merkle"
)

// Seed corpora live in testdata/fuzz/; TestWriteFuzzSeeds -update rewrites
// them from fuzzSeeds.

func FuzzParse(f *testing.F) {
	f.Add(mktorrentMulti)
	f.Add(mktorrentSingle)
	f.Add(libtorrentHybrid)
	f.Add(v2Torrent(v2Parts(f, "v2", 16384, v2Files())))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data)
		if err != nil {
			requireSentinel(t, err)
			require.Nil(t, m)
			return
		}
		checkInfo(t, m.Info)
		if m.Info.HasV1() {
			require.Equal(t, sha1.Sum(m.InfoBytes), m.InfoHash)
		} else {
			require.Zero(t, m.InfoHash)
		}
		if m.Info.HasV2() {
			require.Equal(t, sha256.Sum256(m.InfoBytes), m.InfoHashV2)
			for _, f := range m.Info.FilesV2 {
				if f.Length > m.Info.PieceLength {
					require.Len(t, m.PieceLayers[f.PiecesRoot], int((f.Length-1)/m.Info.PieceLength+1))
				}
			}
		} else {
			require.Zero(t, m.InfoHashV2)
			require.Nil(t, m.PieceLayers)
		}
		require.True(t, bytes.Contains(data, m.InfoBytes), "info bytes come from the input")
		for _, tier := range m.AnnounceList {
			require.NotEmpty(t, tier)
		}

		// Rewriting keeps the hash, trackers and web seeds.
		out, err := m.Marshal()
		require.NoError(t, err)
		m2, err := Parse(out)
		require.NoError(t, err)
		require.Equal(t, m.InfoHash, m2.InfoHash)
		require.Equal(t, m.Tiers(), m2.Tiers())
		require.Equal(t, m.URLList, m2.URLList)
		require.Equal(t, m.Info, m2.Info)
		require.Equal(t, m.InfoHashV2, m2.InfoHashV2)
		require.Equal(t, m.PieceLayers, m2.PieceLayers)
	})
}

func FuzzParseInfo(f *testing.F) {
	for _, d := range [][]byte{mktorrentMulti, mktorrentSingle, libtorrentHybrid} {
		m, err := Parse(d)
		require.NoError(f, err)
		f.Add(m.InfoBytes)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := ParseInfo(data)
		if err != nil {
			requireSentinel(t, err)
			require.Nil(t, info)
			return
		}
		checkInfo(t, info)
	})
}

func requireSentinel(t *testing.T, err error) {
	t.Helper()
	for _, s := range []error{ErrMalformed, ErrUnsafePath, ErrTooLarge, ErrUnsupported} {
		if errors.Is(err, s) {
			require.True(t, strings.HasPrefix(err.Error(), "metainfo: "), err.Error())
			return
		}
	}
	t.Fatalf("error wraps no sentinel: %v", err)
}

// checkInfo asserts what every accepted Info guarantees its users.
func checkInfo(t *testing.T, i *Info) {
	t.Helper()
	require.NoError(t, ValidatePathComponent(i.Name))
	require.NoError(t, checkPieceLength(i.PieceLength))
	require.Positive(t, i.Length)
	require.NotEmpty(t, i.Files)
	require.LessOrEqual(t, len(i.Files), MaxFiles)
	if i.HasV1() {
		require.Equal(t, len(i.Pieces), i.NumPieces())
	} else {
		require.True(t, i.HasV2(), "a torrent has v1 pieces or a v2 file tree")
		require.Empty(t, i.Pieces)
	}
	if i.HasV2() {
		_, ok := merkle.Log2(i.PieceLength)
		require.True(t, ok)
		var real []File
		for _, f := range i.Files {
			if !f.Padding {
				real = append(real, f)
			}
		}
		require.Len(t, real, len(i.FilesV2))
		for k, f := range i.FilesV2 {
			require.Equal(t, real[k].Path, f.Path)
			require.Equal(t, real[k].Length, f.Length)
			require.Equal(t, real[k].Offset, f.Offset)
			require.LessOrEqual(t, len(f.Path), MaxFileTreeDepth)
			if f.Length > 0 {
				require.Zero(t, f.Offset%i.PieceLength, "a v2 file starts a piece")
			}
		}
	} else {
		require.Nil(t, i.FilesV2)
	}
	var off int64
	for _, f := range i.Files {
		require.Equal(t, off, f.Offset)
		require.GreaterOrEqual(t, f.Length, int64(0))
		off += f.Length
		if !i.MultiFile && !f.Padding { // a v2-only torrent's stream ends with padding
			require.Equal(t, []string{i.Name}, f.Path)
		}
		n := len(i.Name)
		for _, c := range f.Path {
			require.NoError(t, ValidatePathComponent(c))
			n += 1 + len(c)
		}
		require.LessOrEqual(t, n, MaxPathLen+1)
	}
	require.Equal(t, i.Length, off)
	var sum int64
	for p := range i.NumPieces() {
		sum += i.PieceSize(p)
	}
	require.Equal(t, i.Length, sum)
	last := i.NumPieces() - 1
	for f := range i.Files {
		first, l := i.FilePieces(f)
		if i.Files[f].Length > 0 {
			assert.True(t, 0 <= first && first <= l && l <= last)
		} else {
			assert.Greater(t, first, l)
		}
	}
}

// fuzzSeeds are real-world-like and malformed inputs for FuzzParse.
func fuzzSeeds(t testing.TB) map[string][]byte {
	hybrid := multiInfo().
		set("files", []any{
			fileEntry(10000, "a.txt"),
			dic{{"attr", "p"}, {"length", 6384}, {"path", []string{".pad", "6384"}}},
			fileEntry(23616, "b.bin"),
		}).
		set("file tree", dic{{"a.txt", dic{{"", dic{{"length", 10000}, {"pieces root", strings.Repeat("r", 32)}}}}}}).
		set("meta version", 2)
	seeds := map[string][]byte{
		"multi":         torrent(multiInfo()),
		"single":        torrent(singleInfo()),
		"private":       torrent(singleInfo().set("private", 1)),
		"utf8-names":    torrent(multiInfo().set("name.utf-8", "名前").set("files", []any{dic{{"length", 40000}, {"path", []string{"a"}}, {"path.utf-8", []string{"ä"}}}})),
		"hybrid-v1-v2":  torrent(hybrid),
		"v2-only":       torrent(singleInfo().set("pieces", nil).set("meta version", 2)),
		"unsorted-keys": torrent(dic{{"pieces", fakePieces(2)}, {"name", "u"}, {"piece length", 16384}, {"length", 20000}}),
		"all-fields": enc(dic{
			{"announce", "http://a.invalid/announce"},
			{"announce-list", []any{[]string{"http://a.invalid/announce", "udp://b.invalid:80"}, []string{"wss://c.invalid"}}},
			{"comment", "c"}, {"created by", "Braid"}, {"creation date", 1700000000},
			{"info", singleInfo()},
			{"url-list", []string{"http://seed.invalid/"}},
		}),
		"url-list-string": enc(dic{{"info", singleInfo()}, {"url-list", "http://seed.invalid/"}}),
		"dotdot":          torrent(multiInfo().set("files", []any{fileEntry(40000, "..", "etc", "passwd")})),
		"drive-letter":    torrent(multiInfo().set("files", []any{fileEntry(40000, "C:", "x")})),
		"abs-name":        torrent(singleInfo().set("name", "/etc/passwd")),
		"dup-path":        torrent(multiInfo().set("files", []any{fileEntry(20000, "a"), fileEntry(20000, "a")})),
		"file-dir":        torrent(multiInfo().set("files", []any{fileEntry(20000, "a"), fileEntry(20000, "a", "b")})),
		"neg-length":      torrent(singleInfo().set("length", -5)),
		"overflow":        torrent(multiInfo().set("files", []any{fileEntry(1<<62, "a"), fileEntry(1<<62, "b"), fileEntry(1<<62, "c")})),
		"bad-piece-len":   torrent(singleInfo().set("piece length", 1000)),
		"pieces-21":       torrent(singleInfo().set("pieces", fakePieces(2)[:21])),
		"dup-info":        enc(dic{{"info", singleInfo()}, {"info", singleInfo()}}),
		"deep":            []byte("d1:x" + strings.Repeat("l", 80) + strings.Repeat("e", 80) + "e"),
		"huge-string":     []byte("d4:info99999999999:xe"),
		"truncated":       torrent(multiInfo())[:120],
		"leading-zero":    torrent(singleInfo().set("length", raw("i020000e"))),
		"minus-zero":      torrent(singleInfo().set("private", raw("i-0e"))),
		"empty":           {},
		"empty-dict":      []byte("de"),
		"empty-info":      []byte("d4:infodee"),
	}
	files := v2Files()
	v2info, v2layers := v2Parts(t, "v2", 16384, files)
	seeds["v2-valid"] = v2Torrent(v2info, v2layers)
	seeds["hybrid-valid"] = v2Torrent(hybridInfo(v2info, 16384, files), v2layers)
	seeds["v2-single"] = v2Torrent(v2Parts(t, "one.bin", 32768, []v2File{{[]string{"one.bin"}, fixtureContent(7, 70000)}}))
	seeds["v2-no-layers"] = v2Torrent(v2info, nil)
	seeds["v2-bad-layer"] = v2Torrent(v2info, dic{{v2layers[0].k, "X" + v2layers[0].v.(string)[1:]}})
	seeds["v2-file-and-dir"] = v2Torrent(v2info.set("file tree", dic{{"a", dic{{"", dic{{"length", 0}}}, {"b", dic{{"", dic{{"length", 0}}}}}}}}), nil)
	seeds["v2-piece-length-3x"] = v2Torrent(v2info.set("piece length", 3*16384), v2layers)
	return seeds
}
