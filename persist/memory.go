package persist

import (
	"fmt"
	"io"
	"sync"
)

// Memory is a Storage kept in a byte slice; tests and ephemeral torrents use it.
type Memory struct {
	mu     sync.RWMutex
	b      []byte
	closed bool
}

var _ Storage = (*Memory)(nil)

// NewMemory returns a zero-filled storage of size bytes.
func NewMemory(size int64) *Memory {
	if size < 0 {
		size = 0
	}
	return &Memory{b: make([]byte, size)}
}

// ReadAt follows io.ReaderAt: a read that reaches the end returns io.EOF.
func (m *Memory) ReadAt(p []byte, off int64) (int, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return 0, ErrClosed
	}
	if off < 0 {
		return 0, fmt.Errorf("persist: read at %d: %w", off, ErrOutOfRange)
	}
	if off >= int64(len(m.b)) {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	n := copy(p, m.b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// WriteAt writes p at off; writing past the end is refused and writes nothing.
func (m *Memory) WriteAt(p []byte, off int64) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return 0, ErrClosed
	}
	if off < 0 || off > int64(len(m.b)) || int64(len(p)) > int64(len(m.b))-off {
		return 0, fmt.Errorf("persist: write %d bytes at %d of %d: %w", len(p), off, len(m.b), ErrOutOfRange)
	}
	return copy(m.b[off:], p), nil
}

// Close releases the buffer; later calls fail with ErrClosed.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	m.b = nil
	return nil
}
