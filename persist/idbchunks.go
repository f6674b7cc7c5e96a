package persist

import (
	"errors"
	"fmt"
	"io"
	mathbits "math/bits"
	"slices"
	"sync"

	"github.com/braid-bt/braid/core/bitfield"
	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/internal/timing"
)

// pieceStore keeps whole pieces by index: IndexedDB in the browser, a map in
// tests. It is the only part of piece-chunked storage that touches the
// browser, so the buffering logic below is tested natively as well.
type pieceStore interface {
	// getPieces returns the stored pieces asked for, in one read (one
	// IndexedDB transaction: its round trip, not the bytes, is what a read
	// costs). An entry is nil when the piece is absent or not its size
	// (stored bytes are not trusted; a wrong-sized piece reads as zeros,
	// fails its hash and is downloaded again). The caller owns the slices.
	getPieces(ps []pieceRef) ([][]byte, error)
	// putPieces stores pieces in one write (one IndexedDB transaction):
	// the commit is what costs, so pieces are written in batches. It
	// copies the bytes: the buffers are reused once it returns. verified,
	// when not nil, replaces the stored verified bitfield in the same
	// write, so it never names a piece whose bytes did not commit; stored,
	// when not nil, likewise replaces the bitfield of stored pieces, so it
	// names exactly the pieces whose bytes committed.
	putPieces(ps []storedPiece, verified, stored []byte) error
	// listPieces returns the indexes that have a stored piece. It walks
	// the torrent's keys, which in Chromium reads every stored byte (its
	// database keeps values beside their keys): a storage opens from the
	// stored bitfield instead, and lists only when that is missing.
	listPieces() ([]int, error)
	// getMarks returns the stored bitfields of stored and of verified
	// pieces (each nil if none), in one read.
	getMarks() (stored, verified []byte, err error)
	deletePieces() error
}

// Bounds on the memory chunked storage keeps per torrent.
const (
	maxPendingPieces = 64       // incomplete pieces buffered before the oldest is flushed
	maxPendingBytes  = 64 << 20 // and their total size
	maxCachedPieces  = 32       // recently read pieces, so uploads don't cost a get per block
	maxCachedBytes   = 32 << 20 // (pieces not yet verified may take twice these: see evictable)
	// readAheadPieces and readAheadBytes bound the pieces one sequential
	// read (a start-up check, a stream) fetches past the one it needs.
	readAheadPieces = 16
	readAheadBytes  = 4 << 20
	maxSpareBytes   = 4 << 20 // piece buffers kept for reuse (two flushes' worth)
	// flushEvery: once complete pieces waiting hold this much, they are
	// stored in one batch. It trades commits (one per batch) against what a
	// tab closed without warning loses (at most this much verified data).
	flushEvery = 2 << 20
	// maxChunkPieces is the most pieces an info dict can list (20-byte
	// hashes in a dict of at most MaxTorrentSize bytes).
	maxChunkPieces = metainfo.MaxTorrentSize / 20
)

// pendingPiece is a piece being written. Blocks arrive 16 KiB at a time;
// the piece is stored in one put once every byte has been written.
type pendingPiece struct {
	index   int
	data    []byte
	written []uint64 // bit per byte of data written since the piece was buffered
	count   int      // bytes set in written
	// seeded is true when data started as the stored piece: then its bytes
	// may already be verified, so Sync must store it even when incomplete.
	seeded bool
	// gen counts writes, so a flush knows whether the bytes it stored are
	// still the piece's bytes when its write returns.
	gen uint64
}

// mark records data[from:to] as written, a 64-bit word at a time (a bit
// per byte made this the browser's costliest line per received block).
func (p *pendingPiece) mark(from, to int) {
	for from < to {
		w, lo := from/64, from%64
		hi := min(64, lo+to-from)
		bits := ^uint64(0) << lo
		if hi < 64 {
			bits &= (uint64(1) << hi) - 1
		}
		p.count += mathbits.OnesCount64(bits &^ p.written[w])
		p.written[w] |= bits
		from += hi - lo
	}
}

func (p *pendingPiece) complete() bool { return p.count == len(p.data) }

// storedPiece is a whole piece handed to the pieceStore.
type storedPiece struct {
	index int
	data  []byte
}

