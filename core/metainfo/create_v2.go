package metainfo

import (
	"crypto/sha1"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/braid-bt/braid/core/benc"
	"github.com/braid-bt/braid/core/merkle"
)

// Protocol is the kind of torrent Create writes.
type Protocol int

// The torrent kinds. V1 is the default: v2 peers are not yet the norm.
const (
	// ProtocolV1 writes a BEP 3 torrent: SHA-1 piece hashes only.
	ProtocolV1 Protocol = iota
	// ProtocolV2 writes a BEP 52 torrent: a file tree with per-file Merkle
	// roots and piece layers; v1-only clients cannot use it.
	ProtocolV2
	// ProtocolHybrid writes both views in one info dict: v2 clients join
	// the v2 swarm, v1-only clients the v1 one. Multi-file hybrids get BEP 47
	// padding files so that every file starts on a piece boundary.
	ProtocolHybrid
)

// String names the protocol as ParseProtocol reads it.
func (p Protocol) String() string {
	switch p {
	case ProtocolV1:
		return "v1"
	case ProtocolV2:
		return "v2"
	case ProtocolHybrid:
		return "hybrid"
	}
	return "protocol(" + strconv.Itoa(int(p)) + ")"
}

// ErrProtocol: a protocol name ParseProtocol does not know.
var ErrProtocol = errors.New("metainfo: unknown protocol")

// ParseProtocol reads "v1", "v2" or "hybrid".
func ParseProtocol(s string) (Protocol, error) {
	for _, p := range []Protocol{ProtocolV1, ProtocolV2, ProtocolHybrid} {
		if s == p.String() {
			return p, nil
		}
	}
	return 0, fmt.Errorf("%w %q (want v1, v2 or hybrid)", ErrProtocol, s)
}

// CompareFileTreePaths orders file paths as a v2 file tree lists them: by
// component, each compared by its bytes, so a directory's files come
// together. It returns -1, 0 or +1. v2 and hybrid torrents need their
// files in this order (libtorrent sorts them the same way).
func CompareFileTreePaths(a, b []string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if c := strings.Compare(a[i], b[i]); c != 0 {
			return c
		}
	}
	return len(a) - len(b)
}

// fileHashes is what hashing one file yields.
type fileHashes struct {
	root  merkle.Hash   // zero for an empty file
	layer []merkle.Hash // nil for a file of at most one piece
}

// createV2 builds a v2 or hybrid torrent; see Create.
func createV2(o CreateOptions, content io.Reader) ([]byte, error) {
	info, err := o.info()
	if err != nil {
		return nil, err
	}
	if err := checkPieceLengthV2(info.PieceLength); err != nil {
		return nil, fmt.Errorf("metainfo: create %s: %w", o.Protocol, err)
	}
	for i := 1; i < len(info.Files); i++ {
		if CompareFileTreePaths(info.Files[i-1].Path, info.Files[i].Path) >= 0 {
			return nil, fmt.Errorf("metainfo: create %s: file %q is listed after %q: list files in file-tree order (CompareFileTreePaths): %w",
				o.Protocol, strings.Join(info.Files[i].Path, "/"), strings.Join(info.Files[i-1].Path, "/"), ErrMalformed)
		}
	}
	hybrid := o.Protocol == ProtocolHybrid
	// Multi-file hybrids pad after every file that ends inside a piece,
	// the last one too, as libtorrent 2.0 does; single files are not padded.
	padded := hybrid && info.MultiFile
	hashes, pieces, err := hashFilesV2(info, content, hybrid, padded)
	if err != nil {
		return nil, err
	}

	var d dict
	d.add("file tree", appendFileTree(nil, info, o.Files, hashes))
	d.add("meta version", benc.AppendInt(nil, MetaVersion2))
	d.add("name", benc.AppendString(nil, info.Name))
	d.add("piece length", benc.AppendInt(nil, info.PieceLength))
	if info.Private {
		d.add("private", benc.AppendInt(nil, 1))
	}
	if hybrid {
		if info.MultiFile {
			d.add("files", appendHybridFiles(nil, info, o.Files, padded))
		} else {
			d.add("length", benc.AppendInt(nil, info.Length))
		}
		d.add("pieces", benc.AppendString(nil, string(pieces)))
	}
	layers := map[merkle.Hash][]merkle.Hash{}
	for _, h := range hashes {
		if h.layer != nil {
			layers[h.root] = h.layer
		}
	}
	return finishCreate(o, d.append(nil), layers)
}

