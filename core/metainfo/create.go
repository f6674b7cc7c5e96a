package metainfo

import (
	"crypto/sha1"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/braid-bt/braid/core/benc"
	"github.com/braid-bt/braid/core/merkle"
)

// FileSpec is one file to put in a new torrent.
type FileSpec struct {
	Path   []string // components below the torrent name
	Length int64
	// Executable adds BEP 47's attr "x" to the file in v2 and hybrid
	// torrents, as libtorrent does for a file with an execute bit (v1
	// torrents stay without attributes).
	Executable bool
}

// CreateOptions describes a torrent to build.
type CreateOptions struct {
	Name  string // torrent name; for SingleFile it defaults to the file's last path component
	Files []FileSpec
	// SingleFile writes a single-file torrent (info "length", no "files");
	// Files must then hold exactly one entry.
	SingleFile   bool
	PieceLength  int64 // 0 picks DefaultPieceLength
	Announce     [][]string
	URLList      []string
	Private      bool
	Comment      string
	CreatedBy    string
	CreationDate int64 // Unix seconds; 0 leaves it out
	// Protocol picks a v1 (the default), v2 or hybrid torrent. v2 and
	// hybrid need a power-of-two piece length and Files in file-tree order
	// (CompareFileTreePaths).
	Protocol Protocol
}

// Create builds a .torrent file. content yields every file's bytes
// concatenated in Files order and must hold exactly their total length.
// Pieces are hashed one at a time, so memory stays at one piece (and, for
// v2, the piece layers). The info dict holds only the standard keys,
// sorted, so its hash equals what mktorrent or libtorrent compute for the
// same files and piece length; v2 and hybrid torrents are laid out as
// libtorrent 2.0 lays them out (padding files included), so their info
// hashes equal libtorrent's too.
func Create(o CreateOptions, content io.Reader) ([]byte, error) {
	switch o.Protocol {
	case ProtocolV1:
	case ProtocolV2, ProtocolHybrid:
		return createV2(o, content)
	default:
		return nil, fmt.Errorf("metainfo: create: %v: %w", o.Protocol, ErrProtocol)
	}
	info, err := o.info()
	if err != nil {
		return nil, err
	}
	pieces, err := hashPieces(info, content)
	if err != nil {
		return nil, err
	}

	var d dict
	if info.MultiFile {
		b := []byte{'l'}
		for _, f := range info.Files {
			var fd dict
			fd.add("length", benc.AppendInt(nil, f.Length))
			fd.add("path", benc.AppendStrings(nil, f.Path))
			b = fd.append(b)
		}
		d.add("files", append(b, 'e'))
	} else {
		d.add("length", benc.AppendInt(nil, info.Length))
	}
	d.add("name", benc.AppendString(nil, info.Name))
	d.add("piece length", benc.AppendInt(nil, info.PieceLength))
	d.add("pieces", benc.AppendString(nil, string(pieces)))
	if info.Private {
		d.add("private", benc.AppendInt(nil, 1))
	}
	return finishCreate(o, d.append(nil), nil)
}

// finishCreate wraps an info dict and its piece layers in a .torrent and
// checks that it parses.
func finishCreate(o CreateOptions, infoBytes []byte, layers map[merkle.Hash][]merkle.Hash) ([]byte, error) {
	m := MetaInfo{
		InfoBytes:    infoBytes,
		PieceLayers:  layers,
		AnnounceList: cleanTiers(o.Announce),
		URLList:      o.URLList,
		Comment:      o.Comment,
		CreatedBy:    o.CreatedBy,
		CreationDate: o.CreationDate,
	}
	out, err := m.Marshal()
	if err != nil {
		return nil, err
	}
	// The same rules apply to what Braid writes as to what it reads.
	if _, err := Parse(out); err != nil {
		return nil, fmt.Errorf("metainfo: create: result does not parse: %w", err)
	}
	return out, nil
}

// cleanTiers drops empty URLs and tiers.
func cleanTiers(tiers [][]string) [][]string {
	var out [][]string
	for _, tier := range tiers {
		var kept []string
		for _, u := range tier {
			if u != "" {
				kept = append(kept, u)
			}
		}
		if len(kept) > 0 {
			out = append(out, kept)
		}
	}
	return out
}

