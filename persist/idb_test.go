//go:build js

package persist

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"sync/atomic"
	"syscall/js"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/internal/jsbridge"
)

var dbSeq atomic.Int64

// requireIDB skips when there is no indexedDB global: Go's plain
// go_js_wasm_exec has none. scripts/wasm-node-exec.sh loads fake-indexeddb.
func requireIDB(t *testing.T) {
	t.Helper()
	if js.Global().Get("indexedDB").IsUndefined() {
		t.Skip("no indexedDB: run with go test -exec scripts/wasm-node-exec.sh")
	}
}

// openTestDB opens a database no other test uses.
func openTestDB(t *testing.T) (*IDB, string) {
	t.Helper()
	requireIDB(t)
	name := fmt.Sprintf("braid-test-%s-%d", t.Name(), dbSeq.Add(1))
	db, err := OpenIDB(context.Background(), name)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db, name
}

func reopen(t *testing.T, name string) *IDB {
	t.Helper()
	db, err := OpenIDB(context.Background(), name)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// jsFunc compiles a JS function, for monkeypatching the IndexedDB API.
func jsFunc(params, body string) js.Value {
	return js.Global().Get("Function").New(params, body)
}

// patchPut replaces IDBObjectStore.prototype.put for the rest of the test.
func patchPut(t *testing.T, body string) {
	proto := js.Global().Get("IDBObjectStore").Get("prototype")
	orig := proto.Get("put")
	proto.Set("put", jsFunc("orig", "return function(v, k) { "+body+" }").Invoke(orig))
	t.Cleanup(func() { proto.Set("put", orig) })
}

var testIH = [20]byte{0xb4, 0xa1, 0xd0, 1, 2, 3}

func TestIDBStorageMatchesMemory(t *testing.T) {
	const pieceLen = 32 << 10
	const length = 5*pieceLen + 1234
	db, _ := openTestDB(t)
	s, err := db.Storage(testIH, length, pieceLen)
	require.NoError(t, err)
	assert.False(t, s.HasData())
	model := NewMemory(length)
	r := rand.New(rand.NewPCG(1, 2))
	data := randomBytes(length, 9)
	// Random spans, many crossing piece boundaries, in random order.
	for range 60 {
		off := r.IntN(length)
		n := min(1+r.IntN(3*pieceLen/2), length-off)
		_, err := model.WriteAt(data[off:off+n], int64(off))
		require.NoError(t, err)
		w, err := s.WriteAt(data[off:off+n], int64(off))
		require.NoError(t, err)
		require.Equal(t, n, w)

		roff := r.IntN(length)
		rn := 1 + r.IntN(2*pieceLen)
		want, got := make([]byte, rn), make([]byte, rn)
		wn, werr := model.ReadAt(want, int64(roff))
		gn, gerr := s.ReadAt(got, int64(roff))
		require.Equal(t, wn, gn)
		require.Equal(t, werr, gerr)
		require.Equal(t, want, got, "read %d at %d", rn, roff)
	}
	assert.True(t, s.HasData())
	all, got := make([]byte, length), make([]byte, length)
	_, _ = model.ReadAt(all, 0)
	_, err = s.ReadAt(got, 0)
	require.NoError(t, err)
	assert.Equal(t, all, got)
	require.NoError(t, s.Close())
}

func TestIDBStorageOnePutPerPiece(t *testing.T) {
	const pieceLen = 64 << 10
	db, _ := openTestDB(t)
	var puts int
	count := js.FuncOf(func(js.Value, []js.Value) any { puts++; return nil })
	defer count.Release()
	js.Global().Set("braidCountPut", count)
	defer js.Global().Delete("braidCountPut")
	// Pieces' values only, not the bitfields beside them (keys ".../s", ".../v").
	patchPut(t, "if (!/[sv]$/.test(k)) globalThis.braidCountPut(); return orig.call(this, v, k);")

	s, err := db.Storage(testIH, 3*pieceLen, pieceLen)
	require.NoError(t, err)
	data := randomBytes(3*pieceLen, 4)
	for off := 0; off < len(data); off += 16 << 10 {
		_, err := s.WriteAt(data[off:off+16<<10], int64(off))
		require.NoError(t, err)
	}
	assert.Zero(t, puts, "complete pieces wait for Sync")
	require.NoError(t, s.Sync())
	assert.Equal(t, 3*chunks(pieceLen), puts, "one put per stored value (two per 64 KiB piece), not per 16 KiB block")
}

// Pieces up to maxChunkedPiece are stored in values under 64 KiB (the last
// piece too), bigger ones whole; both read back across a reopen, and a
// piece stored whole before chunking still reads.
func TestIDBStorageChunkedValues(t *testing.T) {
	var sizes []int
	record := js.FuncOf(func(_ js.Value, a []js.Value) any { sizes = append(sizes, a[0].Get("length").Int()); return nil })
	defer record.Release()
	js.Global().Set("braidPutSize", record)
	defer js.Global().Delete("braidPutSize")
	patchPut(t, "if (!/[sv]$/.test(k)) globalThis.braidPutSize(v); return orig.call(this, v, k);")

	for _, tc := range []struct {
		pieceLen, length int
		values           int // stored values for the whole torrent
	}{
		{256 << 10, 2*(256<<10) + 100<<10 + 5, 5 + 5 + 2},
		{64 << 10, 3 * (64 << 10), 3 * 2},
		{16 << 10, 2*(16<<10) + 7, 3},
		{1 << 20, 1<<20 + 1, 2}, // whole: past maxChunkedPiece
	} {
		sizes = sizes[:0]
		db, name := openTestDB(t)
		s, err := db.Storage(testIH, int64(tc.length), int64(tc.pieceLen))
		require.NoError(t, err)
		data := randomBytes(tc.length, uint64(tc.pieceLen))
		_, err = s.WriteAt(data, 0)
		require.NoError(t, err)
		require.NoError(t, s.Close())
		require.NoError(t, db.Close())
		assert.Len(t, sizes, tc.values, "piece %d", tc.pieceLen)
		for _, n := range sizes {
			if tc.pieceLen <= maxChunkedPiece {
				assert.LessOrEqual(t, n, idbChunk, "piece %d", tc.pieceLen)
			}
		}

		db2 := reopen(t, name)
		s2, err := db2.Storage(testIH, int64(tc.length), int64(tc.pieceLen))
		require.NoError(t, err)
		got := make([]byte, tc.length)
		_, err = s2.ReadAt(got, 0)
		require.NoError(t, err)
		assert.Equal(t, data, got, "piece %d", tc.pieceLen)
		require.NoError(t, s2.Close())
	}
}

func TestIDBStorageReadsWholeAndBrokenPieces(t *testing.T) {
	const pieceLen = 256 << 10
	db, _ := openTestDB(t)
	data := randomBytes(3*pieceLen, 8)
	prefix := piecePrefix(testIH)
	put := func(key string, b []byte) {
		_, err := db.transact(piecesStore, "readwrite", func(os js.Value) (js.Value, error) {
			return call(os, "put", jsbridge.Uint8Array(b), key)
		})
		require.NoError(t, err)
	}
	// Piece 0 whole, as stored before chunking; piece 1 chunked with its
	// third chunk missing; piece 2 chunked with a short chunk.
	put(prefix+"0", data[:pieceLen])
	p1 := data[pieceLen : 2*pieceLen]
	for k := 0; k*idbChunk < pieceLen; k++ {
		if k == 2 {
			continue
		}
		key := prefix + "1"
		if k > 0 {
			key += "/" + strconv.Itoa(k)
		}
		put(key, p1[k*idbChunk:min(pieceLen, (k+1)*idbChunk)])
	}
	p2 := data[2*pieceLen:]
	for k := 0; k*idbChunk < pieceLen; k++ {
		key := prefix + "2"
		if k > 0 {
			key += "/" + strconv.Itoa(k)
		}
		end := min(pieceLen, (k+1)*idbChunk)
		if k == 1 {
			end--
		}
		put(key, p2[k*idbChunk:end])
	}
	s, err := db.Storage(testIH, 3*pieceLen, pieceLen)
	require.NoError(t, err)
	got := make([]byte, 3*pieceLen)
	_, err = s.ReadAt(got, 0)
	require.NoError(t, err)
	assert.Equal(t, data[:pieceLen], got[:pieceLen], "a whole piece reads as before")
	assert.Equal(t, make([]byte, 2*pieceLen), got[pieceLen:], "a piece with a chunk missing or short reads as absent")
}

func TestIDBStoragePersistsAcrossReopen(t *testing.T) {
	const pieceLen = 16 << 10
	const length = 3*pieceLen + 100
	db, name := openTestDB(t)
	s, err := db.Storage(testIH, length, pieceLen)
	require.NoError(t, err)
	data := randomBytes(length, 5)
	// Pieces 0 and 3 whole, piece 1 half, piece 2 never.
	_, err = s.WriteAt(data[:pieceLen], 0)
	require.NoError(t, err)
	_, err = s.WriteAt(data[pieceLen:pieceLen+pieceLen/2], pieceLen)
	require.NoError(t, err)
	_, err = s.WriteAt(data[3*pieceLen:], 3*pieceLen)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	require.NoError(t, db.Close())

	// A page reload: a new connection, a new storage.
	db2 := reopen(t, name)
	s2, err := db2.Storage(testIH, length, pieceLen)
	require.NoError(t, err)
	assert.True(t, s2.HasData())
	want := make([]byte, length)
	copy(want, data[:pieceLen])
	copy(want[pieceLen:], data[pieceLen:pieceLen+pieceLen/2])
	copy(want[3*pieceLen:], data[3*pieceLen:])
	got := make([]byte, length)
	_, err = s2.ReadAt(got, 0)
	require.NoError(t, err)
	assert.Equal(t, want, got)

	other, err := db2.Storage([20]byte{9}, length, pieceLen)
	require.NoError(t, err)
	assert.False(t, other.HasData(), "torrents do not see each other's pieces")

	// Finishing the half piece after the reload keeps its first half.
	_, err = s2.WriteAt(data[pieceLen+pieceLen/2:2*pieceLen], pieceLen+pieceLen/2)
	require.NoError(t, err)
	require.NoError(t, s2.Sync())
	s3, err := db2.Storage(testIH, length, pieceLen)
	require.NoError(t, err)
	piece := make([]byte, pieceLen)
	_, err = s3.ReadAt(piece, pieceLen)
	require.NoError(t, err)
	assert.Equal(t, data[pieceLen:2*pieceLen], piece)
}

func TestIDBStorageDeleteData(t *testing.T) {
	const pieceLen = 16 << 10
	db, name := openTestDB(t)
	other := [20]byte{7}
	for _, ih := range [][20]byte{testIH, other} {
		s, err := db.Storage(ih, 2*pieceLen, pieceLen)
		require.NoError(t, err)
		_, err = s.WriteAt(randomBytes(2*pieceLen, 1), 0)
		require.NoError(t, err)
		require.NoError(t, s.Close())
	}
	require.NoError(t, db.DeleteData(testIH))
	s, err := db.Storage(testIH, 2*pieceLen, pieceLen)
	require.NoError(t, err)
	assert.False(t, s.HasData())
	got := make([]byte, 2*pieceLen)
	_, err = s.ReadAt(got, 0)
	require.NoError(t, err)
	assert.Equal(t, make([]byte, 2*pieceLen), got)

	o, err := db.Storage(other, 2*pieceLen, pieceLen)
	require.NoError(t, err)
	assert.True(t, o.HasData(), "only the named torrent is deleted")
	require.NoError(t, o.DeleteData(), "the engine's optional DeleteData")
	assert.False(t, o.HasData())
	require.NoError(t, o.Close())

	db2 := reopen(t, name)
	o2, err := db2.Storage(other, 2*pieceLen, pieceLen)
	require.NoError(t, err)
	assert.False(t, o2.HasData())
}

func TestIDBStorageIgnoresForeignKeys(t *testing.T) {
	const pieceLen = 16 << 10
	db, _ := openTestDB(t)
	prefix := piecePrefix(testIH)
	for key, val := range map[string]js.Value{
		prefix + "007": jsbridge.Uint8Array(make([]byte, pieceLen)), // not canonical
		prefix + "x":   jsbridge.Uint8Array(make([]byte, pieceLen)),
		prefix + "1":   js.ValueOf("not bytes"),
		prefix + "0":   jsbridge.Uint8Array([]byte("wrong size")),
	} {
		_, err := db.transact(piecesStore, "readwrite", func(os js.Value) (js.Value, error) {
			return call(os, "put", val, key)
		})
		require.NoError(t, err)
	}
	s, err := db.Storage(testIH, 2*pieceLen, pieceLen)
	require.NoError(t, err)
	assert.True(t, s.HasData(), "pieces 0 and 1 have values, so the engine verifies")
	got := make([]byte, 2*pieceLen)
	for i := range got {
		got[i] = 0xee
	}
	_, err = s.ReadAt(got, 0)
	require.NoError(t, err)
	assert.Equal(t, make([]byte, 2*pieceLen), got, "untrusted values read as zeros")
}

func TestIDBStateStore(t *testing.T) {
	db, name := openTestDB(t)
	testStateStore(t, db.StateStore())

	// Records survive a reload.
	mi, _ := makeTorrent(t, "r", true, 16<<10, metainfo.FileSpec{Path: []string{"r"}, Length: 40_000})
	rec := sampleRecord(mi)
	require.NoError(t, db.StateStore().Save(rec))
	require.NoError(t, db.Close())
	db2 := reopen(t, name)
	got, err := db2.StateStore().Load(mi.InfoHash)
	require.NoError(t, err)
	assert.Equal(t, rec, got)
}

func TestIDBStateStoreCorrupt(t *testing.T) {
	db, _ := openTestDB(t)
	st := db.StateStore()
	a, _ := makeTorrent(t, "a", true, 16<<10, metainfo.FileSpec{Path: []string{"a"}, Length: 20_000})
	b, _ := makeTorrent(t, "b", true, 16<<10, metainfo.FileSpec{Path: []string{"b"}, Length: 30_000})
	encB, err := EncodeRecord(sampleRecord(b))
	require.NoError(t, err)
	put := func(key string, v js.Value) {
		_, err := db.transact(recordsStore, "readwrite", func(os js.Value) (js.Value, error) {
			return call(os, "put", v, key)
		})
		require.NoError(t, err)
	}
	for name, v := range map[string]js.Value{
		"garbage":       jsbridge.Uint8Array([]byte("d4:junke")),
		"not bytes":     js.ValueOf("d4:infoi1ee"),
		"other torrent": jsbridge.Uint8Array(encB),
		"truncated":     jsbridge.Uint8Array(encB[:len(encB)/2]),
	} {
		t.Run(name, func(t *testing.T) {
			put(recordKey(a.InfoHash), v)
			_, err := st.Load(a.InfoHash)
			require.ErrorIs(t, err, ErrCorruptRecord)
		})
	}

	put("not a hash", jsbridge.Uint8Array(encB))
	put(fmt.Sprintf("%X", b.InfoHash), jsbridge.Uint8Array(encB))
	list, err := st.List()
	require.NoError(t, err)
	assert.Equal(t, [][20]byte{a.InfoHash}, list, "keys that are not lowercase hex hashes are skipped")
}

func TestIDBQuota(t *testing.T) {
	const pieceLen = 16 << 10
	db, _ := openTestDB(t)
	s, err := db.Storage(testIH, 2*pieceLen, pieceLen)
	require.NoError(t, err)
	patchPut(t, `throw new DOMException("no room for piece", "QuotaExceededError");`)

	_, err = s.WriteAt(make([]byte, pieceLen), 0)
	require.NoError(t, err)
	err = s.Sync()
	require.ErrorIs(t, err, ErrQuota)
	assert.Contains(t, err.Error(), "QuotaExceededError")
	assert.Contains(t, err.Error(), "no room for piece")

	mi, _ := makeTorrent(t, "q", true, 16<<10, metainfo.FileSpec{Path: []string{"q"}, Length: 1000})
	require.ErrorIs(t, db.StateStore().Save(sampleRecord(mi)), ErrQuota)
}

func TestIDBAbortedTransaction(t *testing.T) {
	db, _ := openTestDB(t)
	s, err := db.Storage(testIH, 16<<10, 16<<10)
	require.NoError(t, err)
	_, err = s.WriteAt(make([]byte, 16<<10), 0)
	require.NoError(t, err)
	require.NoError(t, s.Sync())
	// add() of an existing key fails asynchronously and aborts the
	// transaction, the path browsers take for a full disk.
	patchPut(t, `return this.add(v, k);`)
	_, err = s.WriteAt(make([]byte, 16<<10), 0)
	require.NoError(t, err)
	err = s.Sync()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "ConstraintError")
	assert.NotErrorIs(t, err, ErrQuota)
}

