//go:build js

package persist

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall/js"

	"github.com/braid-bt/braid/internal/jsbridge"
)

// Object stores of a Braid database. Pieces are keyed by hex info hash, "/"
// and decimal piece index; records by hex info hash.
const (
	idbVersion   = 1
	piecesStore  = "pieces"
	recordsStore = "records"
)

// IDB is a browser IndexedDB database holding torrent data and resume
// records. Its methods block until the browser answers, so they must be
// called from goroutines, never from inside a js.Func callback.
type IDB struct {
	mu     sync.Mutex
	db     js.Value
	name   string
	closed bool
	// superseded is set when a newer Braid in another tab upgrades the
	// database: this connection closes so the upgrade is not blocked.
	superseded      atomic.Bool
	onVersionChange js.Func
}

// OpenIDB opens (creating or upgrading as needed) the database name. The
// context bounds the wait, which can be long when another tab holds an
// older version open.
func OpenIDB(ctx context.Context, name string) (*IDB, error) {
	factory := js.Global().Get("indexedDB")
	if factory.Type() != js.TypeObject {
		return nil, fmt.Errorf("persist: open %q: indexedDB is not available", name)
	}
	req, err := call(factory, "open", name, idbVersion)
	if err != nil {
		return nil, fmt.Errorf("persist: open %q: %w", name, err)
	}
	done := make(chan error, 1)
	signal := func(err error) {
		select {
		case done <- err:
		default:
		}
	}
	upgrade := js.FuncOf(func(js.Value, []js.Value) any {
		// Runs inside the versionchange transaction: only non-blocking calls.
		db := req.Get("result")
		for _, s := range []string{piecesStore, recordsStore} {
			if !db.Get("objectStoreNames").Call("contains", s).Bool() {
				if _, err := call(db, "createObjectStore", s); err != nil {
					signal(err)
					_, _ = call(req.Get("transaction"), "abort")
					return nil
				}
			}
		}
		return nil
	})
	success := js.FuncOf(func(js.Value, []js.Value) any {
		signal(nil)
		return nil
	})
	failure := js.FuncOf(func(js.Value, []js.Value) any {
		signal(errFromJS(req.Get("error")))
		return nil
	})
	req.Set("onupgradeneeded", upgrade)
	req.Set("onsuccess", success)
	req.Set("onerror", failure)
	release := func() {
		for _, ev := range []string{"onupgradeneeded", "onsuccess", "onerror"} {
			req.Set(ev, js.Null())
		}
		upgrade.Release()
		success.Release()
		failure.Release()
	}
	select {
	case err := <-done:
		release()
		if err != nil {
			if db := openResult(req); !db.IsUndefined() {
				_, _ = call(db, "close")
			}
			return nil, fmt.Errorf("persist: open %q: %w", name, err)
		}
		d := &IDB{db: req.Get("result"), name: name}
		d.onVersionChange = js.FuncOf(func(js.Value, []js.Value) any {
			// Inside a callback: no locks, only non-blocking calls.
			d.superseded.Store(true)
			_, _ = call(d.db, "close")
			return nil
		})
		d.db.Set("onversionchange", d.onVersionChange)
		return d, nil
	case <-ctx.Done():
		// The browser still answers later: close what it opens then.
		go func() {
			err := <-done
			release()
			if err == nil {
				_, _ = call(req.Get("result"), "close")
			}
		}()
		return nil, fmt.Errorf("persist: open %q: %w", name, ctx.Err())
	}
}

// openResult is the request's database, or undefined when reading it throws
// (it does once the request failed).
func openResult(req js.Value) (db js.Value) {
	defer func() {
		if recover() != nil {
			db = js.Undefined()
		}
	}()
	return req.Get("result")
}

// Close closes the connection; storages and state stores from it fail
// afterwards with ErrClosed.
func (d *IDB) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	d.db.Set("onversionchange", js.Null())
	d.onVersionChange.Release()
	if _, err := call(d.db, "close"); err != nil {
		return fmt.Errorf("persist: close %q: %w", d.name, err)
	}
	return nil
}

var txOptions = js.ValueOf(map[string]any{"durability": "relaxed"})

