package metadata

import (
	"fmt"

	"github.com/braid-bt/braid/core/wire"
)

const pieceSize = wire.MetadataPieceSize

// Piece returns piece of info and info's total size, to answer a
// ut_metadata request. The data aliases info. A piece past the end is
// ErrPieceOutOfRange; answer it with a reject.
func Piece(info []byte, piece int) ([]byte, int, error) {
	n, ok := wire.MetadataPieceLen(len(info), piece)
	if !ok {
		return nil, 0, fmt.Errorf("metadata: piece %d of a %d-byte info dict: %w", piece, len(info), ErrPieceOutOfRange)
	}
	off := piece * pieceSize
	return info[off : off+n], len(info), nil
}
