package metainfo

import (
	"bytes"
	"crypto/sha1"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseMultiFile(t *testing.T) {
	m, err := Parse(torrent(multiInfo()))
	require.NoError(t, err)
	i := m.Info
	assert.Equal(t, "multi", i.Name)
	assert.True(t, i.MultiFile)
	assert.False(t, i.Private)
	assert.Equal(t, int64(16384), i.PieceLength)
	assert.Equal(t, int64(40000), i.Length)
	assert.Equal(t, []File{
		{Path: []string{"a.txt"}, Length: 10000, Offset: 0},
		{Path: []string{"dir", "empty"}, Length: 0, Offset: 10000},
		{Path: []string{"dir", "b.bin"}, Length: 30000, Offset: 10000},
	}, i.Files)
	require.Len(t, i.Pieces, 3)
	assert.Equal(t, fakePieces(3)[20:40], i.Pieces[1][:])
	assert.Equal(t, "http://tracker.invalid/announce", m.Announce)
	assert.Equal(t, [][]string{{"http://tracker.invalid/announce"}}, m.Tiers())
}

func TestParseSingleFile(t *testing.T) {
	m, err := Parse(torrent(singleInfo().set("private", 1)))
	require.NoError(t, err)
	i := m.Info
	assert.False(t, i.MultiFile)
	assert.True(t, i.Private)
	assert.Equal(t, int64(20000), i.Length)
	assert.Equal(t, []File{{Path: []string{"single.bin"}, Length: 20000}}, i.Files)
	assert.Equal(t, 2, i.NumPieces())
}

// The info hash must be over the input bytes, even when a re-encoding
// would differ (unsorted keys, unknown keys, odd values).
func TestInfoHashUsesRawBytes(t *testing.T) {
	info := dic{
		{"pieces", fakePieces(2)},
		{"name", "single.bin"},
		{"x-unknown", []any{raw("i0e"), dic{{"z", 1}, {"a", 2}}}},
		{"piece length", 16384},
		{"length", 20000},
	}
	infoBytes := enc(info)
	data := torrent(info)
	m, err := Parse(data)
	require.NoError(t, err)
	assert.Equal(t, infoBytes, m.InfoBytes)
	assert.Equal(t, sha1.Sum(infoBytes), m.InfoHash)
	assert.True(t, bytes.Contains(data, m.InfoBytes))

	// InfoBytes is a copy: changing the input afterwards changes nothing.
	data[bytes.Index(data, []byte("single.bin"))] = 'X'
	assert.Equal(t, infoBytes, m.InfoBytes)
}

func TestParseOptionalFields(t *testing.T) {
	data := enc(dic{
		{"announce", "http://a.invalid/announce"},
		{"announce-list", []any{
			[]string{"http://b.invalid/announce", "", "udp://c.invalid:80"},
			[]string{},
			[]any{"http://b.invalid/announce", 42, "wss://d.invalid"},
			"not-a-tier",
		}},
		{"comment", "plain"},
		{"comment.utf-8", "unicode ✓"},
		{"created by", "Braid test"},
		{"creation date", 1700000000},
		{"info", singleInfo()},
		{"url-list", []any{"http://seed.invalid/", "", 7}},
	})
	m, err := Parse(data)
	require.NoError(t, err)
	assert.Equal(t, "http://a.invalid/announce", m.Announce)
	want := [][]string{{"http://b.invalid/announce", "udp://c.invalid:80"}, {"wss://d.invalid"}}
	assert.Equal(t, want, m.AnnounceList)
	tiers := m.Tiers()
	assert.Equal(t, want, tiers)
	tiers[0][0] = "changed"
	assert.Equal(t, "http://b.invalid/announce", m.AnnounceList[0][0], "Tiers must return a copy")
	assert.Equal(t, "unicode ✓", m.Comment)
	assert.Equal(t, "Braid test", m.CreatedBy)
	assert.Equal(t, int64(1700000000), m.CreationDate)
	assert.Equal(t, []string{"http://seed.invalid/"}, m.URLList)
}

func TestParseURLListString(t *testing.T) {
	m, err := Parse(enc(dic{{"info", singleInfo()}, {"url-list", "http://seed.invalid/x"}}))
	require.NoError(t, err)
	assert.Equal(t, []string{"http://seed.invalid/x"}, m.URLList)
	assert.Nil(t, m.Tiers())
}

// Optional top-level fields of the wrong type do not make a torrent unusable.
func TestParseIgnoresMistypedOptionalFields(t *testing.T) {
	m, err := Parse(enc(dic{
		{"announce", 5},
		{"announce-list", "http://x.invalid"},
		{"comment", []string{"a"}},
		{"created by", 1},
		{"creation date", "yesterday"},
		{"info", singleInfo()},
		{"url-list", 3},
	}))
	require.NoError(t, err)
	assert.Equal(t, MetaInfo{Info: m.Info, InfoHash: m.InfoHash, InfoBytes: m.InfoBytes}, *m)
}

func TestParsePrefersUTF8Names(t *testing.T) {
	info := multiInfo().
		set("name.utf-8", "многое").
		set("files", []any{
			dic{{"length", 40000}, {"path", []string{"latin1-\xe9"}}, {"path.utf-8", []string{"utf8-é"}}},
		})
	m, err := Parse(torrent(info))
	require.NoError(t, err)
	assert.Equal(t, "многое", m.Info.Name)
	assert.Equal(t, []string{"utf8-é"}, m.Info.Files[0].Path)

	// A mistyped path.utf-8 falls back to path.
	info = info.set("files", []any{dic{{"length", 40000}, {"path", []string{"p"}}, {"path.utf-8", 1}}})
	m, err = Parse(torrent(info))
	require.NoError(t, err)
	assert.Equal(t, []string{"p"}, m.Info.Files[0].Path)
}

// BEP 47 padding files of one size share a name; that is not a collision.
func TestParsePaddingFiles(t *testing.T) {
	info := multiInfo().set("files", []any{
		fileEntry(100, "a"),
		dic{{"attr", "p"}, {"length", 16284}, {"path", []string{".pad", "16284"}}},
		fileEntry(100, "b"),
		dic{{"attr", "p"}, {"length", 16284}, {"path", []string{".pad", "16284"}}},
		fileEntry(7232, "c"),
	})
	m, err := Parse(torrent(info))
	require.NoError(t, err)
	require.Len(t, m.Info.Files, 5)
	assert.True(t, m.Info.Files[1].Padding)
	assert.False(t, m.Info.Files[2].Padding)
	assert.Equal(t, int64(16384), m.Info.Files[2].Offset)
}

func TestParseAcceptsPieceLengths(t *testing.T) {
	for _, pl := range []int64{16384, 3 * 16384, 1 << 20, MaxPieceLength} {
		info := singleInfo().set("piece length", pl).set("length", 5*pl-1).set("pieces", fakePieces(5))
		m, err := Parse(torrent(info))
		require.NoError(t, err, pl)
		assert.Equal(t, pl, m.Info.PieceLength)
	}
}

func TestParseErrors(t *testing.T) {
	files := func(entries ...any) dic {
		total := 0
		for _, e := range entries {
			if d, ok := e.(dic); ok {
				for _, p := range d {
					if n, ok := p.v.(int64); ok && p.k == "length" {
						total += int(n)
					}
				}
			}
		}
		n := 1 // overflowing totals fail before pieces are checked
		if total > 0 && total < 1<<30 {
			n = (total + 16383) / 16384
		}
		return multiInfo().set("files", entries).set("pieces", fakePieces(n))
	}
	long := strings.Repeat("x", 256)
	comp250 := strings.Repeat("y", 250)
	deep := raw(strings.Repeat("l", 100) + strings.Repeat("e", 100))

	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"too large", make([]byte, MaxTorrentSize+1), ErrTooLarge},
		{"empty input", nil, ErrMalformed},
		{"not a dict", enc([]string{"a"}), ErrMalformed},
		{"truncated", torrent(singleInfo())[:50], ErrMalformed},
		{"trailing bytes", append(torrent(singleInfo()), 'x'), ErrMalformed},
		{"non-string key", []byte("di1e3:abce"), ErrMalformed},
		{"key without value", []byte("d4:info"), ErrMalformed},
		{"nested too deep", enc(dic{{"x", deep}, {"info", singleInfo()}}), ErrMalformed},
		{"bad integer", torrent(singleInfo().set("length", raw("i0200e"))), ErrMalformed},
		{"no info", enc(dic{{"announce", "http://x.invalid"}}), ErrMalformed},
		{"info not a dict", enc(dic{{"info", []string{"x"}}}), ErrMalformed},
		{"duplicate info", enc(dic{{"info", singleInfo()}, {"info", multiInfo()}}), ErrMalformed},
		{"duplicate info key", torrent(append(singleInfo(), pair{"name", "other"})), ErrMalformed},

		{"no piece length", torrent(singleInfo().set("piece length", nil)), ErrMalformed},
		{"zero piece length", torrent(singleInfo().set("piece length", 0)), ErrMalformed},
		{"negative piece length", torrent(singleInfo().set("piece length", -16384)), ErrMalformed},
		{"piece length not a multiple of 16 KiB", torrent(singleInfo().set("piece length", 20000)), ErrMalformed},
		{"piece length over 64 MiB", torrent(singleInfo().set("piece length", 128<<20).set("pieces", fakePieces(1))), ErrMalformed},
		{"piece length is a string", torrent(singleInfo().set("piece length", "16384")), ErrMalformed},

		{"no pieces", torrent(singleInfo().set("pieces", nil)), ErrMalformed},
		{"pieces not multiple of 20", torrent(singleInfo().set("pieces", fakePieces(2)[:39])), ErrMalformed},
		{"too few pieces", torrent(singleInfo().set("pieces", fakePieces(1))), ErrMalformed},
		{"too many pieces", torrent(singleInfo().set("pieces", fakePieces(3))), ErrMalformed},
		{"pieces is a list", torrent(singleInfo().set("pieces", []string{"x"})), ErrMalformed},

		{"no name", torrent(singleInfo().set("name", nil)), ErrMalformed},
		{"name is an int", torrent(singleInfo().set("name", 1)), ErrMalformed},
		{"name is ..", torrent(singleInfo().set("name", "..")), ErrUnsafePath},
		{"name is absolute", torrent(singleInfo().set("name", "/etc")), ErrUnsafePath},
		{"name.utf-8 unsafe", torrent(singleInfo().set("name.utf-8", "..")), ErrUnsafePath},

		{"neither length nor files", torrent(singleInfo().set("length", nil)), ErrMalformed},
		{"both length and files", torrent(multiInfo().set("length", 40000)), ErrMalformed},
		{"negative length", torrent(singleInfo().set("length", -1)), ErrMalformed},
		{"length overflows int64", torrent(singleInfo().set("length", raw("i9223372036854775808e"))), ErrMalformed},
		{"zero total length", torrent(singleInfo().set("length", 0).set("pieces", "")), ErrMalformed},
		{"private is a string", torrent(singleInfo().set("private", "1")), ErrMalformed},
		{"meta version 2 without file tree", torrent(singleInfo().set("pieces", nil).set("meta version", 2)), ErrMalformed},
		{"meta version 3", torrent(singleInfo().set("meta version", 3)), ErrUnsupported},

		{"files not a list", torrent(multiInfo().set("files", "x")), ErrMalformed},
		{"empty file list", torrent(multiInfo().set("files", []any{})), ErrMalformed},
		{"too many files", torrent(multiInfo().set("files", manyFiles(MaxFiles+1))), ErrMalformed},
		{"file not a dict", torrent(files("x")), ErrMalformed},
		{"file without length", torrent(files(dic{{"path", []string{"a"}}})), ErrMalformed},
		{"file without path", torrent(files(dic{{"length", int64(40000)}})), ErrMalformed},
		{"negative file length", torrent(files(fileEntry(-1, "a"), fileEntry(40001, "b"))), ErrMalformed},
		{"total length overflow", torrent(files(fileEntry(math.MaxInt64, "a"), fileEntry(1, "b"))), ErrMalformed},
		{"empty path list", torrent(files(fileEntry(40000))), ErrMalformed},
		{"path element not a string", torrent(files(dic{{"length", int64(40000)}, {"path", []any{1}}})), ErrMalformed},
		{"duplicate key in file", torrent(files(append(fileEntry(40000, "a"), pair{"length", int64(1)}))), ErrMalformed},

		{"component too long", torrent(files(fileEntry(40000, long))), ErrUnsafePath},
		{"whole path too long", torrent(files(fileEntry(40000, slices17(comp250)...))), ErrUnsafePath},
		{"duplicate path", torrent(files(fileEntry(20000, "d", "a"), fileEntry(20000, "d", "a"))), ErrUnsafePath},
		{"file then directory", torrent(files(fileEntry(20000, "a"), fileEntry(20000, "a", "b"))), ErrUnsafePath},
		{"directory then file", torrent(files(fileEntry(20000, "a", "b"), fileEntry(20000, "a"))), ErrUnsafePath},
		{"empty file is a directory", torrent(files(fileEntry(0, "a"), fileEntry(40000, "a", "b"))), ErrUnsafePath},
		{"path.utf-8 unsafe", torrent(files(dic{{"length", int64(40000)}, {"path", []string{"ok"}}, {"path.utf-8", []string{".."}}})), ErrUnsafePath},
	}
	for _, c := range []string{"..", ".", "", "...", " ", "a/b", "/abs", `a\b`, "a\x00b", "C:", "c:evil"} {
		tests = append(tests, struct {
			name string
			data []byte
			want error
		}{"unsafe component " + c, torrent(files(fileEntry(40000, "ok", c))), ErrUnsafePath})
	}

	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Parse(tc.data)
			require.Error(t, err)
			assert.Nil(t, m)
			assert.ErrorIs(t, err, tc.want)
			assert.True(t, strings.HasPrefix(err.Error(), "metainfo: "), err.Error())
			assert.Less(t, len(err.Error()), 400, "error messages stay short on hostile input")
		})
	}
}

