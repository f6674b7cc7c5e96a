package metainfo

import (
	"crypto/sha1"
	"crypto/sha256"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid/core/merkle"
)

// v2File is one file of a hand-made v2 torrent.
type v2File struct {
	path []string
	data []byte
}

// v2Files: a small file, one spanning three 16 KiB pieces, an empty one
// and one of exactly one piece, in file-tree (sorted) order.
func v2Files() []v2File {
	return []v2File{
		{[]string{"a.txt"}, fixtureContent(1, 10000)},
		{[]string{"dir", "b.bin"}, fixtureContent(2, 40000)},
		{[]string{"dir", "c.bin"}, fixtureContent(3, 16384)},
		{[]string{"dir", "empty"}, nil},
	}
}

// v2Hashes returns a file's pieces root and piece layer.
func v2Hashes(t testing.TB, data []byte, pieceLen int64) (merkle.Hash, []merkle.Hash) {
	var blocks []merkle.Hash
	for off := 0; off < len(data); off += merkle.BlockSize {
		blocks = append(blocks, merkle.BlockHash(data[off:min(off+merkle.BlockSize, len(data))]))
	}
	root, err := merkle.FileRoot(blocks)
	require.NoError(t, err)
	layer, err := merkle.PieceLayer(blocks, pieceLen)
	require.NoError(t, err)
	return root, layer
}

// treeNode builds a file tree as nested dics with sorted keys.
type treeNode struct {
	children map[string]*treeNode
	leaf     dic
}

