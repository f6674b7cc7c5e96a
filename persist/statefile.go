//go:build !js

package persist

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/braid-bt/braid/internal/atomicfile"
)

const recordSuffix = ".resume"

// FileStateStore keeps each record in <dir>/<hex info hash>.resume, replaced
// atomically so a record survives kill -9 or power loss at any moment.
//
// The directory is read once, when the store opens: for the temp files a
// crashed Save left (each removed by the first Save or Delete of its
// record) and for v2-only torrents' records (named by their 64-hex hash).
// After that no Save, Load or Delete reads the directory, so each costs
// the same with 10 records or 10,000.
type FileStateStore struct {
	dir string
	// writers serialise the writers of one record (a record's writes take
	// the lock its info hash picks), so cleaning its temp files never races
	// its Save; records of different torrents are written at once.
	writers [64]sync.Mutex
	mu      sync.Mutex // guards temps and long
	// temps are the temp files found at open, by the record path they
	// belong to; under mu.
	temps map[string][]string
	// long maps a v2-only torrent's truncated hash to its record path;
	// under mu.
	long map[[20]byte]string
}

var _ StateStore = (*FileStateStore)(nil)

// NewFileStateStore uses dir, creating it (0o755) when needed.
func NewFileStateStore(dir string) (*FileStateStore, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("persist: state dir: %w", err)
	}
	s := &FileStateStore{dir: dir, temps: map[string][]string{}, long: map[[20]byte]string{}}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("persist: state dir: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if rec, _, ok := strings.Cut(name, recordSuffix+atomicfile.TempInfix); ok {
			p := filepath.Join(dir, rec+recordSuffix)
			s.temps[p] = append(s.temps[p], filepath.Join(dir, name))
			continue
		}
		if ih, ok := recordName(e); ok && len(strings.TrimSuffix(name, recordSuffix)) == 2*sha256.Size {
			s.long[ih] = filepath.Join(dir, name)
		}
	}
	return s, nil
}

// writer is the lock of the writers of the record of ih.
func (s *FileStateStore) writer(ih []byte) *sync.Mutex { return &s.writers[int(ih[0])%len(s.writers)] }

// removeTemps deletes the temp files a crashed Save of p left; under p's
// writer lock. Errors are ignored: a leftover temp file is only debris.
func (s *FileStateStore) removeTemps(p string) {
	s.mu.Lock()
	temps := s.temps[p]
	delete(s.temps, p)
	s.mu.Unlock()
	for _, t := range temps {
		_ = os.Remove(t)
	}
}

// Dir is the directory holding the records.
func (s *FileStateStore) Dir() string { return s.dir }

// path is where the record of info hash ih (20 bytes, or a v2-only
// torrent's 32) lives: <dir>/<hex info hash>.resume.
func (s *FileStateStore) path(ih []byte) string {
	return filepath.Join(s.dir, hex.EncodeToString(ih)+recordSuffix)
}

// find is the record file of the torrent known by key: named by the key
// itself (a v1 or hybrid torrent), or by a v2-only torrent's 64-hex v2
// hash that starts with it. The plain name when neither exists.
func (s *FileStateStore) find(key [20]byte) string {
	p := s.path(key[:])
	if _, err := os.Lstat(p); err == nil {
		return p
	}
	s.mu.Lock()
	long, ok := s.long[key]
	s.mu.Unlock()
	if ok {
		return long
	}
	return p
}

// Save replaces the record atomically (see atomicfile.Write). Temp files a
// crashed Save left are removed first.
func (s *FileStateStore) Save(r *Record) error {
	b, err := EncodeRecord(r)
	if err != nil {
		return err
	}
	p := s.path(r.InfoHash)
	w := s.writer(r.InfoHash)
	w.Lock()
	defer w.Unlock()
	s.removeTemps(p)
	if err := atomicfile.Write(p, b, 0o600); err != nil {
		return fmt.Errorf("persist: save %s: %w", hex.EncodeToString(r.InfoHash), err)
	}
	if len(r.InfoHash) == sha256.Size {
		s.mu.Lock()
		s.long[[20]byte(r.InfoHash[:20])] = p
		s.mu.Unlock()
	}
	return nil
}

// Load reads and validates the record. A torn or garbage file yields an
// error wrapping ErrCorruptRecord that names the path.
func (s *FileStateStore) Load(infoHash [20]byte) (*Record, error) {
	p := s.find(infoHash)
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("persist: %s: %w", p, ErrNoRecord)
	}
	if err != nil {
		return nil, fmt.Errorf("persist: load: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxRecordSize+1))
	if err != nil {
		return nil, fmt.Errorf("persist: load %s: %w", p, err)
	}
	r, err := DecodeRecord(b)
	if err != nil {
		return nil, fmt.Errorf("persist: load %s: %w", p, err)
	}
	if key, _ := r.InfoHashArray(); key != infoHash {
		return nil, fmt.Errorf("persist: load %s: holds info hash %x: %w", p, r.InfoHash, ErrCorruptRecord)
	}
	return r, nil
}

// Delete removes the record and any temp files beside it.
func (s *FileStateStore) Delete(infoHash [20]byte) error {
	w := s.writer(infoHash[:])
	w.Lock()
	defer w.Unlock()
	p := s.find(infoHash)
	s.removeTemps(p)
	s.mu.Lock()
	if s.long[infoHash] == p {
		delete(s.long, infoHash)
	}
	s.mu.Unlock()
	if err := os.Remove(p); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("persist: delete record: %w", err)
	}
	if err := atomicfile.SyncDir(s.dir); err != nil {
		return fmt.Errorf("persist: delete %s: fsync dir: %w", p, err)
	}
	return nil
}

// List returns the info hashes of the records in the directory, ignoring
// temp files and anything else that is not named like a record.
func (s *FileStateStore) List() ([][20]byte, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("persist: list records: %w", err)
	}
	var out [][20]byte
	for _, e := range entries {
		if ih, ok := recordName(e); ok {
			out = append(out, ih)
		}
	}
	sortHashes(out)
	return out, nil
}

// recordName is the key of a directory entry named like a record: a
// regular file named by 40 or 64 lower-case hex digits and the suffix (a
// v2-only torrent's 64-hex name gives its truncated hash).
func recordName(e fs.DirEntry) (ih [20]byte, ok bool) {
	name, ok := strings.CutSuffix(e.Name(), recordSuffix)
	if !ok || (len(name) != 2*sha1.Size && len(name) != 2*sha256.Size) || !e.Type().IsRegular() {
		return ih, false
	}
	b, err := hex.DecodeString(name)
	if err != nil || hex.EncodeToString(b) != name {
		return ih, false // not ours: upper-case or non-hex names
	}
	copy(ih[:], b)
	return ih, true
}