// pieceRef names a piece to read and its size.
type pieceRef struct{ index, size int }

type cachedPiece struct {
	index int
	data  []byte
	// written: stored by a flush from a buffer, so the engine has yet to
	// hash it unless it is verified (see evictable).
	written bool
}

// chunkStore is a Storage over a pieceStore: pieces are buffered until
// complete, then stored whole; recent reads are cached.
type chunkStore struct {
	mu        sync.Mutex
	st        pieceStore
	length    int64
	pieceLen  int64
	numPieces int
	stored    *bitfield.Bitfield // pieces present in st
	pending   []*pendingPiece    // least recently written first
	pendBytes int64
	// completeBytes is the size of complete pieces waiting in pending.
	completeBytes int64
	cache         []cachedPiece // most recently used first
	cacheSize     int64
	// readNext is the piece a sequential reader would load next: a miss
	// there reads ahead.
	readNext int
	// spare holds piece-sized buffers no longer in use: a fresh buffer per
	// piece costs the memory's first touch (page faults, or zeroing by the
	// collector) on top of the copy.
	spare  [][]byte
	closed bool

	// verified are pieces whose bytes passed their hash (MarkVerified) and
	// were not rewritten since; trusted are those the stored verified
	// bitfield named when the storage opened. verifiedDirty: verified
	// changed since the bitfield was last stored.
	verified, trusted *bitfield.Bitfield
	verifiedDirty     bool
	// verifiedGen counts changes to verified (see gen).
	verifiedGen uint64

	// flushing is set while a flush waits for the store's write with mu
	// released (a commit can take long, and reads, such as the engine's
	// hashing, must not wait for it); flushDone wakes those waiting to
	// flush, delete or close until it ends.
	flushing  bool
	flushDone *sync.Cond

	maxPending, maxCached                       int
	maxPendingBytes, maxCachedBytes, flushEvery int64
}

var _ Storage = (*chunkStore)(nil)

// errBadGeometry reports a torrent size or piece length chunked storage
// cannot address.
var errBadGeometry = errors.New("persist: bad torrent geometry")

// newChunkStore opens the storage of a torrent: from the stored bitfields
// of stored and verified pieces (one read, whatever the torrent's size),
// listing the stored pieces only when the first is missing.
func newChunkStore(st pieceStore, length, pieceLen int64) (*chunkStore, error) {
	if length < 0 || pieceLen <= 0 || pieceLen > metainfo.MaxPieceLength {
		return nil, fmt.Errorf("persist: length %d, piece length %d: %w", length, pieceLen, errBadGeometry)
	}
	n := length / pieceLen
	if length%pieceLen != 0 {
		n++
	}
	if n > maxChunkPieces {
		return nil, fmt.Errorf("persist: %d pieces: %w", n, errBadGeometry)
	}
	c := &chunkStore{
		st: st, length: length, pieceLen: pieceLen, numPieces: int(n),
		stored:     bitfield.New(int(n)),
		maxPending: maxPendingPieces, maxPendingBytes: maxPendingBytes,
		maxCached: maxCachedPieces, maxCachedBytes: maxCachedBytes, flushEvery: flushEvery,
	}
	c.flushDone = sync.NewCond(&c.mu)
	c.verified, c.trusted = bitfield.New(c.numPieces), bitfield.New(c.numPieces)
	rawStored, rawVerified, err := st.getMarks()
	if err != nil {
		return nil, err
	}
	timing.Mark("marks-read")
	// A verified bitfield that is missing, unreadable or of another length
	// trusts nothing: every stored piece is checked.
	var verified *bitfield.Bitfield
	if rawVerified != nil {
		verified, _ = bitfield.FromBytes(rawVerified, c.numPieces)
	}
	if !c.openStored(rawStored, verified) {
		if err := c.listStored(); err != nil {
			return nil, err
		}
		timing.Mark("pieces-listed")
	}
	if verified != nil {
		for _, i := range verified.Indices() {
			if c.stored.Has(i) {
				c.verified.Set(i)
				c.trusted.Set(i)
			}
		}
	}
	return c, nil
}

