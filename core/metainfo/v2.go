package metainfo

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/braid-bt/braid/core/merkle"
)

// ShortInfoHashV2 is the v2 info hash truncated to 20 bytes: what a v2
// swarm uses where v1 uses the SHA-1 (handshake, trackers, DHT), BEP 52.
func (m *MetaInfo) ShortInfoHashV2() [20]byte {
	var h [20]byte
	copy(h[:], m.InfoHashV2[:])
	return h
}

// parseMetaVersion reads "meta version": absent is v1, 2 is BEP 52.
func parseMetaVersion(raw []byte) (int, error) {
	if raw == nil {
		return 0, nil
	}
	v, err := rawInt(raw)
	if err != nil {
		return 0, fmt.Errorf("metainfo: meta version: %w", err)
	}
	if v != MetaVersion2 {
		return 0, fmt.Errorf("metainfo: meta version %d: %w", v, ErrUnsupported)
	}
	return MetaVersion2, nil
}

// checkPieceLengthV2 adds BEP 52's rule to v1's: a power of two.
func checkPieceLengthV2(n int64) error {
	if _, ok := merkle.Log2(n); !ok {
		return fmt.Errorf("metainfo: piece length %d: v2 needs a power of two: %w", n, ErrMalformed)
	}
	return nil
}

// treeParser walks a bencoded v2 file tree in one pass, so the work is
// linear in its size however deep it nests.
type treeParser struct {
	b     []byte
	name  string
	files []FileV2
	nodes int
	seen  pathTree
}

// parseFileTree reads the "file tree" of an info dict: nested dicts of
// path components, a file being a dict whose only key "" holds its
// "length" and, when not empty, its 32-byte "pieces root".
func parseFileTree(name string, raw []byte) (files []FileV2, multi bool, err error) {
	p := &treeParser{b: raw, name: name}
	end, err := p.dir(0, nil)
	if err != nil {
		if strings.HasPrefix(err.Error(), "metainfo: ") {
			return nil, false, err
		}
		return nil, false, fmt.Errorf("metainfo: file tree: %w", err)
	}
	if end != len(raw) {
		return nil, false, fmt.Errorf("metainfo: file tree: trailing bytes: %w", ErrMalformed)
	}
	if len(p.files) == 0 {
		return nil, false, fmt.Errorf("metainfo: file tree: no files: %w", ErrMalformed)
	}
	// One file named like the torrent is a single-file torrent, as in v1.
	single := len(p.files) == 1 && len(p.files[0].Path) == 1 && p.files[0].Path[0] == name
	return p.files, !single, nil
}

// dir reads the directory dict at pos (path its components) and returns
// the position after it.
func (p *treeParser) dir(pos int, path []string) (int, error) {
	if len(path) > MaxFileTreeDepth {
		return 0, fmt.Errorf("deeper than %d: %w", MaxFileTreeDepth, ErrMalformed)
	}
	if pos >= len(p.b) || p.b[pos] != 'd' {
		return 0, fmt.Errorf("%q: not a dictionary: %w", clip(strings.Join(path, "/")), ErrMalformed)
	}
	pos++
	seen := map[string]bool{}
	for {
		if pos >= len(p.b) {
			return 0, fmt.Errorf("truncated: %w", ErrMalformed)
		}
		if p.b[pos] == 'e' {
			break
		}
		key, next, err := p.str(pos)
		if err != nil {
			return 0, err
		}
		if seen[key] {
			return 0, fmt.Errorf("duplicate key %q: %w", clip(key), ErrMalformed)
		}
		seen[key] = true
		if p.nodes++; p.nodes > MaxFileTreeNodes {
			return 0, fmt.Errorf("more than %d entries: %w", MaxFileTreeNodes, ErrMalformed)
		}
		if key == "" {
			if len(path) == 0 {
				return 0, fmt.Errorf("file without a name: %w", ErrMalformed)
			}
			if pos, err = p.file(next, path); err != nil {
				return 0, err
			}
			continue
		}
		child := append(path[:len(path):len(path)], key)
		if pos, err = p.dir(next, child); err != nil {
			return 0, err
		}
	}
	switch {
	case len(seen) == 0:
		return 0, fmt.Errorf("%q: empty directory: %w", clip(strings.Join(path, "/")), ErrMalformed)
	case seen[""] && len(seen) > 1:
		return 0, fmt.Errorf("%q: both a file and a directory: %w", clip(strings.Join(path, "/")), ErrUnsafePath)
	}
	return pos + 1, nil
}