func TestIDBClosed(t *testing.T) {
	db, _ := openTestDB(t)
	s, err := db.Storage(testIH, 16<<10, 16<<10)
	require.NoError(t, err)
	_, err = s.WriteAt([]byte("partial"), 0)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	require.NoError(t, db.Close(), "closing twice is harmless")

	require.ErrorIs(t, s.Close(), ErrClosed, "buffered bytes cannot be stored any more")
	_, err = db.StateStore().List()
	require.ErrorIs(t, err, ErrClosed)
	_, err = db.Storage(testIH, 16<<10, 16<<10)
	require.ErrorIs(t, err, ErrClosed)
}

func TestOpenIDBCanceled(t *testing.T) {
	requireIDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := OpenIDB(ctx, "braid-test-canceled")
	require.ErrorIs(t, err, context.Canceled)
}

func TestIDBStorageReadPastEnd(t *testing.T) {
	db, _ := openTestDB(t)
	s, err := db.Storage(testIH, 100, 16<<10)
	require.NoError(t, err)
	n, err := s.ReadAt(make([]byte, 10), 95)
	assert.Equal(t, 5, n)
	assert.ErrorIs(t, err, io.EOF)
	_, err = s.WriteAt([]byte("toolong"), 98)
	assert.ErrorIs(t, err, ErrOutOfRange)
}