// openStored takes the stored bitfield as the pieces present, and reports
// whether it could: not when it is missing, of another length, or misses
// a verified piece (then a write by a Braid that kept no such bitfield
// came after it).
func (c *chunkStore) openStored(raw []byte, verified *bitfield.Bitfield) bool {
	if raw == nil {
		return false
	}
	bf, err := bitfield.FromBytes(raw, c.numPieces)
	if err != nil {
		return false
	}
	if verified != nil {
		for _, i := range verified.Indices() {
			if !bf.Has(i) {
				return false
			}
		}
	}
	c.stored = bf
	return true
}

// listStored finds the stored pieces by listing them (a database written
// without the stored bitfield) and stores the bitfield, so the next open
// reads it instead. Failing to store it costs only the next open a list.
func (c *chunkStore) listStored() error {
	idx, err := c.st.listPieces()
	if err != nil {
		return err
	}
	for _, i := range idx {
		if i >= 0 && i < c.numPieces {
			c.stored.Set(i)
		}
	}
	if len(idx) > 0 {
		_ = c.st.putPieces(nil, nil, c.stored.Bytes())
	}
	return nil
}

// pieceSize is the length of piece i; the last piece may be short.
func (c *chunkStore) pieceSize(i int) int {
	start := int64(i) * c.pieceLen
	return int(min(c.pieceLen, c.length-start))
}

// ReadAt follows io.ReaderAt; bytes never written read as zeros.
func (c *chunkStore) ReadAt(p []byte, off int64) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return 0, ErrClosed
	}
	if off < 0 {
		return 0, fmt.Errorf("persist: read at %d: %w", off, ErrOutOfRange)
	}
	if off >= c.length {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	want := p[:min(int64(len(p)), c.length-off)]
	done := 0
	for done < len(want) {
		pos := off + int64(done)
		i := int(pos / c.pieceLen)
		in := int(pos % c.pieceLen)
		dst := want[done:min(len(want), done+c.pieceSize(i)-in)]
		src, err := c.pieceView(i)
		if err != nil {
			return done, err
		}
		if src == nil {
			clear(dst)
		} else {
			copy(dst, src[in:])
		}
		done += len(dst)
	}
	if done < len(p) {
		return done, io.EOF
	}
	return done, nil
}

// pieceView returns the current bytes of piece i (nil when all zeros) without
// copying; callers must not keep or modify it.
func (c *chunkStore) pieceView(i int) ([]byte, error) {
	pp := c.findPending(i)
	if pp != nil || !c.stored.Has(i) {
		if i == c.readNext {
			c.readNext++ // a sequential reader passing a piece read from memory
		}
		if pp != nil {
			return pp.data, nil
		}
		return nil, nil
	}
	return c.loadStored(i)
}

// loadStored reads a stored piece through the cache.
func (c *chunkStore) loadStored(i int) ([]byte, error) {
	if k := c.cacheIndex(i); k >= 0 {
		e := c.cache[k]
		copy(c.cache[1:k+1], c.cache[:k])
		c.cache[0] = e
		return e.data, nil
	}
	refs := c.readAhead(i)
	bs, err := c.st.getPieces(refs)
	if err != nil {
		return nil, fmt.Errorf("persist: read piece %d: %w", i, err)
	}
	if len(bs) != len(refs) {
		return nil, fmt.Errorf("persist: read piece %d: %d of %d pieces returned", i, len(bs), len(refs))
	}
	c.readNext = refs[len(refs)-1].index + 1
	// The pieces read ahead go in first, so piece i ends up most recent.
	for k := len(refs) - 1; k >= 0; k-- {
		if bs[k] != nil {
			c.addCache(refs[k].index, bs[k], false)
		}
	}
	return bs[0], nil
}

// readAhead lists piece i and, when i is where the last read ended (a
// sequential reader), the stored pieces after it that are neither buffered
// nor cached, within readAheadPieces, readAheadBytes and half the cache.
func (c *chunkStore) readAhead(i int) []pieceRef {
	refs := []pieceRef{{i, c.pieceSize(i)}}
	if i != c.readNext {
		return refs
	}
	maxN := min(readAheadPieces, max(1, c.maxCached/2))
	maxBytes := min(readAheadBytes, c.maxCachedBytes/2)
	size := refs[0].size
	for j := i + 1; j < c.numPieces && len(refs) < maxN; j++ {
		if !c.stored.Has(j) || c.findPending(j) != nil || c.cacheIndex(j) >= 0 {
			break
		}
		n := c.pieceSize(j)
		if size += n; int64(size) > maxBytes {
			break
		}
		refs = append(refs, pieceRef{j, n})
	}
	return refs
}