// file reads the dict holding a file's length and pieces root.
func (p *treeParser) file(pos int, path []string) (int, error) {
	end, err := skipValue(p.b, pos, 0)
	if err != nil {
		return 0, err
	}
	what := clip(strings.Join(path, "/"))
	entries, err := dictEntries("file tree entry", p.b[pos:end])
	if err != nil {
		return 0, fmt.Errorf("%q: not a dictionary of length and pieces root: %w", what, ErrMalformed)
	}
	var length, root []byte
	for _, e := range entries {
		switch e.key {
		case "length":
			length = e.val
		case "pieces root":
			root = e.val
		}
	}
	if len(p.files) == MaxFiles {
		return 0, fmt.Errorf("more than %d files: %w", MaxFiles, ErrMalformed)
	}
	f := FileV2{Path: path}
	if length == nil {
		return 0, fmt.Errorf("%q: no length: %w", what, ErrMalformed)
	}
	if f.Length, err = rawInt(length); err != nil {
		return 0, fmt.Errorf("%q: length: %w", what, err)
	}
	if f.Length < 0 {
		return 0, fmt.Errorf("%q: length %d: negative: %w", what, f.Length, ErrMalformed)
	}
	if f.Length > 0 {
		if root == nil {
			return 0, fmt.Errorf("%q: no pieces root: %w", what, ErrMalformed)
		}
		r, err := rawString(root)
		if err != nil || len(r) != merkle.HashSize {
			return 0, fmt.Errorf("%q: pieces root is not %d bytes: %w", what, merkle.HashSize, ErrMalformed)
		}
		copy(f.PiecesRoot[:], r)
	}
	if err := validatePath(p.name, path); err != nil {
		return 0, err
	}
	if err := p.seen.insert(path); err != nil {
		return 0, err
	}
	p.files = append(p.files, f)
	return end, nil
}

// str reads a bencoded string at pos.
func (p *treeParser) str(pos int) (string, int, error) {
	end, err := skipValue(p.b, pos, 0)
	if err != nil {
		return "", 0, err
	}
	s, err := rawString(p.b[pos:end])
	if err != nil {
		return "", 0, fmt.Errorf("dictionary key: %w", err)
	}
	return s, end, nil
}

// maxSkipDepth bounds the nesting skipValue follows.
const maxSkipDepth = 256

// skipValue returns the position after the bencoded value at pos.
func skipValue(b []byte, pos, depth int) (int, error) {
	if depth > maxSkipDepth {
		return 0, fmt.Errorf("nested deeper than %d: %w", maxSkipDepth, ErrMalformed)
	}
	if pos >= len(b) {
		return 0, fmt.Errorf("truncated: %w", ErrMalformed)
	}
	switch c := b[pos]; {
	case c == 'i':
		e := bytes.IndexByte(b[pos:], 'e')
		if e < 0 {
			return 0, fmt.Errorf("unterminated integer: %w", ErrMalformed)
		}
		return pos + e + 1, nil
	case c == 'l' || c == 'd':
		pos++
		for {
			if pos >= len(b) {
				return 0, fmt.Errorf("truncated: %w", ErrMalformed)
			}
			if b[pos] == 'e' {
				return pos + 1, nil
			}
			var err error
			if pos, err = skipValue(b, pos, depth+1); err != nil {
				return 0, err
			}
		}
	case c >= '0' && c <= '9':
		colon := bytes.IndexByte(b[pos:], ':')
		if colon < 0 || colon > 20 {
			return 0, fmt.Errorf("string without length: %w", ErrMalformed)
		}
		n, err := strconv.ParseUint(string(b[pos:pos+colon]), 10, 63)
		start := pos + colon + 1
		if err != nil || n > uint64(len(b)-start) {
			return 0, fmt.Errorf("bad string length: %w", ErrMalformed)
		}
		return start + int(n), nil
	}
	return 0, fmt.Errorf("unexpected byte %q: %w", b[pos], ErrMalformed)
}

// layoutV2 places the v2 files in the byte stream, each non-empty one
// starting on a piece boundary, and returns the v1-style file list with
// the padding entries that takes, and the stream's length. The stream
// ends on a piece boundary too, padded after the last file as libtorrent
// 2.0 pads it: its peers ask for the last piece as a whole piece.
func layoutV2(files []FileV2, pieceLen int64) ([]File, int64, error) {
	out := make([]File, 0, 2*len(files))
	var off int64
	for i := range files {
		f := &files[i]
		if rem := off % pieceLen; rem != 0 && f.Length > 0 {
			pad := pieceLen - rem
			out = append(out, File{Path: []string{".pad", strconv.FormatInt(pad, 10)}, Length: pad, Offset: off, Padding: true})
			off += pad
		}
		if f.Length > math.MaxInt64-pieceLen-off {
			return nil, 0, fmt.Errorf("metainfo: file tree: total length overflows: %w", ErrMalformed)
		}
		f.Offset = off
		out = append(out, File{Path: f.Path, Length: f.Length, Offset: off})
		off += f.Length
	}
	if rem := off % pieceLen; rem != 0 {
		pad := pieceLen - rem
		out = append(out, File{Path: []string{".pad", strconv.FormatInt(pad, 10)}, Length: pad, Offset: off, Padding: true})
		off += pad
	}
	return out, off, nil
}