// transact runs issue inside one transaction on store and waits for the
// transaction to commit, then returns the result of the request issue
// returned (undefined when it returned none). Waiting for the commit, not the
// request, is what makes a put durable and surfaces quota errors, which
// browsers report as an aborted transaction.
func (d *IDB) transact(store, mode string, issue func(os js.Value) (js.Value, error)) (js.Value, error) {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return js.Undefined(), ErrClosed
	}
	db := d.db
	d.mu.Unlock()
	if d.superseded.Load() {
		return js.Undefined(), fmt.Errorf("persist: %q was upgraded by another tab: %w", d.name, ErrClosed)
	}
	// Relaxed durability: the commit is reported without waiting for the
	// disk flush, many times faster in Chromium. A closed or crashed tab
	// loses nothing committed (the browser process holds it). An OS crash
	// may lose the newest commits, but as a suffix (Chromium's store is
	// a log): a piece's verified mark is written in its piece's
	// transaction or a later one, so it never outlives the piece.
	tx, err := call(db, "transaction", store, mode, txOptions)
	if err != nil {
		return js.Undefined(), err
	}
	w := watchTx(tx)
	os, err := call(tx, "objectStore", store)
	var req js.Value
	if err == nil {
		req, err = issue(os)
	}
	if err != nil {
		w.abort()
		return js.Undefined(), err
	}
	if err := w.wait(); err != nil {
		return js.Undefined(), err
	}
	if req.IsUndefined() {
		return req, nil
	}
	return req.Get("result"), nil
}

// keyRange is the range of string keys that start with prefix.
func keyRange(prefix string) (js.Value, error) {
	// Keys continue with decimal digits after the "/" or are exactly the
	// hash; "/" + 1 == "0" bounds them, excluded.
	upper := prefix[:len(prefix)-1] + string(prefix[len(prefix)-1]+1)
	return call(js.Global().Get("IDBKeyRange"), "bound", prefix, upper, false, true)
}

func piecePrefix(infoHash [20]byte) string { return hex.EncodeToString(infoHash[:]) + "/" }

// DeleteData removes every stored piece of the torrent.
func (d *IDB) DeleteData(infoHash [20]byte) error {
	r, err := keyRange(piecePrefix(infoHash))
	if err == nil {
		_, err = d.transact(piecesStore, "readwrite", func(os js.Value) (js.Value, error) {
			return call(os, "delete", r)
		})
	}
	if err != nil {
		return fmt.Errorf("persist: delete data of %x: %w", infoHash, err)
	}
	return nil
}

// IDBStorage is a torrent's Storage in IndexedDB, one value per piece.
// Incomplete pieces are buffered in memory and stored in one put when
// complete; Close stores what is still buffered.
type IDBStorage struct {
	*chunkStore
}

var _ Storage = (*IDBStorage)(nil)

// Storage opens the storage of a torrent of length bytes in pieces of
// pieceLen bytes. HasData tells whether anything was stored before.
func (d *IDB) Storage(infoHash [20]byte, length int64, pieceLen int64) (*IDBStorage, error) {
	c, err := newChunkStore(&idbPieces{db: d, infoHash: infoHash, prefix: piecePrefix(infoHash)}, length, pieceLen)
	if err != nil {
		return nil, fmt.Errorf("persist: storage of %x: %w", infoHash, err)
	}
	return &IDBStorage{c}, nil
}

// idbPieces is the pieceStore of one torrent.
type idbPieces struct {
	db       *IDB
	infoHash [20]byte
	prefix   string
}

func (p *idbPieces) key(i int) string { return p.prefix + strconv.Itoa(i) }

// Pieces up to maxChunkedPiece are stored in values of at most idbChunk
// bytes: the first under the piece's key, the rest under key/1, key/2...
// Chromium keeps values under 64 KiB in its database and writes larger
// ones to files of their own, with a cost per value that dwarfs the bytes:
// random 64 KiB values read at 23-25 MB/s there, 60 KiB ones at ~85-110
// (a 64 MiB torrent of 64 KiB pieces re-checked in 2.5 s, mostly reads).
// Past 1 MiB a file per value is as fast, so big pieces stay whole. A
// whole piece (stored before chunking, or big) reads back either way.
const (
	idbChunk        = 60 << 10
	maxChunkedPiece = 512 << 10
)

// chunks is how many values a piece of size bytes is stored in.
func chunks(size int) int {
	if size <= idbChunk || size > maxChunkedPiece {
		return 1
	}
	return (size + idbChunk - 1) / idbChunk
}

// chunk is the k-th stored value's part of piece data b.
func chunk(b []byte, k int) []byte { return b[k*idbChunk : min(len(b), (k+1)*idbChunk)] }

func (p *idbPieces) chunkKey(i, k int) string {
	if k == 0 {
		return p.key(i)
	}
	return p.key(i) + "/" + strconv.Itoa(k)
}

