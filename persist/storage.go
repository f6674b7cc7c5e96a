package persist

import (
	"errors"
)

// Storage holds a torrent's bytes addressed by offset in the torrent's
// linear byte stream. Implementations are safe for concurrent use, so hashing
// workers can read while the torrent loop writes.
type Storage interface {
	ReadAt(p []byte, off int64) (int, error)
	WriteAt(p []byte, off int64) (int, error)
	Close() error
}

var (
	// ErrOutOfRange is returned for a negative offset or a write past the end
	// of the torrent.
	ErrOutOfRange = errors.New("persist: offset out of range")
	// ErrClosed is returned by operations on a closed storage.
	ErrClosed = errors.New("persist: storage closed")
	// ErrUnsafePath is returned when a torrent's file path would escape the
	// download directory or pass through a symlink that leads outside it.
	ErrUnsafePath = errors.New("persist: unsafe path")
)

// VerifiedStore is Storage that remembers, with the bytes it holds, which
// pieces passed their hash (the browser's IndexedDB storage: the mark is
// written in the same transaction as the piece, or after it). A torrent
// started on it trusts VerifiedPieces without hashing them and checks only
// the other StoredPieces.
type VerifiedStore interface {
	// MarkVerified records that the piece's current bytes passed their
	// hash; a later write to the piece clears the mark.
	MarkVerified(piece int)
	// VerifiedPieces are the pieces found marked, with their bytes
	// stored, when the storage opened.
	VerifiedPieces() []int
	// StoredPieces are the pieces holding any bytes; the others read as
	// zeros.
	StoredPieces() []int
}

// VectorStorage is Storage that moves several buffers with one call per
// file (pwritev/preadv on Linux): the engine writes a run of received
// blocks, and reads a run of blocks to upload, without first copying them
// into one buffer.
type VectorStorage interface {
	// WriteVAt writes bufs one after another at off.
	WriteVAt(bufs [][]byte, off int64) (int, error)
	// ReadVAt fills bufs one after another from off.
	ReadVAt(bufs [][]byte, off int64) (int, error)
}
