// Package metainfo reads and writes BitTorrent v1 metainfo (.torrent files,
// BEP 3) and the info dictionary that magnet links fetch from peers (BEP 9).
//
// Every byte given to Parse or ParseInfo is treated as hostile: sizes are
// bounded, file paths that could escape the download directory are refused
// with ErrUnsafePath, and anything else that is wrong is ErrMalformed.
package metainfo

import (
	"errors"
)

// Sentinel errors. Every error from Parse and ParseInfo wraps exactly one.
var (
	// ErrMalformed: the input is not a valid v1 torrent.
	ErrMalformed = errors.New("malformed torrent")
	// ErrUnsafePath: a file path could escape or alias within the download
	// directory (.., absolute, drive letter, NUL, duplicates, over-long).
	ErrUnsafePath = errors.New("unsafe file path")
	// ErrTooLarge: the input exceeds MaxTorrentSize.
	ErrTooLarge = errors.New("torrent too large")
	// ErrUnsupported: a valid torrent Braid cannot use (BEP 52 v2-only).
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
)

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
}

// MetaInfo is a parsed .torrent file.
type MetaInfo struct {
	Info         *Info
	InfoHash     [20]byte
	InfoBytes    []byte // raw bencoded info dict, exactly as in the input
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
