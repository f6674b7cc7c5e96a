package interop

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/anacrolix/torrent/bencode"
	"github.com/stretchr/testify/require"
)

const (
	kib = 1 << 10
	mib = 1 << 20
)

// contentName is the top folder of the shared content: the torrent's name.
const contentName = "braid-interop"

// contentLayout is the shared multi-file folder: > 64 MiB over files of uneven
// sizes, one tiny and some in subdirectories, so pieces straddle file edges.
var contentLayout = []layoutFile{
	{"big.bin", 40*mib + 12345},
	{"sub/mid.bin", 17*mib - 777},
	{"sub/deep/small.txt", 1000},
	{"odd.bin", 6*mib + 3},
	{"tail.bin", mib + 262143},
}

// layoutFile is one file of a generated folder.
type layoutFile struct {
	rel  string // slash-separated, below contentName
	size int64
}

type contentFile struct {
	rel  string // slash-separated, below contentName
	size int64
	sum  [32]byte
}

// content is a deterministic pseudo-random folder written once per run.
type content struct {
	parent string // holds contentName/
	files  []contentFile
	total  int64
}

func (c *content) dir() string { return filepath.Join(c.parent, contentName) }

// lazyContent is a generated folder shared by the tests of one run,
// written on first use. Files are pseudo-random, seeded by seedPrefix and
// their index, so every run writes the same bytes.
type lazyContent struct {
	dir        string // below suite.tmp
	seedPrefix string
	layout     []layoutFile

	once sync.Once
	c    *content
	err  error
}

func (l *lazyContent) get(t *testing.T) *content {
	t.Helper()
	l.once.Do(func() { l.c, l.err = generateContent(filepath.Join(suite.tmp, l.dir), l.seedPrefix, l.layout) })
	require.NoError(t, l.err, "generate %s content", l.dir)
	return l.c
}

var shared = lazyContent{dir: "source", seedPrefix: "braid interop", layout: contentLayout}

// testContent returns the shared source folder, generating it on first use.
func testContent(t *testing.T) *content {
	t.Helper()
	return shared.get(t)
}

func generateContent(parent, seedPrefix string, layout []layoutFile) (*content, error) {
	c := &content{parent: parent}
	for i, f := range layout {
		path := filepath.Join(parent, contentName, filepath.FromSlash(f.rel))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, err
		}
		out, err := os.Create(path)
		if err != nil {
			return nil, err
		}
		var seed [32]byte
		copy(seed[:], fmt.Sprintf("%s file %d", seedPrefix, i))
		h := sha256.New()
		_, err = io.CopyN(io.MultiWriter(out, h), rand.NewChaCha8(seed), f.size)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, fmt.Errorf("write %s: %w", path, err)
		}
		cf := contentFile{rel: f.rel, size: f.size}
		copy(cf.sum[:], h.Sum(nil))
		c.files = append(c.files, cf)
		c.total += f.size
	}
	return c, nil
}

// copyTo makes a private copy of the content as parent/contentName, for a
// seeder that might touch its files.
func (c *content) copyTo(t *testing.T, parent string) {
	t.Helper()
	for _, f := range c.files {
		dst := filepath.Join(parent, contentName, filepath.FromSlash(f.rel))
		require.NoError(t, os.MkdirAll(filepath.Dir(dst), 0o755))
		require.NoError(t, copyFile(filepath.Join(c.dir(), filepath.FromSlash(f.rel)), dst))
	}
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}

// requireMatch checks that parent/contentName holds every source file with
// the same size and SHA-256.
func (c *content) requireMatch(t *testing.T, who, parent string) {
	t.Helper()
	var bad []string
	for _, f := range c.files {
		path := filepath.Join(parent, contentName, filepath.FromSlash(f.rel))
		sum, size, err := sha256File(path)
		switch {
		case err != nil:
			bad = append(bad, fmt.Sprintf("%s: %v", f.rel, err))
		case size != f.size:
			bad = append(bad, fmt.Sprintf("%s: %d bytes, want %d", f.rel, size, f.size))
		case sum != f.sum:
			bad = append(bad, fmt.Sprintf("%s: sha256 %x, want %x", f.rel, sum, f.sum))
		}
	}
	require.Empty(t, bad, "%s: downloaded files differ from the source in %s", who, parent)
}

