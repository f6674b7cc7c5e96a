package engine

import (
	"errors"
	"fmt"

	"github.com/braid-bt/braid/core/merkle"
	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/internal/piecehash"
)

// pieceWant is what one piece must hash to: the SHA-1 of the whole piece
// (v1 torrents), a Merkle node over the SHA-256 of the piece's 16 KiB
// blocks of file data (v2-only torrents, BEP 52), or both (a hybrid's
// pieces whose file's piece layer is known).
type pieceWant struct {
	sha1    [20]byte
	hasSHA1 bool // check sha1 (v1 and hybrid)
	v2      *v2Piece
}

// v2Piece is the v2 check of one piece. Every v2 file starts on a piece
// boundary, so a piece holds data of one file only, followed by padding
// (which is not hashed) when the file ends inside it.
type v2Piece struct {
	// data is the file's bytes in the piece, from its start.
	data int64
	// root is the piece-layer hash of the piece (a file longer than one
	// piece), or the file's pieces root (a file of at most one piece).
	root merkle.Hash
	// whole says root is the file's pieces root: the blocks are padded
	// to a power of two of their own count, not to a whole piece.
	whole bool
}

// errNoPieceLayer: a v2-only torrent whose piece layers are missing a
// file longer than a piece cannot verify that file's pieces.
var errNoPieceLayer = errors.New("v2 piece layer missing")

// pieceWants computes the v2 check of every piece of info: each piece's
// hash from its file's piece layer (layers, keyed by the pieces root) or,
// for a file of at most one piece, its pieces root. A v1 torrent has none
// (nil). A hybrid checks by SHA-1 as well, so a file whose piece layer is
// not known (a hybrid from a magnet) is checked by SHA-1 alone (its
// pieces' entries have no data); a v2-only torrent cannot start without.
func pieceWants(info *metainfo.Info, layers map[merkle.Hash][]merkle.Hash) ([]v2Piece, error) {
	if info == nil || !info.HasV2() {
		return nil, nil
	}
	hybrid := info.HasV1()
	pl := info.PieceLength
	out := make([]v2Piece, info.NumPieces())
	for _, f := range info.FilesV2 {
		if f.Length == 0 {
			continue
		}
		first := f.Offset / pl
		n := (f.Length + pl - 1) / pl
		if f.Offset%pl != 0 || first+n > int64(len(out)) {
			return nil, fmt.Errorf("v2 file %q does not fit the pieces", f.Path)
		}
		if f.Length <= pl {
			out[first] = v2Piece{data: f.Length, root: f.PiecesRoot, whole: true}
			continue
		}
		layer := layers[f.PiecesRoot]
		if int64(len(layer)) != n {
			if hybrid {
				continue
			}
			return nil, fmt.Errorf("file %q: %w", f.Path, errNoPieceLayer)
		}
		for k := range n {
			out[first+k] = v2Piece{data: min(pl, f.Length-k*pl), root: layer[k]}
		}
	}
	return out, nil
}

// want is what piece p of the torrent must hash to.
func (t *Torrent) want(p int) pieceWant {
	var w pieceWant
	if t.info.HasV1() {
		w.sha1, w.hasSHA1 = t.info.Pieces[p], true
	}
	if t.v2 != nil && (!w.hasSHA1 || t.v2[p].data > 0) {
		w.v2 = &t.v2[p]
	}
	return w
}

// matches reports whether piece data (the whole piece, padding included)
// hashes to w. pieceLength is the torrent's; blocks is scratch space for
// the block hashes, reused by the caller's worker.
func (w pieceWant) matches(data []byte, pieceLength int64, blocks *[]merkle.Hash) bool {
	if w.hasSHA1 && piecehash.Sum(data) != w.sha1 {
		return false
	}
	if w.v2 == nil {
		return w.hasSHA1
	}
	v := w.v2
	if v.data <= 0 || v.data > int64(len(data)) {
		// A piece of padding only, or a table that does not match the
		// piece: nothing a hash could prove.
		return false
	}
	// merkle.BlockHash of each block; in the browser WebCrypto hashes the
	// piece's blocks together.
	hs := piecehash.Sum256Blocks((*blocks)[:0], data[:v.data])
	*blocks = hs
	if v.whole {
		root, err := merkle.FileRoot(hs)
		return err == nil && root == v.root
	}
	return merkle.VerifyPiece(hs, pieceLength, v.root)
}
