//go:build js

package persist

import (
	"encoding/hex"
	"fmt"
	"syscall/js"

	"github.com/braid-bt/braid/internal/jsbridge"
)

// idbStateStore keeps resume records in the "records" object store, each the
// same bencoded bytes FileStateStore writes, keyed by hex info hash.
type idbStateStore struct {
	db *IDB
}

var _ StateStore = idbStateStore{}

// StateStore returns the database's resume records. A put is one
// transaction, so a reader sees the old or the new record, never a mix.
func (d *IDB) StateStore() StateStore { return idbStateStore{db: d} }

func recordKey(ih [20]byte) string { return hex.EncodeToString(ih[:]) }

// Save encodes and stores r.
func (s idbStateStore) Save(r *Record) error {
	b, err := EncodeRecord(r)
	if err != nil {
		return err
	}
	ih, _ := r.InfoHashArray() // EncodeRecord checked the length
	_, err = s.db.transact(recordsStore, "readwrite", func(os js.Value) (js.Value, error) {
		_, err := call(os, "put", jsbridge.Uint8Array(b), recordKey(ih))
		return js.Undefined(), err
	})
	if err != nil {
		return fmt.Errorf("persist: save record %x: %w", ih, err)
	}
	return nil
}

// Load reads and strictly decodes the record; a record stored under another
// torrent's key is refused as corrupt.
func (s idbStateStore) Load(infoHash [20]byte) (*Record, error) {
	v, err := s.db.transact(recordsStore, "readonly", func(os js.Value) (js.Value, error) {
		return call(os, "get", recordKey(infoHash))
	})
	if err != nil {
		return nil, fmt.Errorf("persist: load record %x: %w", infoHash, err)
	}
	if v.IsUndefined() {
		return nil, fmt.Errorf("persist: %x: %w", infoHash, ErrNoRecord)
	}
	b, ok := bytesFrom(v, MaxRecordSize)
	if !ok {
		return nil, fmt.Errorf("persist: record %x: %w: %w", infoHash, errNotUint8Array, ErrCorruptRecord)
	}
	r, err := DecodeRecord(b)
	if err != nil {
		return nil, err
	}
	if got, _ := r.InfoHashArray(); got != infoHash {
		return nil, corrupt("stored under %x but is for %x", infoHash, got)
	}
	return r, nil
}

// Delete removes the record; deleting an absent record is not an error.
func (s idbStateStore) Delete(infoHash [20]byte) error {
	_, err := s.db.transact(recordsStore, "readwrite", func(os js.Value) (js.Value, error) {
		_, err := call(os, "delete", recordKey(infoHash))
		return js.Undefined(), err
	})
	if err != nil {
		return fmt.Errorf("persist: delete record %x: %w", infoHash, err)
	}
	return nil
}

// List returns the info hashes with a record in ascending order; keys that
// are not a hex info hash are skipped.
func (s idbStateStore) List() ([][20]byte, error) {
	keys, err := s.db.transact(recordsStore, "readonly", func(os js.Value) (js.Value, error) {
		return call(os, "getAllKeys")
	})
	if err != nil {
		return nil, fmt.Errorf("persist: list records: %w", err)
	}
	n := keys.Length()
	out := make([][20]byte, 0, n)
	for k := range n {
		key := keys.Index(k)
		if key.Type() != js.TypeString || len(key.String()) != 40 {
			continue
		}
		var ih [20]byte
		if _, err := hex.Decode(ih[:], []byte(key.String())); err != nil || recordKey(ih) != key.String() {
			continue // uppercase hex would be a second key for one torrent
		}
		out = append(out, ih)
	}
	sortHashes(out)
	return out, nil
}