func (n *treeNode) dic() dic {
	if n.leaf != nil {
		return dic{{"", n.leaf}}
	}
	keys := make([]string, 0, len(n.children))
	for k := range n.children {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out dic
	for _, k := range keys {
		out = append(out, pair{k, n.children[k].dic()})
	}
	return out
}

// v2Parts returns a valid v2-only info dict and its piece layers.
func v2Parts(t testing.TB, name string, pieceLen int64, files []v2File) (dic, dic) {
	root := &treeNode{}
	var layers dic
	for _, f := range files {
		n := root
		for _, c := range f.path {
			if n.children == nil {
				n.children = map[string]*treeNode{}
			}
			if n.children[c] == nil {
				n.children[c] = &treeNode{}
			}
			n = n.children[c]
		}
		n.leaf = dic{{"length", len(f.data)}}
		if len(f.data) > 0 {
			r, layer := v2Hashes(t, f.data, pieceLen)
			n.leaf = append(n.leaf, pair{"pieces root", string(r[:])})
			if layer != nil {
				var b []byte
				for _, h := range layer {
					b = append(b, h[:]...)
				}
				layers = append(layers, pair{string(r[:]), string(b)})
			}
		}
	}
	slices.SortFunc(layers, func(a, b pair) int { return strings.Compare(a.k, b.k) })
	info := dic{{"file tree", root.dic()}, {"meta version", 2}, {"name", name}, {"piece length", pieceLen}}
	return info, layers
}

// hybridInfo adds the v1 keys to a v2 info dict: the same files with
// BEP 47 padding after each one not ending on a piece boundary, and the
// SHA-1 of every piece of that stream.
func hybridInfo(info dic, pieceLen int64, files []v2File) dic {
	var list []any
	var stream []byte
	for i, f := range files {
		list = append(list, fileEntry(int64(len(f.data)), f.path...))
		stream = append(stream, f.data...)
		if rem := int64(len(stream)) % pieceLen; rem != 0 && i < len(files)-1 && len(f.data) > 0 {
			pad := pieceLen - rem
			list = append(list, dic{{"attr", "p"}, {"length", pad}, {"path", []string{".pad", strconv.FormatInt(pad, 10)}}})
			stream = append(stream, make([]byte, pad)...)
		}
	}
	var pieces []byte
	for off := int64(0); off < int64(len(stream)); off += pieceLen {
		h := sha1.Sum(stream[off:min(off+pieceLen, int64(len(stream)))])
		pieces = append(pieces, h[:]...)
	}
	return info.set("files", list).set("pieces", string(pieces))
}

func v2Torrent(info, layers dic) []byte {
	d := dic{{"announce", "http://tracker.invalid/announce"}, {"info", info}}
	if layers != nil {
		d = append(d, pair{"piece layers", layers})
	}
	return enc(d)
}

func TestParseV2Only(t *testing.T) {
	files := v2Files()
	info, layers := v2Parts(t, "v2", 16384, files)
	data := v2Torrent(info, layers)
	m, err := Parse(data)
	require.NoError(t, err)
	i := m.Info

	assert.True(t, i.HasV2())
	assert.False(t, i.HasV1())
	assert.Equal(t, MetaVersion2, i.MetaVersion)
	assert.Zero(t, m.InfoHash, "no v1 hash")
	assert.Equal(t, sha256.Sum256(enc(info)), m.InfoHashV2)
	assert.Equal(t, "v2", i.Name)
	assert.True(t, i.MultiFile)
	assert.Empty(t, i.Pieces)

	require.Len(t, i.FilesV2, 4)
	wantOffsets := []int64{0, 16384, 65536, 81920}
	for k, f := range files {
		got := i.FilesV2[k]
		assert.Equal(t, f.path, got.Path)
		assert.Equal(t, int64(len(f.data)), got.Length)
		assert.Equal(t, wantOffsets[k], got.Offset, "%v", f.path)
		if len(f.data) == 0 {
			assert.Zero(t, got.PiecesRoot)
			continue
		}
		root, layer := v2Hashes(t, f.data, 16384)
		assert.Equal(t, root, got.PiecesRoot)
		assert.Equal(t, layer, m.PieceLayers[root])
	}
	assert.Len(t, m.PieceLayers, 1, "only b.bin spans pieces")

	// The byte stream view: each non-empty file starts a piece, padding between.
	assert.Equal(t, []File{
		{Path: []string{"a.txt"}, Length: 10000, Offset: 0},
		{Path: []string{".pad", "6384"}, Length: 6384, Offset: 10000, Padding: true},
		{Path: []string{"dir", "b.bin"}, Length: 40000, Offset: 16384},
		{Path: []string{".pad", "9152"}, Length: 9152, Offset: 56384, Padding: true},
		{Path: []string{"dir", "c.bin"}, Length: 16384, Offset: 65536},
		{Path: []string{"dir", "empty"}, Length: 0, Offset: 81920},
	}, i.Files)
	assert.Equal(t, int64(81920), i.Length)
	assert.Equal(t, 5, i.NumPieces())
	assert.Equal(t, int64(66384), i.FilesLength())
	assert.ErrorIs(t, i.RequireV1(), ErrUnsupported, "no SHA-1 to verify pieces by")

	// ParseInfo reads the info dict alone (no piece layers there).
	alone, err := ParseInfo(enc(info))
	require.NoError(t, err)
	assert.Equal(t, i, alone)

	// Rewriting keeps the hash and the layers.
	out, err := m.Marshal()
	require.NoError(t, err)
	again, err := Parse(out)
	require.NoError(t, err)
	assert.Equal(t, m, again)
}

func TestParseV2SingleFile(t *testing.T) {
	files := []v2File{{[]string{"movie.bin"}, fixtureContent(4, 70000)}}
	info, layers := v2Parts(t, "movie.bin", 32768, files)
	m, err := Parse(v2Torrent(info, layers))
	require.NoError(t, err)
	assert.False(t, m.Info.MultiFile, "one file named like the torrent")
	// The stream ends on a piece boundary (libtorrent 2.0 asks for the
	// last piece whole): padding follows the file.
	assert.Equal(t, []File{{Path: []string{"movie.bin"}, Length: 70000},
		{Path: []string{".pad", "28304"}, Length: 28304, Offset: 70000, Padding: true}}, m.Info.Files)
	assert.Equal(t, int64(3*32768), m.Info.Length)
	assert.Equal(t, int64(70000), m.Info.FilesLength())
	assert.Equal(t, 3, m.Info.NumPieces())
	require.Len(t, m.PieceLayers, 1)

	// Named otherwise, it is a directory holding one file.
	info, layers = v2Parts(t, "dir", 32768, files)
	m, err = Parse(v2Torrent(info, layers))
	require.NoError(t, err)
	assert.True(t, m.Info.MultiFile)
}

func TestParseHybridHandMade(t *testing.T) {
	files := v2Files()
	info, layers := v2Parts(t, "hy", 16384, files)
	info = hybridInfo(info, 16384, files)
	m, err := Parse(v2Torrent(info, layers))
	require.NoError(t, err)
	assert.True(t, m.Info.HasV1())
	assert.True(t, m.Info.HasV2())
	assert.Equal(t, sha1.Sum(enc(info)), m.InfoHash)
	assert.Equal(t, sha256.Sum256(enc(info)), m.InfoHashV2)
	assert.NoError(t, m.Info.RequireV1())
	v2only, err := Parse(v2Torrent(v2Parts(t, "hy", 16384, files)))
	require.NoError(t, err)
	assert.Equal(t, v2only.Info.Files, m.Info.Files, "the same layout as Braid gives a v2-only torrent")
	assert.Equal(t, v2only.Info.FilesV2, m.Info.FilesV2)
}

func TestParseV2Errors(t *testing.T) {
	files := v2Files()
	info, layers := v2Parts(t, "v2", 16384, files)
	leaf := func(length int, root any) dic {
		d := dic{{"length", length}}
		if root != nil {
			d = append(d, pair{"pieces root", root})
		}
		return dic{{"", d}}
	}
	root32 := strings.Repeat("r", 32)
	tree := func(d dic) []byte { return v2Torrent(info.set("file tree", d), layers) }
	deep := leaf(5, root32)
	for range MaxFileTreeDepth + 1 {
		deep = dic{{"d", deep}}
	}
	var manyFiles dic
	for k := range MaxFiles + 1 {
		manyFiles = append(manyFiles, pair{"f" + strconv.Itoa(k), raw(enc(leaf(0, nil)))})
	}
	slices.SortFunc(manyFiles, func(a, b pair) int { return strings.Compare(a.k, b.k) })
	bLayer := layers[0].v.(string)
	bRoot := layers[0].k

	hybrid := func(mutate func([]v2File) []v2File) []byte {
		return v2Torrent(hybridInfo(info, 16384, mutate(v2Files())), layers)
	}
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"meta version 1", v2Torrent(info.set("meta version", 1), layers), ErrUnsupported},
		{"meta version string", v2Torrent(info.set("meta version", "2"), layers), ErrMalformed},
		{"piece length not a power of two", v2Torrent(info.set("piece length", 3*16384), layers), ErrMalformed},
		{"piece length 8 KiB", v2Torrent(info.set("piece length", 8192), layers), ErrMalformed},
		{"no file tree", v2Torrent(info.set("file tree", nil), layers), ErrMalformed},
		{"file tree a list", v2Torrent(info.set("file tree", []string{"a"}), layers), ErrMalformed},
		{"empty file tree", tree(dic{}), ErrMalformed},
		{"empty directory", tree(dic{{"a", dic{}}}), ErrMalformed},
		{"file at the root", tree(leaf(5, root32)), ErrMalformed},
		{"file and directory", tree(dic{{"a", dic{{"", dic{{"length", 0}}}, {"b", leaf(0, nil)}}}}), ErrUnsafePath},
		{"directory is a string", tree(dic{{"a", "x"}}), ErrMalformed},
		{"no length", tree(dic{{"a", dic{{"", dic{{"pieces root", root32}}}}}}), ErrMalformed},
		{"negative length", tree(dic{{"a", leaf(-1, root32)}}), ErrMalformed},
		{"length a string", tree(dic{{"a", dic{{"", dic{{"length", "5"}, {"pieces root", root32}}}}}}), ErrMalformed},
		{"no pieces root", tree(dic{{"a", leaf(5, nil)}}), ErrMalformed},
		{"pieces root of 31 bytes", tree(dic{{"a", leaf(5, root32[:31])}}), ErrMalformed},
		{"pieces root an int", tree(dic{{"a", leaf(5, 7)}}), ErrMalformed},
		{"file entry a list", tree(dic{{"a", dic{{"", []string{"x"}}}}}), ErrMalformed},
		{"duplicate key", tree(dic{{"a", leaf(5, root32)}, {"a", leaf(5, root32)}}), ErrMalformed},
		{"dotdot", tree(dic{{"..", leaf(5, root32)}}), ErrUnsafePath},
		{"drive letter", tree(dic{{"C:", dic{{"x", leaf(5, root32)}}}}), ErrUnsafePath},
		{"separator", tree(dic{{"a/b", leaf(5, root32)}}), ErrUnsafePath},
		{"component too long", tree(dic{{strings.Repeat("x", 256), leaf(5, root32)}}), ErrUnsafePath},
		{"too deep", tree(deep), ErrMalformed},
		{"too many files", tree(manyFiles), ErrMalformed},
		{"no data", tree(dic{{"a", leaf(0, nil)}}), ErrMalformed},
		{"v1 length without pieces", v2Torrent(info.set("length", 5), layers), ErrMalformed},

		{"no piece layers", v2Torrent(info, nil), ErrMalformed},
		{"piece layers a list", enc(dic{{"info", info}, {"piece layers", []string{"x"}}}), ErrMalformed},
		{"piece layer missing", v2Torrent(info, dic{{strings.Repeat("x", 32), bLayer}}), ErrMalformed},
		{"piece layer short", v2Torrent(info, dic{{bRoot, bLayer[32:]}}), ErrMalformed},
		{"piece layer long", v2Torrent(info, dic{{bRoot, bLayer + root32}}), ErrMalformed},
		{"piece layer tampered", v2Torrent(info, dic{{bRoot, "X" + bLayer[1:]}}), ErrMalformed},
		{"piece layer key of 31 bytes", v2Torrent(info, append(dic{{bRoot[:31], bLayer}}, layers...)), ErrMalformed},
		{"piece layer an int", v2Torrent(info, dic{{bRoot, 5}}), ErrMalformed},

		{"hybrid with another path", hybrid(func(f []v2File) []v2File { f[0].path = []string{"z.txt"}; return f }), ErrMalformed},
		{"hybrid with another length", hybrid(func(f []v2File) []v2File { f[0].data = f[0].data[:9999]; return f }), ErrMalformed},
		{"hybrid missing a file", hybrid(func(f []v2File) []v2File { return f[:3] }), ErrMalformed},
		{"hybrid with an extra file", hybrid(func(f []v2File) []v2File { return append(f, v2File{[]string{"zz"}, []byte("x")}) }), ErrMalformed},
		{"hybrid in another order", hybrid(func(f []v2File) []v2File { f[1], f[2] = f[2], f[1]; return f }), ErrMalformed},
		{"hybrid without padding", v2Torrent(info.set("files", []any{
			fileEntry(10000, "a.txt"), fileEntry(40000, "dir", "b.bin"), fileEntry(16384, "dir", "c.bin"), fileEntry(0, "dir", "empty"),
		}).set("pieces", string(fakePieces(5))), layers), ErrMalformed},
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

// Layers of files that do not need one are dropped, and two files with
// the same content share one.
func TestPieceLayersExtraAndShared(t *testing.T) {
	same := fixtureContent(9, 50000)
	files := []v2File{{[]string{"a"}, same}, {[]string{"b"}, same}}
	info, layers := v2Parts(t, "s", 16384, files)
	require.Len(t, layers, 2, "one entry per file as built")
	m, err := Parse(v2Torrent(info, layers[:1]))
	require.NoError(t, err)
	require.Len(t, m.PieceLayers, 1)

	extra := append(dic{{strings.Repeat("\x00", 32), strings.Repeat("y", 64)}}, layers[:1]...)
	m, err = Parse(v2Torrent(info, extra))
	require.NoError(t, err)
	assert.Len(t, m.PieceLayers, 1, "a layer of no file is dropped")
}

// FuzzParseFileTree feeds arbitrary bytes to the file tree parser.
func FuzzParseFileTree(f *testing.F) {
	for _, s := range fileTreeSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		files, multi, err := parseFileTree("name", data)
		if err != nil {
			requireSentinel(t, err)
			return
		}
		require.NotEmpty(t, files)
		require.LessOrEqual(t, len(files), MaxFiles)
		var seen pathTree
		for _, f := range files {
			require.GreaterOrEqual(t, f.Length, int64(0))
			require.NoError(t, validatePath("name", f.Path))
			require.NoError(t, seen.insert(f.Path))
			require.LessOrEqual(t, len(f.Path), MaxFileTreeDepth)
		}
		if !multi {
			require.Equal(t, []string{"name"}, files[0].Path)
		}
		if _, _, err := layoutV2(files, 16384); err != nil {
			requireSentinel(t, err)
		}
	})
}