// hashFilesV2 reads every file's bytes, one piece at a time, and returns
// each file's Merkle root and piece layer, and for a hybrid the SHA-1 of
// each v1 piece (a file's last piece zero-padded when padded is set).
// Memory stays at one piece and the piece layers.
func hashFilesV2(info *Info, content io.Reader, hybrid, padded bool) ([]fileHashes, []byte, error) {
	buf := make([]byte, min(info.PieceLength, info.Length))
	var zeros []byte
	out := make([]fileHashes, len(info.Files))
	var pieces []byte
	var read int64
	for i, f := range info.Files {
		var blocks []merkle.Hash // of the current piece
		for off := int64(0); off < f.Length; off += info.PieceLength {
			chunk := buf[:min(info.PieceLength, f.Length-off)]
			if got, err := io.ReadFull(content, chunk); err != nil {
				if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
					return nil, nil, fmt.Errorf("metainfo: create: content ended after %d of %d bytes: %w",
						read+int64(got), info.Length, io.ErrUnexpectedEOF)
				}
				return nil, nil, fmt.Errorf("metainfo: create: reading content: %w", err)
			}
			read += int64(len(chunk))
			blocks = blocks[:0]
			for b := 0; b < len(chunk); b += merkle.BlockSize {
				blocks = append(blocks, merkle.BlockHash(chunk[b:min(b+merkle.BlockSize, len(chunk))]))
			}
			if f.Length <= info.PieceLength {
				root, err := merkle.FileRoot(blocks)
				if err != nil {
					return nil, nil, fmt.Errorf("metainfo: create: %w", err)
				}
				out[i].root = root
			} else {
				h, err := merkle.PieceRoot(blocks, info.PieceLength)
				if err != nil {
					return nil, nil, fmt.Errorf("metainfo: create: %w", err)
				}
				out[i].layer = append(out[i].layer, h)
			}
			if hybrid {
				s := sha1.New()
				s.Write(chunk)
				if short := info.PieceLength - int64(len(chunk)); padded && short > 0 {
					if zeros == nil {
						zeros = make([]byte, info.PieceLength)
					}
					s.Write(zeros[:short])
				}
				pieces = s.Sum(pieces)
			}
		}
		if out[i].layer != nil {
			root, err := merkle.LayerRoot(out[i].layer, info.PieceLength, f.Length)
			if err != nil {
				return nil, nil, fmt.Errorf("metainfo: create: %w", err)
			}
			out[i].root = root
		}
	}
	var extra [1]byte
	if got, _ := io.ReadFull(content, extra[:]); got > 0 {
		return nil, nil, fmt.Errorf("metainfo: create: content is longer than the files' %d bytes: %w", info.Length, ErrMalformed)
	}
	return out, pieces, nil
}

// fileTreeDir is a directory of the file tree being written, or a file.
type fileTreeDir struct {
	names    []string // children in insertion (file-tree) order
	children map[string]*fileTreeDir
	file     int // index into info.Files when a file, else -1
}

// appendFileTree writes the v2 "file tree" dict: nested dicts of path
// components, each file a dict whose key "" holds its length and, when
// not empty, its pieces root.
func appendFileTree(b []byte, info *Info, specs []FileSpec, hashes []fileHashes) []byte {
	top := &fileTreeDir{children: map[string]*fileTreeDir{}, file: -1}
	for i, f := range info.Files {
		n := top
		for _, c := range f.Path {
			child, ok := n.children[c]
			if !ok {
				child = &fileTreeDir{children: map[string]*fileTreeDir{}, file: -1}
				n.children[c] = child
				n.names = append(n.names, c)
			}
			n = child
		}
		n.file = i
	}
	return top.append(b, info, specs, hashes)
}

func (n *fileTreeDir) append(b []byte, info *Info, specs []FileSpec, hashes []fileHashes) []byte {
	var d dict
	if n.file >= 0 {
		var fd dict
		if specs[n.file].Executable {
			fd.add("attr", benc.AppendString(nil, "x"))
		}
		fd.add("length", benc.AppendInt(nil, info.Files[n.file].Length))
		if info.Files[n.file].Length > 0 {
			root := hashes[n.file].root
			fd.add("pieces root", benc.AppendString(nil, string(root[:])))
		}
		d.add("", fd.append(nil))
	}
	for _, name := range n.names {
		d.add(name, n.children[name].append(nil, info, specs, hashes))
	}
	return d.append(b)
}

// appendHybridFiles writes a multi-file hybrid's v1 "files" list: the
// files in file-tree order (executable ones with attr "x"), each followed,
// when padded and it ends inside a piece, by a BEP 47 padding file named
// ".pad/N" as libtorrent names it.
func appendHybridFiles(b []byte, info *Info, specs []FileSpec, padded bool) []byte {
	b = append(b, 'l')
	for i, f := range info.Files {
		var fd dict
		if specs[i].Executable {
			fd.add("attr", benc.AppendString(nil, "x"))
		}
		fd.add("length", benc.AppendInt(nil, f.Length))
		fd.add("path", benc.AppendStrings(nil, f.Path))
		b = fd.append(b)
		if rem := f.Length % info.PieceLength; padded && rem != 0 {
			pad := info.PieceLength - rem
			var pd dict
			pd.add("attr", benc.AppendString(nil, "p"))
			pd.add("length", benc.AppendInt(nil, pad))
			pd.add("path", benc.AppendStrings(nil, []string{".pad", strconv.FormatInt(pad, 10)}))
			b = pd.append(b)
		}
	}
	return append(b, 'e')
}
