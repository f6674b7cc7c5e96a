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