// fileTreeSeeds are the FuzzParseFileTree seed corpus (TestWriteFuzzSeeds
// -update writes them to testdata).
func fileTreeSeeds() map[string][]byte {
	r := strings.Repeat("r", 32)
	leaf := func(n int) dic { return dic{{"", dic{{"length", n}, {"pieces root", r}}}} }
	return map[string][]byte{
		"single":      enc(dic{{"name", leaf(5)}}),
		"nested":      enc(dic{{"a", dic{{"b", leaf(1)}, {"c", leaf(0)}}}, {"d", leaf(70000)}}),
		"empty-file":  enc(dic{{"e", dic{{"", dic{{"length", 0}}}}}}),
		"mixed":       enc(dic{{"a", dic{{"", dic{{"length", 0}}}, {"b", leaf(1)}}}}),
		"dotdot":      enc(dic{{"..", leaf(1)}}),
		"short-root":  enc(dic{{"a", dic{{"", dic{{"length", 1}, {"pieces root", "x"}}}}}}),
		"truncated":   enc(dic{{"a", leaf(1)}})[:20],
		"deep":        []byte(strings.Repeat("d1:a", 200) + strings.Repeat("e", 200)),
		"huge-string": []byte("d99999999999:ae"),
		"empty":       {},
	}
}

// A path of MaxFileTreeDepth components parses; one more is refused by
// the file tree's own limit, before the decoder's nesting limit.
func TestFileTreeDepthLimit(t *testing.T) {
	data := fixtureContent(5, 100)
	path := make([]string, MaxFileTreeDepth)
	for i := range path {
		path[i] = "d"
	}
	info, layers := v2Parts(t, "deep", 16384, []v2File{{path, data}})
	m, err := Parse(v2Torrent(info, layers))
	require.NoError(t, err)
	assert.Equal(t, path, m.Info.FilesV2[0].Path)

	info, layers = v2Parts(t, "deep", 16384, []v2File{{append(path, "d"), data}})
	_, err = Parse(v2Torrent(info, layers))
	require.ErrorIs(t, err, ErrMalformed)
	assert.Contains(t, err.Error(), "deeper than")
}