func slices17(c string) []string {
	out := make([]string, 17) // 17*251 > 4096
	for i := range out {
		out[i] = c
	}
	return out
}

func manyFiles(n int) []any {
	out := make([]any, n)
	e := raw(enc(fileEntry(1, "f")))
	for i := range out {
		out[i] = e
	}
	return out
}

// A torrent at the file limit parses (the limit is not off by one).
func TestParseFileLimit(t *testing.T) {
	entries := make([]any, MaxFiles)
	for i := range entries {
		entries[i] = raw(enc(fileEntry(1, "f"+strconv.Itoa(i))))
	}
	info := multiInfo().set("files", entries).set("pieces", fakePieces((MaxFiles+16383)/16384))
	m, err := Parse(torrent(info))
	require.NoError(t, err)
	assert.Len(t, m.Info.Files, MaxFiles)
	assert.Equal(t, int64(MaxFiles-1), m.Info.Files[MaxFiles-1].Offset)
}

func TestParseInfo(t *testing.T) {
	info, err := ParseInfo(enc(multiInfo()))
	require.NoError(t, err)
	assert.Equal(t, "multi", info.Name)
	assert.Equal(t, int64(40000), info.Length)

	_, err = ParseInfo(append(enc(multiInfo()), "3:abc"...))
	assert.ErrorIs(t, err, ErrMalformed)
	_, err = ParseInfo(make([]byte, MaxTorrentSize+1))
	assert.ErrorIs(t, err, ErrTooLarge)
}