// cacheIndex is piece i's position in the cache, -1 if it is not cached.
func (c *chunkStore) cacheIndex(i int) int {
	return slices.IndexFunc(c.cache, func(e cachedPiece) bool { return e.index == i })
}

func (c *chunkStore) addCache(i int, b []byte, written bool) {
	c.dropCache(i)
	c.cache = slices.Insert(c.cache, 0, cachedPiece{index: i, data: b, written: written})
	c.cacheSize += int64(len(b))
	for len(c.cache) > 1 && (len(c.cache) > c.maxCached || c.cacheSize > c.maxCachedBytes) {
		k := c.evictable()
		if k < 0 {
			break
		}
		c.cacheSize -= int64(len(c.cache[k].data))
		c.recycle(c.cache[k].data)
		c.cache = slices.Delete(c.cache, k, k+1)
	}
}

// evictable is the cache entry to drop from a cache past its bounds, -1
// for none: the least recently used one that is not a written piece
// awaiting its hash, so pieces just stored stay in memory until the
// engine's hashing reads them (a hasher that falls behind would otherwise
// read each one back from the database, and fall further behind). Past
// twice the bounds the least recently used goes, whatever it is.
func (c *chunkStore) evictable() int {
	last := len(c.cache) - 1
	if len(c.cache) > 2*c.maxCached || c.cacheSize > 2*c.maxCachedBytes {
		return last
	}
	for k := last; k > 0; k-- {
		if e := c.cache[k]; !e.written || c.verified.Has(e.index) {
			return k
		}
	}
	return -1
}

func (c *chunkStore) dropCache(i int) {
	if k := c.cacheIndex(i); k >= 0 {
		e := c.cache[k]
		c.cacheSize -= int64(len(e.data))
		c.cache = slices.Delete(c.cache, k, k+1)
		c.recycle(e.data)
	}
}

// recycle keeps a full-size piece buffer nothing refers to any more.
func (c *chunkStore) recycle(b []byte) {
	if int64(cap(b)) == c.pieceLen && int64(len(c.spare))*c.pieceLen < maxSpareBytes {
		c.spare = append(c.spare, b[:cap(b)])
	}
}

// newPieceBuf returns size zeroed bytes, reusing a spare buffer if it can.
func (c *chunkStore) newPieceBuf(size int) []byte {
	if n := len(c.spare); n > 0 && int64(size) == c.pieceLen {
		b := c.spare[n-1]
		c.spare[n-1] = nil
		c.spare = c.spare[:n-1]
		clear(b)
		return b
	}
	return make([]byte, size)
}

func (c *chunkStore) findPending(i int) *pendingPiece {
	for _, pp := range c.pending {
		if pp.index == i {
			return pp
		}
	}
	return nil
}

// WriteAt writes p at off; writing past the end is refused and writes nothing.
// Pieces stay buffered, complete or not, until the buffer is full or Sync:
// then every complete piece is stored in one batch. The engine syncs before
// it records a piece as verified, so a recorded piece is durable; and
// writing stays off the commit latency of the browser database.
func (c *chunkStore) WriteAt(p []byte, off int64) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return 0, ErrClosed
	}
	if off < 0 || off > c.length || int64(len(p)) > c.length-off {
		return 0, fmt.Errorf("persist: write %d bytes at %d of %d: %w", len(p), off, c.length, ErrOutOfRange)
	}
	done := 0
	for done < len(p) {
		pos := off + int64(done)
		i := int(pos / c.pieceLen)
		in := int(pos % c.pieceLen)
		n := min(len(p)-done, c.pieceSize(i)-in)
		pp, err := c.pendingFor(i)
		if err != nil {
			return done, err
		}
		copy(pp.data[in:], p[done:done+n])
		pp.gen++
		was := pp.complete()
		pp.mark(in, in+n)
		done += n
		if !was && pp.complete() {
			c.completeBytes += int64(len(pp.data))
		}
	}
	// While a flush is in flight, the next write after it checks again.
	if c.completeBytes >= c.flushEvery && !c.flushing {
		if err := c.flush(func() []*pendingPiece {
			if c.completeBytes < c.flushEvery {
				return nil // another flush stored them meanwhile
			}
			return c.pendingWhere(func(pp *pendingPiece) bool { return pp.complete() })
		}); err != nil {
			return done, err
		}
	}
	return done, nil
}

