package v2hashes

import (
	"fmt"

	"github.com/braid-bt/braid/core/merkle"
	"github.com/braid-bt/braid/core/wire"
)

// PieceLayerChunk is how many piece-layer hashes one request asks for,
// as libtorrent 2.0 asks (its responders expect that size).
const PieceLayerChunk = 512

// TreeHeight is the height of the Merkle tree of a file of length bytes.
func TreeHeight(length int64) int { return merkle.HeightFor(merkle.NumBlocks(length)) }

// PieceLayerRequests are the hash requests that fetch the whole piece
// layer of a file (for a torrent known by a v2 magnet): chunks of
// PieceLayerChunk hashes, each with proof hashes reaching the pieces root,
// so Verify against merkle.NewTreeAt([]Hash{root}, h, h) accepts each
// answer alone. A file of at most one piece has no piece layer (nil).
func PieceLayerRequests(root merkle.Hash, fileLength, pieceLength int64) ([]wire.HashMsg, error) {
	levels, err := merkle.PieceLevels(pieceLength)
	if err != nil {
		return nil, err
	}
	if fileLength <= pieceLength {
		return nil, nil
	}
	height := TreeHeight(fileLength)
	if height > merkle.MaxHeight {
		return nil, fmt.Errorf("v2hashes: file of %d bytes: tree too tall", fileLength)
	}
	pieces := (fileLength-1)/pieceLength + 1
	var out []wire.HashMsg
	for index := int64(0); index < pieces; index += PieceLayerChunk {
		length := int64(1) << merkle.HeightFor(min(PieceLayerChunk, pieces-index))
		out = append(out, wire.HashMsg{
			Type: wire.HashRequest, Root: root,
			BaseLayer: uint32(levels), Index: uint32(index), Length: uint32(length),
			ProofLayers: uint32(height - levels - 1),
		})
	}
	return out, nil
}

// BlockRequest is the hash request for the block hashes of one piece of a
// file, proved up to that piece's piece-layer hash (or the root, for a
// file of at most one piece): what tells which block of a failed piece
// was bad. A piece of one block needs none (false).
func BlockRequest(root merkle.Hash, fileLength, pieceLength int64, piece int64) (wire.HashMsg, bool, error) {
	levels, err := merkle.PieceLevels(pieceLength)
	if err != nil {
		return wire.HashMsg{}, false, err
	}
	height := TreeHeight(fileLength)
	if height > merkle.MaxHeight {
		return wire.HashMsg{}, false, fmt.Errorf("v2hashes: file of %d bytes: tree too tall", fileLength)
	}
	levels = min(levels, height)
	pieces := int64(1)
	if fileLength > pieceLength {
		pieces = (fileLength-1)/pieceLength + 1
	}
	if piece < 0 || piece >= pieces {
		return wire.HashMsg{}, false, fmt.Errorf("v2hashes: piece %d outside the file's %d: %w", piece, pieces, merkle.ErrInvalid)
	}
	if levels == 0 {
		return wire.HashMsg{}, false, nil
	}
	if piece<<levels > int64(^uint32(0)) {
		return wire.HashMsg{}, false, fmt.Errorf("v2hashes: block %d does not fit a hash request's 32-bit index: %w", piece<<levels, merkle.ErrInvalid)
	}
	return wire.HashMsg{
		Type: wire.HashRequest, Root: root,
		BaseLayer: 0, Index: uint32(piece << levels), Length: uint32(1) << levels,
		ProofLayers: uint32(levels - 1),
	}, true, nil
}
