package metainfo

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid/core/merkle"
	"github.com/braid-bt/braid/internal/testfixtures"
)

type v2Case struct {
	name   string
	single bool
	plen   int64
	files  []FileSpec
}

func v2Cases() []v2Case {
	const p = 32 << 10
	return []v2Case{
		{"single file", true, p, []FileSpec{{Path: []string{"movie.mkv"}, Length: 5*p + 1000}}},
		{"single file one block", true, p, []FileSpec{{Path: []string{"tiny"}, Length: 1}}},
		{"single file exactly one piece", true, p, []FileSpec{{Path: []string{"piece"}, Length: p}}},
		{"multi file", false, p, []FileSpec{
			{Path: []string{"a-b"}, Length: 70000},
			{Path: []string{"a.bin"}, Length: 40000},
			{Path: []string{"empty"}, Length: 0},
			{Path: []string{"one.bin"}, Length: merkle.BlockSize},
			{Path: []string{"sub", "exact"}, Length: p},
			{Path: []string{"sub", "x"}, Length: 100},
			{Path: []string{"sub-file"}, Length: 3 * p},
		}},
		{"multi file of one-block files", false, 16 << 10, []FileSpec{
			{Path: []string{"1"}, Length: 16 << 10},
			{Path: []string{"2"}, Length: 5},
			{Path: []string{"3"}, Length: 16 << 10},
		}},
		{"empty files first and last", false, 64 << 10, []FileSpec{
			{Path: []string{"0-empty"}, Length: 0},
			{Path: []string{"big"}, Length: 300000},
			{Path: []string{"z-empty"}, Length: 0},
		}},
	}
}

func (c v2Case) options(p Protocol) CreateOptions {
	o := CreateOptions{Name: "pack", Files: c.files, SingleFile: c.single, PieceLength: c.plen, Protocol: p}
	if c.single {
		o.Name = ""
	}
	return o
}

func (c v2Case) data() [][]byte {
	out := make([][]byte, len(c.files))
	for i, f := range c.files {
		out[i] = fixtureContent(i+3, int(f.Length))
	}
	return out
}

// TestCreateV2RoundTrip creates v2 and hybrid torrents and checks,
// independently of Create, every file's root and piece layer, and for
// hybrids the v1 pieces over the stream with its padding files.
func TestCreateV2RoundTrip(t *testing.T) {
	for _, c := range v2Cases() {
		for _, p := range []Protocol{ProtocolV2, ProtocolHybrid} {
			t.Run(c.name+"/"+p.String(), func(t *testing.T) {
				data := c.data()
				out, err := Create(c.options(p), bytes.NewReader(bytes.Join(data, nil)))
				require.NoError(t, err)
				m, err := Parse(out)
				require.NoError(t, err)
				info := m.Info
				require.True(t, info.HasV2())
				assert.Equal(t, p == ProtocolHybrid, info.HasV1())
				assert.Equal(t, !c.single, info.MultiFile)
				assert.NotZero(t, m.InfoHashV2)
				require.Len(t, info.FilesV2, len(c.files))
				var stream []byte // the v1 byte stream, padding included
				for i, f := range info.FilesV2 {
					want := c.files[i].Path
					if c.single {
						want = []string{c.files[0].Path[0]}
					}
					assert.Equal(t, want, f.Path)
					assert.Equal(t, c.files[i].Length, f.Length)
					if f.Length == 0 {
						assert.Zero(t, f.PiecesRoot)
						continue
					}
					if rem := int64(len(stream)) % c.plen; rem != 0 {
						stream = append(stream, make([]byte, c.plen-rem)...)
					}
					assert.Equal(t, int64(len(stream)), f.Offset, "%v starts on a piece boundary", f.Path)
					stream = append(stream, data[i]...)
					var blocks []merkle.Hash
					for off := 0; off < len(data[i]); off += merkle.BlockSize {
						blocks = append(blocks, merkle.BlockHash(data[i][off:min(off+merkle.BlockSize, len(data[i]))]))
					}
					tree, err := merkle.NewTree(blocks)
					require.NoError(t, err)
					assert.Equal(t, tree.Root(), f.PiecesRoot, "%v root", f.Path)
					layer, err := tree.PieceLayer(c.plen)
					require.NoError(t, err)
					assert.Equal(t, layer, m.PieceLayers[f.PiecesRoot], "%v piece layer", f.Path)
				}
				if p != ProtocolHybrid {
					return
				}
				if !c.single {
					if rem := int64(len(stream)) % c.plen; rem != 0 {
						stream = append(stream, make([]byte, c.plen-rem)...) // libtorrent pads the tail too
					}
				}
				assert.Equal(t, int64(len(stream)), info.Length)
				require.Equal(t, info.NumPieces(), len(info.Pieces))
				for i := range info.Pieces {
					end := min(int64(i+1)*c.plen, int64(len(stream)))
					assert.Equal(t, [20]byte(sha1.Sum(stream[int64(i)*c.plen:end])), info.Pieces[i], "piece %d", i)
				}
				for _, f := range info.Files {
					if f.Padding {
						assert.Equal(t, []string{".pad", strconv.FormatInt(f.Length, 10)}, f.Path)
						assert.Less(t, f.Length, c.plen)
					}
				}
			})
		}
	}
}