// pendingFor returns the buffer for piece i, moved to the most recently
// written end, making room first when a new one is needed.
func (c *chunkStore) pendingFor(i int) (*pendingPiece, error) {
	size := c.pieceSize(i)
	for {
		// Checked again after every flush: mu was released during it.
		for k, pp := range c.pending {
			if pp.index == i {
				c.pending = append(slices.Delete(c.pending, k, k+1), pp)
				return pp, nil
			}
		}
		if len(c.pending) == 0 || (len(c.pending) < c.maxPending && c.pendBytes+int64(size) <= c.maxPendingBytes) {
			break
		}
		// Make room: store every complete piece at once, or else the
		// least recently written one.
		if err := c.flush(func() []*pendingPiece {
			batch := c.pendingWhere(func(pp *pendingPiece) bool { return pp.complete() })
			if len(batch) == 0 && len(c.pending) > 0 {
				batch = c.pending[:1]
			}
			return batch
		}); err != nil {
			return nil, err
		}
		if c.closed {
			return nil, ErrClosed
		}
	}
	pp := &pendingPiece{index: i, data: c.newPieceBuf(size), written: make([]uint64, (size+63)/64)}
	if c.verified.Has(i) {
		// Rewritten: no longer the bytes that passed their hash.
		c.verified.Clear(i)
		c.verifiedDirty = true
		c.verifiedGen++
	}
	if c.stored.Has(i) {
		// Part of a stored piece is rewritten: start from its bytes so the
		// put that eventually stores the piece keeps the rest.
		b, err := c.loadStored(i)
		if err != nil {
			return nil, err
		}
		copy(pp.data, b)
		pp.seeded = true
	}
	c.pending = append(c.pending, pp)
	c.pendBytes += int64(size)
	return pp, nil
}

// flush stores the buffered pieces pick selects (with the verified
// bitfield when it changed) in one batch and forgets their buffers. pick
// runs once no other flush is in flight. The store's write runs with mu
// released, on copies of the pieces: reads meanwhile still find them
// buffered, and a piece written to meanwhile stays buffered (its newer
// bytes are stored by a later flush). On failure every buffer is kept, so
// nothing written is lost and a later flush can retry. Callers hold mu.
func (c *chunkStore) flush(pick func() []*pendingPiece) error {
	for c.flushing {
		c.flushDone.Wait()
	}
	batch := slices.Clone(pick())
	if len(batch) == 0 && !c.verifiedDirty {
		return nil
	}
	ps := make([]storedPiece, len(batch))
	gens := make([]uint64, len(batch))
	withVerified := c.verifiedDirty
	var storedAfter *bitfield.Bitfield // set when batch stores a new piece
	for k, pp := range batch {
		data := c.newPieceBuf(len(pp.data))
		copy(data, pp.data)
		ps[k] = storedPiece{index: pp.index, data: data}
		gens[k] = pp.gen
		withVerified = withVerified || c.verified.Has(pp.index)
		if !c.stored.Has(pp.index) {
			if storedAfter == nil {
				storedAfter = c.stored.Clone()
			}
			storedAfter.Set(pp.index)
		}
	}
	var vb, sb []byte
	if withVerified {
		vb = c.verifiedAfter(batch)
	}
	if storedAfter != nil {
		sb = storedAfter.Bytes()
	}
	vgen := c.verifiedGen

	c.flushing = true
	c.mu.Unlock()
	err := c.st.putPieces(ps, vb, sb)
	c.mu.Lock()
	c.flushing = false
	c.flushDone.Broadcast()

	for _, sp := range ps {
		c.recycle(sp.data)
	}
	if err != nil {
		if len(ps) == 0 {
			return fmt.Errorf("persist: store verified pieces: %w", err)
		}
		return fmt.Errorf("persist: store %d pieces from %d: %w", len(ps), ps[0].index, err)
	}
	if withVerified && c.verifiedGen == vgen {
		c.verifiedDirty = false
	}
	for k, pp := range batch {
		c.stored.Set(pp.index)
		i := slices.Index(c.pending, pp)
		if i < 0 {
			continue
		}
		if pp.gen != gens[k] {
			c.dropCache(pp.index) // stored bytes are older than the buffer
			continue
		}
		c.pending = slices.Delete(c.pending, i, i+1)
		c.pendBytes -= int64(len(pp.data))
		if pp.complete() {
			c.completeBytes -= int64(len(pp.data))
			c.addCache(pp.index, pp.data, true) // hashing and uploads read it back
		} else {
			c.dropCache(pp.index)
			c.recycle(pp.data)
		}
	}
	return nil
}