func (p *idbPieces) getPieces(ps []pieceRef) ([][]byte, error) {
	reqs := make([][]js.Value, len(ps))
	_, err := p.db.transact(piecesStore, "readonly", func(os js.Value) (js.Value, error) {
		for n, r := range ps {
			for k := range chunks(r.size) {
				req, err := call(os, "get", p.chunkKey(r.index, k))
				if err != nil {
					return js.Undefined(), err
				}
				reqs[n] = append(reqs[n], req)
			}
		}
		return js.Undefined(), nil
	})
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(ps))
	for n, r := range ps {
		out[n] = assemble(reqs[n], r.size)
	}
	return out, nil
}

// assemble returns a piece of size bytes from the results of its chunk
// reads: whole in the first value, or split across all of them. Anything
// else (a missing or wrong-sized chunk) is nil: the piece is absent.
func assemble(reqs []js.Value, size int) []byte {
	first := reqs[0].Get("result")
	if b, ok := bytesFrom(first, size); ok && len(b) == size {
		return b
	}
	if len(reqs) == 1 {
		return nil
	}
	b := make([]byte, size)
	for k, req := range reqs {
		if !copyExact(chunk(b, k), req.Get("result")) {
			return nil
		}
	}
	return b
}

// verifiedKey and storedKey hold a torrent's bitfields of verified and of
// stored pieces beside its pieces (not decimal indexes, so listPieces
// skips them; DeleteData's range covers them).
func (p *idbPieces) verifiedKey() string { return p.prefix + "v" }
func (p *idbPieces) storedKey() string   { return p.prefix + "s" }

// maxMarksBytes bounds a stored bitfield read back: one bit per piece.
const maxMarksBytes = (maxChunkPieces + 7) / 8

func (p *idbPieces) getMarks() (stored, verified []byte, err error) {
	var reqs [2]js.Value
	_, err = p.db.transact(piecesStore, "readonly", func(os js.Value) (js.Value, error) {
		for k, key := range []string{p.storedKey(), p.verifiedKey()} {
			req, err := call(os, "get", key)
			if err != nil {
				return js.Undefined(), err
			}
			reqs[k] = req
		}
		return js.Undefined(), nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("persist: read piece marks of %x: %w", p.infoHash, err)
	}
	// Anything but a Uint8Array of a bitfield's size counts as absent.
	stored, _ = bytesFrom(reqs[0].Get("result"), maxMarksBytes)
	verified, _ = bytesFrom(reqs[1].Get("result"), maxMarksBytes)
	return stored, verified, nil
}

func (p *idbPieces) putPieces(ps []storedPiece, verified, stored []byte) error {
	_, err := p.db.transact(piecesStore, "readwrite", func(os js.Value) (js.Value, error) {
		// Bitfields go in the pieces' own transaction: they commit with
		// the pieces or not at all.
		for _, m := range []struct {
			b   []byte
			key string
		}{{verified, p.verifiedKey()}, {stored, p.storedKey()}} {
			if m.b == nil {
				continue
			}
			if _, err := call(os, "put", jsbridge.TempUint8Array(m.b), m.key); err != nil {
				return js.Undefined(), err
			}
		}
		for _, sp := range ps {
			n := chunks(len(sp.data))
			for k := range n {
				part := sp.data // whole: small, or past maxChunkedPiece
				if n > 1 {
					part = chunk(sp.data, k)
				}
				if _, err := call(os, "put", jsbridge.TempUint8Array(part), p.chunkKey(sp.index, k)); err != nil {
					return js.Undefined(), err
				}
			}
		}
		return js.Undefined(), nil
	})
	return err
}

func (p *idbPieces) listPieces() ([]int, error) {
	r, err := keyRange(p.prefix)
	if err != nil {
		return nil, err
	}
	keys, err := p.db.transact(piecesStore, "readonly", func(os js.Value) (js.Value, error) {
		return call(os, "getAllKeys", r)
	})
	if err != nil {
		return nil, fmt.Errorf("persist: list pieces of %x: %w", p.infoHash, err)
	}
	n := keys.Length()
	out := make([]int, 0, n)
	for k := range n {
		key := keys.Index(k)
		if key.Type() != js.TypeString {
			continue
		}
		s, ok := strings.CutPrefix(key.String(), p.prefix)
		if !ok {
			continue
		}
		// Only canonical indexes: "007" or "+7" would be a second key for
		// piece 7 that puts never overwrite.
		i, err := strconv.Atoi(s)
		if err != nil || i < 0 || strconv.Itoa(i) != s {
			continue
		}
		out = append(out, i)
	}
	return out, nil
}

func (p *idbPieces) deletePieces() error {
	return p.db.DeleteData(p.infoHash)
}

// errNotUint8Array marks stored values of the wrong JS type.
var errNotUint8Array = errors.New("stored value is not a Uint8Array")
