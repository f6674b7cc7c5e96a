package persist

import (
	"bytes"
	"fmt"
	"slices"
	"sync"
)

// StateStore keeps one resume record per torrent, keyed by info hash.
type StateStore interface {
	// Save replaces the torrent's record atomically: after a crash either the
	// old or the new record is found, never a mix.
	Save(r *Record) error
	// Load returns ErrNoRecord when absent and an error wrapping
	// ErrCorruptRecord when the stored bytes cannot be trusted.
	Load(infoHash [20]byte) (*Record, error)
	// Delete removes the record; deleting an absent record is not an error.
	Delete(infoHash [20]byte) error
	// List returns the info hashes that have a record, in ascending order.
	List() ([][20]byte, error)
}

// MemoryStateStore is a StateStore in memory; it stores encoded records so
// callers never share memory with it and the codec is exercised as on disk.
type MemoryStateStore struct {
	mu      sync.Mutex
	records map[[20]byte][]byte
}

var _ StateStore = (*MemoryStateStore)(nil)

// NewMemoryStateStore returns an empty store.
func NewMemoryStateStore() *MemoryStateStore {
	return &MemoryStateStore{records: make(map[[20]byte][]byte)}
}

// Save encodes and stores r.
func (m *MemoryStateStore) Save(r *Record) error {
	b, err := EncodeRecord(r)
	if err != nil {
		return err
	}
	ih, _ := r.InfoHashArray() // EncodeRecord checked the length
	m.mu.Lock()
	defer m.mu.Unlock()
	m.records[ih] = b
	return nil
}

// Load decodes the stored record.
func (m *MemoryStateStore) Load(infoHash [20]byte) (*Record, error) {
	m.mu.Lock()
	b, ok := m.records[infoHash]
	m.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("persist: %x: %w", infoHash, ErrNoRecord)
	}
	return DecodeRecord(b)
}

// Delete forgets the record.
func (m *MemoryStateStore) Delete(infoHash [20]byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.records, infoHash)
	return nil
}

// List returns the stored info hashes in ascending order.
func (m *MemoryStateStore) List() ([][20]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([][20]byte, 0, len(m.records))
	for ih := range m.records {
		out = append(out, ih)
	}
	sortHashes(out)
	return out, nil
}

func sortHashes(h [][20]byte) {
	slices.SortFunc(h, func(a, b [20]byte) int { return bytes.Compare(a[:], b[:]) })
}