// checkHybrid demands that a hybrid's v1 files are its v2 files in the
// same order with the same paths and lengths, apart from BEP 47 padding,
// and that each non-empty file starts on a piece boundary. It sets the
// v2 files' offsets from the v1 layout.
func checkHybrid(info *Info) error {
	k := 0
	for _, f := range info.Files {
		if f.Padding {
			continue
		}
		if k == len(info.FilesV2) {
			return fmt.Errorf("metainfo: hybrid: v1 file %q not in the file tree: %w", clip(strings.Join(f.Path, "/")), ErrMalformed)
		}
		v2 := &info.FilesV2[k]
		k++
		if !slicesEqual(f.Path, v2.Path) || f.Length != v2.Length {
			return fmt.Errorf("metainfo: hybrid: v1 file %q (%d bytes) is not file tree entry %q (%d bytes): %w",
				clip(strings.Join(f.Path, "/")), f.Length, clip(strings.Join(v2.Path, "/")), v2.Length, ErrMalformed)
		}
		if f.Length > 0 && f.Offset%info.PieceLength != 0 {
			return fmt.Errorf("metainfo: hybrid: file %q does not start on a piece boundary: %w", clip(strings.Join(f.Path, "/")), ErrMalformed)
		}
		v2.Offset = f.Offset
	}
	if k != len(info.FilesV2) {
		return fmt.Errorf("metainfo: hybrid: file tree has %d files, v1 has %d: %w", len(info.FilesV2), k, ErrMalformed)
	}
	return nil
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// parsePieceLayers reads the top-level "piece layers" dict and checks it
// against the v2 files: every file longer than a piece has its layer, of
// one hash per piece, hashing up to its pieces root. Layers of no such
// file are dropped.
func parsePieceLayers(raw []byte, info *Info) (map[merkle.Hash][]merkle.Hash, error) {
	var entries []entry
	if raw != nil {
		var err error
		if entries, err = dictEntries("piece layers", raw); err != nil {
			return nil, err
		}
	}
	given := make(map[merkle.Hash][]byte, len(entries))
	for _, e := range entries {
		if len(e.key) != merkle.HashSize {
			return nil, fmt.Errorf("metainfo: piece layers: key of %d bytes, want %d: %w", len(e.key), merkle.HashSize, ErrMalformed)
		}
		s, err := rawString(e.val)
		if err != nil {
			return nil, fmt.Errorf("metainfo: piece layers: %w", err)
		}
		given[merkle.Hash([]byte(e.key))] = []byte(s)
	}
	out := map[merkle.Hash][]merkle.Hash{}
	checked := map[merkle.Hash]int64{} // root -> the file length its layer was checked for
	for _, f := range info.FilesV2 {
		if f.Length <= info.PieceLength {
			continue
		}
		what := clip(strings.Join(f.Path, "/"))
		if n, ok := checked[f.PiecesRoot]; ok {
			if n != f.Length {
				return nil, fmt.Errorf("metainfo: piece layers: %q shares its root with a file of another length: %w", what, ErrMalformed)
			}
			continue
		}
		b, ok := given[f.PiecesRoot]
		if !ok {
			return nil, fmt.Errorf("metainfo: piece layers: none for %q: %w", what, ErrMalformed)
		}
		pieces := (f.Length-1)/info.PieceLength + 1
		if int64(len(b)) != pieces*merkle.HashSize {
			return nil, fmt.Errorf("metainfo: piece layers: %q: %d bytes, want %d: %w", what, len(b), pieces*merkle.HashSize, ErrMalformed)
		}
		layer := make([]merkle.Hash, pieces)
		for i := range layer {
			copy(layer[i][:], b[i*merkle.HashSize:])
		}
		root, err := merkle.LayerRoot(layer, info.PieceLength, f.Length)
		if err != nil {
			return nil, fmt.Errorf("metainfo: piece layers: %q: %w: %w", what, err, ErrMalformed)
		}
		if root != f.PiecesRoot {
			return nil, fmt.Errorf("metainfo: piece layers: %q: layer does not hash to its pieces root: %w", what, ErrMalformed)
		}
		checked[f.PiecesRoot] = f.Length
		out[f.PiecesRoot] = layer
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}