func TestValidatePathComponent(t *testing.T) {
	for _, ok := range []string{"a", "file.txt", ".hidden", "a..b", "..a", "1:", "Episode 1: Start.mkv", "многое", strings.Repeat("x", 255)} {
		assert.NoError(t, ValidatePathComponent(ok), ok)
	}
	for _, bad := range []string{"", ".", "..", "...", ". .", " ", "a/b", "/", `\`, `a\..`, "nul\x00", "C:", "z:", "C:x", "D:\\x", strings.Repeat("x", 256)} {
		err := ValidatePathComponent(bad)
		assert.ErrorIs(t, err, ErrUnsafePath, "%q", bad)
	}
}

// A libtorrent 2.0 hybrid torrent: v1 view with BEP 47 padding files; its
// v2 keys ("file tree", "meta version", "piece layers") describe the same
// files.
func TestParseLibtorrentHybrid(t *testing.T) {
	m, err := Parse(libtorrentHybrid)
	require.NoError(t, err)
	assert.Equal(t, libtorrentHybridHash, hexHash(m.InfoHash))

	plain, err := Parse(mktorrentMulti)
	require.NoError(t, err)
	var real []File
	for _, f := range m.Info.Files {
		if f.Padding {
			assert.Equal(t, ".pad", f.Path[0])
			assert.Zero(t, (f.Offset+f.Length)%m.Info.PieceLength, "padding ends on a piece boundary")
			continue
		}
		real = append(real, f)
	}
	require.Len(t, real, len(plain.Info.Files))
	for k, f := range real {
		assert.Equal(t, plain.Info.Files[k].Path, f.Path)
		assert.Equal(t, plain.Info.Files[k].Length, f.Length)
	}
	assert.Len(t, m.Info.Files, len(real)+3)
}