// info validates the options and lays out the files.
func (o *CreateOptions) info() (*Info, error) {
	info := &Info{Name: o.Name, Private: o.Private, MultiFile: !o.SingleFile}
	switch {
	case len(o.Files) == 0:
		return nil, fmt.Errorf("metainfo: create: no files: %w", ErrMalformed)
	case len(o.Files) > MaxFiles:
		return nil, fmt.Errorf("metainfo: create: %d files, limit %d: %w", len(o.Files), MaxFiles, ErrMalformed)
	case o.SingleFile && len(o.Files) != 1:
		return nil, fmt.Errorf("metainfo: create: single-file torrent with %d files: %w", len(o.Files), ErrMalformed)
	}
	if info.Name == "" && o.SingleFile && len(o.Files[0].Path) > 0 {
		info.Name = o.Files[0].Path[len(o.Files[0].Path)-1]
	}
	if err := ValidatePathComponent(info.Name); err != nil {
		return nil, fmt.Errorf("metainfo: create: name: %w", err)
	}

	var tree pathTree
	info.Files = make([]File, len(o.Files))
	for i, fs := range o.Files {
		if fs.Length < 0 {
			return nil, fmt.Errorf("metainfo: create: file %d: length %d: negative: %w", i, fs.Length, ErrMalformed)
		}
		if fs.Length > math.MaxInt64-info.Length {
			return nil, fmt.Errorf("metainfo: create: file %d: total length overflows: %w", i, ErrMalformed)
		}
		path := []string{info.Name}
		if !o.SingleFile {
			path = append([]string(nil), fs.Path...)
			if err := validatePath(info.Name, path); err != nil {
				return nil, fmt.Errorf("metainfo: create: file %d: %w", i, err)
			}
			if err := tree.insert(path); err != nil {
				return nil, fmt.Errorf("metainfo: create: file %d: %w", i, err)
			}
		}
		info.Files[i] = File{Path: path, Length: fs.Length, Offset: info.Length}
		info.Length += fs.Length
	}
	if info.Length == 0 {
		return nil, fmt.Errorf("metainfo: create: files hold no data: %w", ErrMalformed)
	}

	info.PieceLength = o.PieceLength
	if info.PieceLength == 0 {
		info.PieceLength = DefaultPieceLength(info.Length)
	}
	if err := checkPieceLength(info.PieceLength); err != nil {
		return nil, fmt.Errorf("metainfo: create: %w", err)
	}
	return info, nil
}

// hashPieces reads exactly info.Length bytes and returns the concatenated
// SHA-1 of each piece.
func hashPieces(info *Info, content io.Reader) ([]byte, error) {
	n := info.NumPieces()
	buf := make([]byte, min(info.PieceLength, info.Length))
	out := make([]byte, 0, n*sha1.Size)
	for p := range n {
		chunk := buf[:info.PieceSize(p)]
		if got, err := io.ReadFull(content, chunk); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, fmt.Errorf("metainfo: create: content ended after %d of %d bytes: %w",
					info.PieceOffset(p)+int64(got), info.Length, io.ErrUnexpectedEOF)
			}
			return nil, fmt.Errorf("metainfo: create: reading content: %w", err)
		}
		sum := sha1.Sum(chunk)
		out = append(out, sum[:]...)
	}
	var extra [1]byte
	if got, _ := io.ReadFull(content, extra[:]); got > 0 {
		return nil, fmt.Errorf("metainfo: create: content is longer than the files' %d bytes: %w", info.Length, ErrMalformed)
	}
	return out, nil
}

// DefaultPieceLength picks the power-of-two piece length giving 1001 to
// 2000 pieces, within 16 KiB to 16 MiB: fewer pieces would make sharing
// coarse, more would bloat the metadata.
func DefaultPieceLength(total int64) int64 {
	const largest = 16 << 20
	const defaultMaxPieces = 2000
	pl := int64(MinPieceLength)
	for pl < largest && total > defaultMaxPieces*pl {
		pl *= 2
	}
	return pl
}