// verifiedAfter is the verified bitfield to store with batch: verified
// pieces whose bytes are stored once batch commits (stored already, or in
// batch) and are not waiting in a buffer outside it.
func (c *chunkStore) verifiedAfter(batch []*pendingPiece) []byte {
	// A verified piece is stored or buffered (MarkVerified asks, and a
	// rewrite clears the mark): leave out those buffered outside batch.
	bf := c.verified.Clone()
	for _, pp := range c.pending {
		if !slices.Contains(batch, pp) {
			bf.Clear(pp.index)
		}
	}
	return bf.Bytes()
}

// MarkVerified records that piece i's bytes, as stored or buffered now,
// passed their hash. The mark is stored with the piece (or, for a piece
// stored already, with the next write or Sync), and a reopened storage
// reports it in VerifiedPieces, so a reload trusts the piece instead of
// hashing it again. A later write to the piece clears it.
func (c *chunkStore) MarkVerified(i int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || i < 0 || i >= c.numPieces || c.verified.Has(i) {
		return
	}
	if !c.stored.Has(i) && c.findPending(i) == nil {
		return // nothing written: nothing to vouch for
	}
	c.verified.Set(i)
	c.verifiedDirty = true
	c.verifiedGen++
}

// VerifiedPieces lists the pieces the storage found verified when it
// opened: stored in a write that also stored their verified mark.
func (c *chunkStore) VerifiedPieces() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.trusted.Indices()
}

// StoredPieces lists the pieces with stored or buffered bytes; the others
// read as zeros.
func (c *chunkStore) StoredPieces() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	bf := c.stored.Clone()
	for _, pp := range c.pending {
		bf.Set(pp.index)
	}
	return bf.Indices()
}

// pendingWhere lists the buffered pieces keep selects.
func (c *chunkStore) pendingWhere(keep func(*pendingPiece) bool) []*pendingPiece {
	var out []*pendingPiece
	for _, pp := range c.pending {
		if keep(pp) {
			out = append(out, pp)
		}
	}
	return out
}

// Sync stores every buffered piece whose bytes could already be verified:
// complete ones and rewrites of stored pieces. A fresh incomplete piece
// cannot pass its hash, so it stays buffered instead of costing a put now
// and a read-modify-write later.
func (c *chunkStore) Sync() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	return c.flush(func() []*pendingPiece {
		return c.pendingWhere(func(pp *pendingPiece) bool { return pp.seeded || pp.complete() })
	})
}

// HasData reports whether any byte of the torrent has been stored or
// buffered, so the engine knows to verify pieces on start.
func (c *chunkStore) HasData() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.stored.None() || len(c.pending) > 0
}

// DeleteData forgets buffered pieces and removes every stored one.
func (c *chunkStore) DeleteData() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.flushing {
		c.flushDone.Wait() // its pieces are deleted too, not marked stored after
	}
	c.pending, c.pendBytes, c.completeBytes = nil, 0, 0
	c.cache, c.cacheSize, c.spare = nil, 0, nil
	c.stored = bitfield.New(c.numPieces)
	c.verified, c.trusted, c.verifiedDirty = bitfield.New(c.numPieces), bitfield.New(c.numPieces), false
	return c.st.deletePieces()
}

// Close stores every buffered piece, complete or not, so bytes written are
// read back after a reload; later calls fail with ErrClosed.
func (c *chunkStore) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	err := c.flush(func() []*pendingPiece { return c.pending })
	if c.closed {
		return ErrClosed // closed while the flush waited
	}
	c.closed = true
	c.pending, c.pendBytes, c.completeBytes = nil, 0, 0
	c.cache, c.cacheSize, c.spare = nil, 0, nil
	return err
}