// TestCreateV1Unchanged: the default protocol is v1 and its output is
// what Create wrote before v2 existed (the mktorrent fixtures check the
// bytes; here the explicit and the zero option agree).
func TestCreateV1Unchanged(t *testing.T) {
	for _, f := range fixtures() {
		o := f.opts
		o.Protocol = ProtocolV1
		a, err := Create(o, bytes.NewReader(f.content()))
		require.NoError(t, err)
		o.Protocol = 0
		b, err := Create(o, bytes.NewReader(f.content()))
		require.NoError(t, err)
		assert.Equal(t, a, b)
		m, err := Parse(a)
		require.NoError(t, err)
		assert.False(t, m.Info.HasV2())
		assert.Equal(t, f.infoHash, hexHash(m.InfoHash))
	}
}

// Executable files carry attr "x" in v2 and hybrid torrents (in the file
// tree and the v1 list), as libtorrent writes them; v1 ignores the flag.
func TestCreateExecutable(t *testing.T) {
	files := []FileSpec{{Path: []string{"bin", "run"}, Length: 5000, Executable: true}, {Path: []string{"doc"}, Length: 70000}}
	data := fixtureContent(1, 75000)
	for _, p := range []Protocol{ProtocolV2, ProtocolHybrid} {
		out, err := Create(CreateOptions{Name: "x", Files: files, PieceLength: 32 << 10, Protocol: p}, bytes.NewReader(data))
		require.NoError(t, err)
		m, err := Parse(out)
		require.NoError(t, err)
		info := string(m.InfoBytes)
		assert.Contains(t, info, "3:bind3:rund0:d4:attr1:x6:length", "file tree entry of bin/run")
		want := 1
		if p == ProtocolHybrid {
			want = 2 // the file tree and the v1 list
		}
		assert.Equal(t, want, strings.Count(info, "4:attr1:x"), "only bin/run")
		if p == ProtocolHybrid {
			assert.Contains(t, info, "d4:attr1:x6:lengthi5000e4:pathl3:bin3:runee", "v1 entry of bin/run")
		}
		assert.Equal(t, []string{"bin", "run"}, m.Info.FilesV2[0].Path)
	}
	plain := append([]FileSpec(nil), files...)
	plain[0].Executable = false
	a, err := Create(CreateOptions{Name: "x", Files: files, PieceLength: 32 << 10}, bytes.NewReader(data))
	require.NoError(t, err)
	b, err := Create(CreateOptions{Name: "x", Files: plain, PieceLength: 32 << 10}, bytes.NewReader(data))
	require.NoError(t, err)
	assert.Equal(t, a, b, "v1 writes no attributes")
}

// Identical files share a root and one piece layers entry.
func TestCreateV2IdenticalFiles(t *testing.T) {
	data := fixtureContent(4, 100000)
	files := []FileSpec{{Path: []string{"a"}, Length: 100000}, {Path: []string{"b"}, Length: 100000}}
	out, err := Create(CreateOptions{Name: "twins", Files: files, PieceLength: 32 << 10, Protocol: ProtocolHybrid},
		bytes.NewReader(append(append([]byte(nil), data...), data...)))
	require.NoError(t, err)
	m, err := Parse(out)
	require.NoError(t, err)
	assert.Equal(t, m.Info.FilesV2[0].PiecesRoot, m.Info.FilesV2[1].PiecesRoot)
	assert.Len(t, m.PieceLayers, 1)
}