// awaitPromise waits for a JS promise from a test goroutine.
func awaitPromise(p js.Value) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	ok := js.FuncOf(func(_ js.Value, args []js.Value) any { ch <- result{v: args[0]}; return nil })
	fail := js.FuncOf(func(_ js.Value, args []js.Value) any { ch <- result{err: errFromJS(args[0])}; return nil })
	defer ok.Release()
	defer fail.Release()
	p.Call("then", ok, fail)
	r := <-ch
	return r.v, r.err
}

func TestIDBYieldsToNewerVersion(t *testing.T) {
	db, name := openTestDB(t)
	// Another tab opens the database at a higher version.
	upgrade := jsFunc("name", `return new Promise((ok, fail) => {
		const r = indexedDB.open(name, 2);
		r.onsuccess = () => { r.result.close(); ok(r.result.version); };
		r.onerror = () => fail(r.error);
		r.onblocked = () => fail(new DOMException("blocked", "BlockedError"));
	});`)
	v, err := awaitPromise(upgrade.Invoke(name))
	require.NoError(t, err, "the open connection must not block the upgrade")
	assert.Equal(t, 2, v.Int())
	_, err = db.StateStore().List()
	require.ErrorIs(t, err, ErrClosed)

	_, err = OpenIDB(context.Background(), name)
	require.Error(t, err, "an older Braid cannot open a newer database")
	assert.Contains(t, err.Error(), "VersionError")
}
