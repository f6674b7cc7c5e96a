// Package metainfo reads and writes BitTorrent metainfo (.torrent files,
// BEP 3) and the info dictionary that magnet links fetch from peers (BEP 9).
// It reads v1 torrents, BitTorrent v2 ones (BEP 52: file tree, per-file
// Merkle roots, piece layers) and hybrids carrying both.
//
// Every byte given to Parse or ParseInfo is treated as hostile: sizes are
// bounded, file paths that could escape the download directory are refused
// with ErrUnsafePath, and anything else that is wrong is ErrMalformed.
package metainfo

import (
	"errors"
	"fmt"

	"github.com/braid-bt/braid/core/merkle"
)

// Sentinel errors. Every error from Parse and ParseInfo wraps exactly one.
var (
	// ErrMalformed: the input is not a valid torrent.
	ErrMalformed = errors.New("malformed torrent")
	// ErrUnsafePath: a file path could escape or alias within the download
	// directory (.., absolute, drive letter, NUL, duplicates, over-long).
	ErrUnsafePath = errors.New("unsafe file path")
	// ErrTooLarge: the input exceeds MaxTorrentSize.
	ErrTooLarge = errors.New("torrent too large")
	// ErrUnsupported: a torrent Braid cannot use (an unknown meta version).
	ErrUnsupported = errors.New("unsupported torrent")
)

// Limits on hostile input. They are far above what real torrents use.
const (
	MaxTorrentSize  = 64 << 20 // bytes of a .torrent or info dict
	MaxFiles        = 100_000
	MaxComponentLen = 255  // bytes in one path component (common file system limit)
	MaxPathLen      = 4096 // bytes in a whole path, name included (Linux PATH_MAX)
	MinPieceLength  = 16 << 10
	MaxPieceLength  = 64 << 20
	MaxTrackers     = 1000 // announce URLs over all tiers
	MaxWebSeeds     = 1000
	// MaxFileTreeDepth bounds the components of a v2 file's path (its
	// directories and its name); the bencode decoder's own nesting limit
	// of 64 leaves room for little more.
	MaxFileTreeDepth = 48
	// MaxFileTreeNodes bounds the entries (files and directories) of a v2
	// file tree.
	MaxFileTreeNodes = 4 * MaxFiles
)

// MetaVersion2 is the "meta version" of a BitTorrent v2 (BEP 52) info dict.
const MetaVersion2 = 2

// File is one file of the torrent's byte stream.
type File struct {
	Path   []string // components; the first is below Info.Name for multi-file torrents
	Length int64
	Offset int64 // where the file starts in the torrent's byte stream
	// Padding marks a BEP 47 padding file (attr "p"): its bytes are zeros
	// that exist only to align the next file, so storage need not write it.
	Padding bool
}

// Info is the parsed info dictionary: what the info hash commits to.
type Info struct {
	Name        string
	PieceLength int64
	Pieces      [][20]byte // SHA-1 of each piece
	Length      int64      // total bytes
	// Files always holds at least one entry; a single-file torrent has
	// one File{Path: []string{Name}}.
	Files     []File
	MultiFile bool
	Private   bool // BEP 27: use only the torrent's trackers

	// MetaVersion is MetaVersion2 for a v2 or hybrid torrent, 0 for v1.
	MetaVersion int
	// FilesV2 is the v2 view (BEP 52 file tree) of a v2 or hybrid torrent,
	// in file-tree order; nil for v1. Files then holds the same files in
	// the same order, each non-empty one starting on a piece boundary: a
	// hybrid's own BEP 47 padding files, or, for a v2-only torrent,
	// padding entries Braid adds (".pad/N", Padding set) so that pieces
	// map onto the byte stream as they do in a hybrid.
	FilesV2 []FileV2
}

// FileV2 is one file of a v2 file tree.
type FileV2 struct {
	Path   []string // as in File.Path
	Length int64
	// Offset is where the file starts in the torrent's byte stream (a
	// multiple of the piece length for a non-empty file).
	Offset int64
	// PiecesRoot is the root of the file's Merkle tree (core/merkle); zero
	// for an empty file.
	PiecesRoot merkle.Hash
}

// HasV1 tells whether the info dict has v1 piece hashes (v1 or hybrid).
func (i *Info) HasV1() bool { return len(i.Pieces) > 0 }

// RequireV1 returns an error wrapping ErrUnsupported for a v2-only info
// dict, for code that can verify pieces only by their v1 SHA-1.
func (i *Info) RequireV1() error {
	if i.HasV1() {
		return nil
	}
	return fmt.Errorf("metainfo: v2-only torrent (BEP 52) without v1 piece hashes: %w", ErrUnsupported)
}

// HasV2 tells whether the info dict has a v2 file tree (v2 or hybrid).
func (i *Info) HasV2() bool { return i.MetaVersion == MetaVersion2 }

// MetaInfo is a parsed .torrent file.
type MetaInfo struct {
	Info *Info
	// InfoHash is the SHA-1 of InfoBytes when the torrent has v1 keys
	// (v1 or hybrid), zero for a v2-only torrent.
	InfoHash [20]byte
	// InfoHashV2 is the SHA-256 of InfoBytes for a v2 or hybrid torrent,
	// zero for v1.
	InfoHashV2 [32]byte
	InfoBytes  []byte // raw bencoded info dict, exactly as in the input
	// PieceLayers maps the pieces root of every v2 file longer than one
	// piece to its piece layer (one hash per piece), each checked against
	// its root. nil for v1.
	PieceLayers  map[merkle.Hash][]merkle.Hash
	Announce     string
	AnnounceList [][]string // BEP 12 tiers, empty ones and duplicates removed
	URLList      []string   // BEP 19 web seeds
	Comment      string
	CreatedBy    string
	CreationDate int64 // Unix seconds, 0 when absent
}

// Tiers returns the tracker tiers to announce to: announce-list when it
// has any URL (BEP 12 says to ignore announce then), otherwise announce
// alone. The result is a copy the caller may shuffle.
func (m *MetaInfo) Tiers() [][]string {
	if len(m.AnnounceList) > 0 {
		out := make([][]string, len(m.AnnounceList))
		for i, tier := range m.AnnounceList {
			out[i] = append([]string(nil), tier...)
		}
		return out
	}
	if m.Announce != "" {
		return [][]string{{m.Announce}}
	}
	return nil
}