func sha256File(path string) ([32]byte, int64, error) {
	var sum [32]byte
	f, err := os.Open(path)
	if err != nil {
		return sum, 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	copy(sum[:], h.Sum(nil))
	return sum, n, err
}

// torrentFile is one file of a parsed .torrent, placed in the torrent's byte stream.
type torrentFile struct {
	path   string // slash-separated below the torrent name
	length int64
	offset int64
}

// torrentMeta is what the tests need from a .torrent: identity and layout.
type torrentMeta struct {
	infoHash    string // lower-case hex: SHA-1, or a v2-only torrent's SHA-256 truncated to 20 bytes
	infoHashV2  string // 64 hex, for v2 and hybrid torrents
	v2Only      bool
	name        string
	pieceLength int64
	pieces      [][20]byte
	files       []torrentFile
	total       int64
	announce    string
}

func (m *torrentMeta) numPieces() int { return len(m.pieces) }

// readTorrent parses a .torrent with an independent bencode decoder, so the
// tests do not trust braid's own parser.
func readTorrent(t *testing.T, path string) *torrentMeta {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var top struct {
		Announce string        `bencode:"announce"`
		Info     bencode.Bytes `bencode:"info"`
	}
	require.NoError(t, bencode.Unmarshal(data, &top), "decode %s", path)
	require.NotEmpty(t, top.Info, "%s has no info dictionary", path)
	var info struct {
		Name        string `bencode:"name"`
		PieceLength int64  `bencode:"piece length"`
		Pieces      string `bencode:"pieces"`
		Length      int64  `bencode:"length"`
		Files       []struct {
			Length int64    `bencode:"length"`
			Path   []string `bencode:"path"`
		} `bencode:"files"`
		MetaVersion int           `bencode:"meta version"`
		FileTree    bencode.Bytes `bencode:"file tree"`
	}
	require.NoError(t, bencode.Unmarshal(top.Info, &info), "decode info of %s", path)
	require.Positive(t, info.PieceLength, "%s: piece length", path)
	require.Zero(t, len(info.Pieces)%20, "%s: pieces length", path)
	sum := sha1.Sum(top.Info)
	m := &torrentMeta{infoHash: hex.EncodeToString(sum[:]), name: info.Name, pieceLength: info.PieceLength, announce: top.Announce}
	if info.MetaVersion == 2 {
		sum2 := sha256.Sum256(top.Info)
		m.infoHashV2 = hex.EncodeToString(sum2[:])
		if len(info.Pieces) == 0 { // v2 only: its swarm is the truncated v2 hash
			m.v2Only, m.infoHash = true, m.infoHashV2[:40]
			var tree map[string]any
			require.NoError(t, bencode.Unmarshal(info.FileTree, &tree), "decode file tree of %s", path)
			var off int64 // in the byte stream: every file starts on a piece boundary
			walkFileTree(tree, nil, func(p []string, length int64) {
				if rem := off % m.pieceLength; rem != 0 && length > 0 {
					off += m.pieceLength - rem
				}
				m.files = append(m.files, torrentFile{path: strings.Join(p, "/"), length: length, offset: off})
				off += length
				m.total += length // the files' bytes, no padding
			})
			return m
		}
	}
	for i := 0; i < len(info.Pieces); i += 20 {
		var p [20]byte
		copy(p[:], info.Pieces[i:])
		m.pieces = append(m.pieces, p)
	}
	if len(info.Files) == 0 {
		m.files = []torrentFile{{path: info.Name, length: info.Length}}
		m.total = info.Length
	}
	for _, f := range info.Files {
		m.files = append(m.files, torrentFile{path: strings.Join(f.Path, "/"), length: f.Length, offset: m.total})
		m.total += f.Length
	}
	require.Equal(t, (m.total+m.pieceLength-1)/m.pieceLength, int64(len(m.pieces)), "%s: piece count", path)
	return m
}

// walkFileTree calls fn for every file of a v2 file tree, in the tree's
// (sorted) order, with its path components and length.
func walkFileTree(dir map[string]any, path []string, fn func(path []string, length int64)) {
	keys := make([]string, 0, len(dir))
	for k := range dir {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		sub, _ := dir[k].(map[string]any)
		if k == "" {
			n, _ := sub["length"].(int64)
			fn(path, n)
			continue
		}
		walkFileTree(sub, append(path[:len(path):len(path)], k), fn)
	}
}

// requireDescribes checks that a .torrent describes the shared content with the given piece length.
func (m *torrentMeta) requireDescribes(t *testing.T, c *content, pieceLength int64) {
	t.Helper()
	require.Equal(t, contentName, m.name)
	require.Equal(t, pieceLength, m.pieceLength)
	require.Equal(t, c.total, m.total)
	var got, want []string
	for _, f := range m.files {
		got = append(got, fmt.Sprintf("%s:%d", f.path, f.length))
	}
	for _, f := range c.files {
		want = append(want, fmt.Sprintf("%s:%d", f.rel, f.size))
	}
	require.ElementsMatch(t, want, got, "files in the torrent")
}

// pieceInsideFile returns a piece lying wholly inside the named file (the
// middle one), and the piece's offset within that file.
func (m *torrentMeta) pieceInsideFile(t *testing.T, rel string) (piece int, offsetInFile int64) {
	t.Helper()
	for _, f := range m.files {
		if f.path != rel {
			continue
		}
		first := (f.offset + m.pieceLength - 1) / m.pieceLength
		last := (f.offset+f.length)/m.pieceLength - 1 // last piece ending inside the file
		require.GreaterOrEqual(t, last, first, "%s holds no whole piece", rel)
		p := (first + last) / 2
		return int(p), p*m.pieceLength - f.offset
	}
	t.Fatalf("torrent has no file %s", rel)
	return 0, 0
}

// pieceHashOK hashes one piece from the files under parent and compares it with the torrent.
func (m *torrentMeta) pieceHashOK(t *testing.T, parent string, piece int) bool {
	t.Helper()
	start := int64(piece) * m.pieceLength
	end := min(start+m.pieceLength, m.total)
	h := sha1.New()
	for _, f := range m.files {
		lo, hi := max(start, f.offset), min(end, f.offset+f.length)
		if lo >= hi {
			continue
		}
		fh, err := os.Open(filepath.Join(parent, m.name, filepath.FromSlash(f.path)))
		require.NoError(t, err)
		_, err = io.Copy(h, io.NewSectionReader(fh, lo-f.offset, hi-lo))
		_ = fh.Close()
		require.NoError(t, err)
	}
	var got [20]byte
	copy(got[:], h.Sum(nil))
	return got == m.pieces[piece]
}

// flipBytes inverts n bytes of a file at off.
func flipBytes(t *testing.T, path string, off int64, n int) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	require.NoError(t, err)
	defer f.Close()
	buf := make([]byte, n)
	_, err = f.ReadAt(buf, off)
	require.NoError(t, err)
	for i := range buf {
		buf[i] ^= 0xff
	}
	_, err = f.WriteAt(buf, off)
	require.NoError(t, err)
	require.NoError(t, f.Sync())
}