func TestCreateV2Errors(t *testing.T) {
	c := v2Cases()[3]
	data := bytes.Join(c.data(), nil)
	o := c.options(ProtocolHybrid)
	o.PieceLength = 48 << 10
	_, err := Create(o, bytes.NewReader(data))
	assert.ErrorIs(t, err, ErrMalformed, "not a power of two")
	assert.Contains(t, err.Error(), "power of two")

	o = c.options(ProtocolV2)
	o.Files = append([]FileSpec(nil), c.files...)
	o.Files[0], o.Files[1] = o.Files[1], o.Files[0]
	_, err = Create(o, bytes.NewReader(data))
	assert.ErrorIs(t, err, ErrMalformed, "not in file-tree order")
	assert.Contains(t, err.Error(), "file-tree order")

	o = c.options(ProtocolV2)
	_, err = Create(o, bytes.NewReader(data[:len(data)-1]))
	assert.Error(t, err, "content too short")
	_, err = Create(o, bytes.NewReader(append(data, 0)))
	assert.ErrorIs(t, err, ErrMalformed, "content too long")

	o.Protocol = Protocol(9)
	_, err = Create(o, bytes.NewReader(data))
	assert.ErrorIs(t, err, ErrProtocol)
}

func TestParseProtocol(t *testing.T) {
	for _, p := range []Protocol{ProtocolV1, ProtocolV2, ProtocolHybrid} {
		got, err := ParseProtocol(p.String())
		require.NoError(t, err)
		assert.Equal(t, p, got)
	}
	_, err := ParseProtocol("v3")
	assert.ErrorIs(t, err, ErrProtocol)
}

func TestCompareFileTreePaths(t *testing.T) {
	// Component-wise: "a" (a directory) sorts before "a-b", though "a/x"
	// joined would sort after it.
	assert.Negative(t, CompareFileTreePaths([]string{"a", "x"}, []string{"a-b"}))
	assert.Negative(t, CompareFileTreePaths([]string{"a-b"}, []string{"a.bin"}))
	assert.Negative(t, CompareFileTreePaths([]string{"B"}, []string{"a"}))
	assert.Zero(t, CompareFileTreePaths([]string{"a", "b"}, []string{"a", "b"}))
	assert.Positive(t, CompareFileTreePaths([]string{"a", "b"}, []string{"a"}))
}

// TestCreateMatchesLibtorrentFixtures creates v2 and hybrid torrents of
// the content libtorrent 2.0.8 made the committed fixtures from: the info
// hashes must be libtorrent's.
func TestCreateMatchesLibtorrentFixtures(t *testing.T) {
	for _, c := range []struct {
		name string
		p    Protocol
	}{{"libtorrent-v2", ProtocolV2}, {"libtorrent-hybrid", ProtocolHybrid}} {
		t.Run(c.name, func(t *testing.T) {
			tor, err := testfixtures.TorrentNamed(c.name)
			require.NoError(t, err)
			files, err := tor.ContentFiles()
			require.NoError(t, err)
			var specs []FileSpec
			var content []byte
			for _, f := range files {
				specs = append(specs, FileSpec{Path: strings.Split(f.Path, "/"), Length: f.Length})
				b, err := os.ReadFile(filepath.Join(tor.Content, filepath.FromSlash(f.Path)))
				require.NoError(t, err)
				content = append(content, b...)
			}
			out, err := Create(CreateOptions{Name: filepath.Base(tor.Content), Files: specs, PieceLength: tor.PieceLength, Protocol: c.p},
				bytes.NewReader(content))
			require.NoError(t, err)
			m, err := Parse(out)
			require.NoError(t, err)
			assert.Equal(t, tor.InfoHashV2, hex.EncodeToString(m.InfoHashV2[:]))
			if c.p == ProtocolHybrid {
				assert.Equal(t, tor.InfoHash, hex.EncodeToString(m.InfoHash[:]))
			}
			want, err := tor.Bytes()
			require.NoError(t, err)
			lt, err := Parse(want)
			require.NoError(t, err)
			assert.Equal(t, string(lt.InfoBytes), string(m.InfoBytes))
			assert.Equal(t, lt.PieceLayers, m.PieceLayers)
		})
	}
}
