package persist

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mapPieces is a pieceStore in a map that counts calls, so tests can assert
// how often the browser database would be hit.
type mapPieces struct {
	m          map[int][]byte
	gets, puts int // calls
	got        int // pieces asked for by the gets
	batches    int
	failPut    error
	deleted    int
	listErr    error
	putSizes   []int
	verified   []byte // the stored verified bitfield
	vputs      int    // writes that carried it
	stored     []byte // the stored bitfield of stored pieces
	sputs      int    // writes that carried it
	lists      int    // listPieces calls
}

func newMapPieces() *mapPieces { return &mapPieces{m: make(map[int][]byte)} }

func (s *mapPieces) getPieces(ps []pieceRef) ([][]byte, error) {
	s.gets++
	s.got += len(ps)
	out := make([][]byte, len(ps))
	for k, r := range ps {
		if b, ok := s.m[r.index]; ok && len(b) == r.size {
			out[k] = bytes.Clone(b)
		}
	}
	return out, nil
}

func (s *mapPieces) getMarks() (stored, verified []byte, err error) {
	return bytes.Clone(s.stored), bytes.Clone(s.verified), nil
}

func (s *mapPieces) putPieces(ps []storedPiece, verified, stored []byte) error {
	if s.failPut != nil {
		return s.failPut
	}
	if verified != nil {
		s.verified = bytes.Clone(verified)
		s.vputs++
	}
	if stored != nil {
		s.stored = bytes.Clone(stored)
		s.sputs++
	}
	if len(ps) == 0 {
		return nil
	}
	s.batches++
	for _, p := range ps {
		s.puts++
		s.putSizes = append(s.putSizes, len(p.data))
		s.m[p.index] = bytes.Clone(p.data)
	}
	return nil
}

func (s *mapPieces) listPieces() ([]int, error) {
	s.lists++
	out := make([]int, 0, len(s.m))
	for i := range s.m {
		out = append(out, i)
	}
	return out, s.listErr
}

func (s *mapPieces) deletePieces() error {
	s.deleted++
	clear(s.m)
	s.verified, s.stored = nil, nil
	return nil
}

func TestChunkStoreGeometry(t *testing.T) {
	for _, tc := range []struct {
		name             string
		length, pieceLen int64
	}{
		{"negative length", -1, 16 << 10},
		{"zero piece length", 100, 0},
		{"piece too long", 100, 128 << 20},
		{"too many pieces", 1 << 40, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newChunkStore(newMapPieces(), tc.length, tc.pieceLen)
			require.ErrorIs(t, err, errBadGeometry)
		})
	}
	c, err := newChunkStore(newMapPieces(), 0, 16<<10)
	require.NoError(t, err)
	n, err := c.ReadAt(make([]byte, 1), 0)
	assert.Equal(t, 0, n)
	assert.ErrorIs(t, err, io.EOF)
}

func TestChunkStoreOnePutPerPiece(t *testing.T) {
	const pieceLen, length = 64 << 10, 3*(64<<10) + 1000 // short last piece
	st := newMapPieces()
	c, err := newChunkStore(st, length, pieceLen)
	require.NoError(t, err)
	assert.False(t, c.HasData())

	data := randomBytes(length, 7)
	for off := 0; off < length; off += 16 << 10 {
		end := min(off+16<<10, length)
		n, err := c.WriteAt(data[off:end], int64(off))
		require.NoError(t, err)
		require.Equal(t, end-off, n)
	}
	assert.Zero(t, st.puts, "complete pieces wait for Sync")
	assert.True(t, c.HasData())
	require.NoError(t, c.Sync())
	assert.Equal(t, 4, st.puts, "each piece stored once")
	assert.Equal(t, 1, st.batches, "in one batch")
	assert.Equal(t, []int{pieceLen, pieceLen, pieceLen, 1000}, st.putSizes)

	// Reading back right after the write is served by the cache; a block
	// at a time across the whole torrent costs one get per uncached piece.
	got := make([]byte, length)
	for off := 0; off < length; off += 16 << 10 {
		end := min(off+16<<10, length)
		_, err := c.ReadAt(got[off:end], int64(off))
		require.NoError(t, err)
	}
	assert.Equal(t, data, got)
	assert.Equal(t, 0, st.gets)
}

// storedPieces is chunked storage over n stored pieces of random data.
func storedPieces(t *testing.T, n, pieceLen int, seed uint64) (*chunkStore, *mapPieces, []byte) {
	t.Helper()
	st := newMapPieces()
	data := randomBytes(n*pieceLen, seed)
	for i := range n {
		st.m[i] = bytes.Clone(data[i*pieceLen : (i+1)*pieceLen])
	}
	c, err := newChunkStore(st, int64(len(data)), int64(pieceLen))
	require.NoError(t, err)
	return c, st, data
}

func TestChunkStoreCacheBounded(t *testing.T) {
	const pieceLen = 16 << 10
	c, st, data := storedPieces(t, 20, pieceLen, 3)
	c.maxCached = 4
	buf := make([]byte, 1024)
	for range 3 {
		for i := range 10 {
			_, err := c.ReadAt(buf, int64(i*pieceLen))
			require.NoError(t, err)
			assert.Equal(t, data[i*pieceLen:i*pieceLen+1024], buf)
		}
	}
	assert.GreaterOrEqual(t, st.got, 30, "cycling over more pieces than the cache holds misses every time")
	assert.Less(t, st.gets, 20, "in reads of two pieces: sequential reads read ahead")
	assert.LessOrEqual(t, len(c.cache), 4)

	st.gets, st.got = 0, 0
	for range 10 {
		_, err := c.ReadAt(buf, 5*pieceLen+100)
		require.NoError(t, err)
	}
	assert.Equal(t, 1, st.gets, "repeated reads of one piece hit the cache")
}

// A sequential reader (the start-up check, a stream) gets the pieces after
// the one it needs in the same read, within the read-ahead bounds; a
// reader jumping around reads one piece at a time; buffered and cached
// pieces are never read.
func TestChunkStoreReadAhead(t *testing.T) {
	const pieceLen = 64 << 10
	const n = 100
	c, st, data := storedPieces(t, n, pieceLen, 5)
	delete(st.m, 40) // a hole: read-ahead stops at it
	c.stored.Clear(40)
	buf := make([]byte, pieceLen)
	read := func(i int) {
		t.Helper()
		_, err := c.ReadAt(buf, int64(i*pieceLen))
		require.NoError(t, err)
		want := data[i*pieceLen : (i+1)*pieceLen]
		if i == 40 {
			want = make([]byte, pieceLen)
		}
		require.Equal(t, want, buf, "piece %d", i)
	}

	for i := range 40 {
		read(i)
	}
	assert.Equal(t, 40, st.got)
	assert.Equal(t, 3, st.gets, "40 pieces in reads of 16")

	// The hole reads as zeros with no read; after it, read-ahead resumes.
	st.gets, st.got = 0, 0
	read(40)
	read(41)
	assert.Equal(t, 1, st.gets)
	assert.Equal(t, readAheadPieces, st.got)

	// A buffered (pending) piece inside the run stops the read-ahead.
	_, err := c.WriteAt(data[60*pieceLen:60*pieceLen+10], 60*pieceLen)
	require.NoError(t, err)
	st.gets, st.got = 0, 0
	for i := 57; i <= 62; i++ {
		read(i)
	}
	// Buffering 60 read it, so 57 is read alone, then 58-59 together, 60
	// comes from memory and 61 starts a full read-ahead.
	assert.Equal(t, []int{3, 3 + readAheadPieces}, []int{st.gets, st.got})

	// Random reads fetch one piece each.
	c2, err := newChunkStore(st, int64(len(data)), pieceLen)
	require.NoError(t, err)
	c = c2
	st.gets, st.got = 0, 0
	for _, i := range []int{90, 3, 77, 12, 55} {
		read(i)
	}
	assert.Equal(t, 5, st.gets)
	assert.Equal(t, 5, st.got)

	// Big pieces: the bytes bound keeps a read to the piece needed.
	const big = 4 << 20
	c3, st2, _ := storedPieces(t, 3, big, 6)
	bb := make([]byte, 16)
	for i := range 3 {
		_, err := c3.ReadAt(bb, int64(i*big))
		require.NoError(t, err)
	}
	assert.Equal(t, []int{3, 3}, []int{st2.gets, st2.got})
}

func TestChunkStorePartialPiecesBounded(t *testing.T) {
	const pieceLen = 16 << 10
	st := newMapPieces()
	c, err := newChunkStore(st, 10*pieceLen, pieceLen)
	require.NoError(t, err)
	c.maxPending = 3

	// Half of each of five pieces: the two oldest are flushed incomplete.
	for i := range 5 {
		_, err := c.WriteAt(bytes.Repeat([]byte{byte(i + 1)}, pieceLen/2), int64(i*pieceLen))
		require.NoError(t, err)
	}
	assert.Equal(t, 2, st.puts)
	assert.Len(t, c.pending, 3)
	require.Contains(t, st.m, 0)
	require.Contains(t, st.m, 1)

	// Finishing a flushed piece starts from its stored bytes.
	_, err = c.WriteAt(bytes.Repeat([]byte{9}, pieceLen/2), pieceLen/2)
	require.NoError(t, err)
	got := make([]byte, pieceLen)
	_, err = c.ReadAt(got, 0)
	require.NoError(t, err)
	want := append(bytes.Repeat([]byte{1}, pieceLen/2), bytes.Repeat([]byte{9}, pieceLen/2)...)
	assert.Equal(t, want, got)

	// Sync stores the rewrite of a stored piece but keeps fresh partial ones.
	before := st.puts
	require.NoError(t, c.Sync())
	assert.Equal(t, before+1, st.puts)
	assert.Equal(t, want, st.m[0])
	assert.NotContains(t, st.m, 4)

	// Close stores everything.
	require.NoError(t, c.Close())
	assert.Equal(t, append(bytes.Repeat([]byte{5}, pieceLen/2), make([]byte, pieceLen/2)...), st.m[4])
	_, err = c.ReadAt(got, 0)
	require.ErrorIs(t, err, ErrClosed)
	_, err = c.WriteAt(got, 0)
	require.ErrorIs(t, err, ErrClosed)
	require.ErrorIs(t, c.Close(), ErrClosed)
}

func TestChunkStoreBounds(t *testing.T) {
	c, err := newChunkStore(newMapPieces(), 100, 16<<10)
	require.NoError(t, err)
	_, err = c.WriteAt([]byte("abc"), 98)
	require.ErrorIs(t, err, ErrOutOfRange)
	_, err = c.WriteAt([]byte("a"), -1)
	require.ErrorIs(t, err, ErrOutOfRange)
	_, err = c.ReadAt(make([]byte, 1), -1)
	require.ErrorIs(t, err, ErrOutOfRange)
	assert.False(t, c.HasData(), "refused writes store nothing")

	buf := bytes.Repeat([]byte{0xee}, 10)
	n, err := c.ReadAt(buf, 95)
	assert.Equal(t, 5, n)
	assert.ErrorIs(t, err, io.EOF)
	assert.Equal(t, make([]byte, 5), buf[:5], "unwritten bytes read as zeros")
	n, err = c.ReadAt(nil, 100)
	assert.Equal(t, 0, n)
	assert.NoError(t, err)
}

func TestChunkStoreFailedPutKeepsData(t *testing.T) {
	const pieceLen = 16 << 10
	st := newMapPieces()
	c, err := newChunkStore(st, 2*pieceLen, pieceLen)
	require.NoError(t, err)
	boom := errors.New("boom")
	st.failPut = boom
	data := randomBytes(pieceLen, 1)
	_, err = c.WriteAt(data, 0)
	require.NoError(t, err)
	require.ErrorIs(t, c.Sync(), boom)
	got := make([]byte, pieceLen)
	_, err = c.ReadAt(got, 0)
	require.NoError(t, err)
	assert.Equal(t, data, got, "the buffered piece is still readable")

	st.failPut = nil
	require.NoError(t, c.Sync(), "a complete piece whose put failed is retried")
	assert.Equal(t, data, st.m[0])
}

func TestChunkStoreDeleteAndReopen(t *testing.T) {
	const pieceLen = 16 << 10
	st := newMapPieces()
	st.m[1] = make([]byte, pieceLen)
	st.m[99] = []byte("index beyond the torrent is ignored")
	c, err := newChunkStore(st, 2*pieceLen, pieceLen)
	require.NoError(t, err)
	assert.True(t, c.HasData())
	_, err = c.WriteAt([]byte("x"), 0)
	require.NoError(t, err)
	require.NoError(t, c.DeleteData())
	assert.False(t, c.HasData())
	assert.Empty(t, st.m)
	require.NoError(t, c.Close())
	assert.Empty(t, st.m, "deleted buffers are not flushed on close")

	st.listErr = errors.New("list failed")
	_, err = newChunkStore(st, 2*pieceLen, pieceLen)
	require.ErrorIs(t, err, st.listErr)
}

// FuzzChunkStore drives chunked storage with random writes, reads, syncs
// and reopenings and checks it always matches a plain byte slice.
func FuzzChunkStore(f *testing.F) {
	f.Add(uint64(1), []byte{0, 0, 10, 0, 1, 0, 5, 2})
	f.Add(uint64(2), bytes.Repeat([]byte{1, 200, 7, 3}, 40))
	f.Add(uint64(3), []byte("\x03\x00\x00\xff\xff\x02\x01\x04"))
	f.Fuzz(func(t *testing.T, seed uint64, ops []byte) {
		if len(ops) > 4096 {
			return
		}
		r := rand.New(rand.NewPCG(seed, 1))
		pieceLen := int64(1 + r.IntN(300))
		length := int64(r.IntN(2000))
		st := newMapPieces()
		c, err := newChunkStore(st, length, pieceLen)
		require.NoError(t, err)
		c.maxPending, c.maxCached = 1+r.IntN(4), 1+r.IntN(3)
		c.maxPendingBytes, c.maxCachedBytes = int64(1+r.IntN(600)), int64(1+r.IntN(600))
		model := NewMemory(length)
		for len(ops) >= 5 {
			op, off, n := ops[0]%5, int64(binary.LittleEndian.Uint16(ops[1:])), int(binary.LittleEndian.Uint16(ops[3:])%700)
			ops = ops[5:]
			switch op {
			case 0, 1:
				p := randomBytes(n, uint64(off)*31+uint64(n))
				wn, werr := model.WriteAt(p, off)
				gn, gerr := c.WriteAt(p, off)
				require.Equal(t, werr == nil, gerr == nil, "write %d at %d: %v / %v", n, off, werr, gerr)
				require.Equal(t, wn, gn)
			case 2:
				want, got := make([]byte, n), bytes.Repeat([]byte{0xaa}, n)
				wn, werr := model.ReadAt(want, off)
				gn, gerr := c.ReadAt(got, off)
				require.Equal(t, wn, gn)
				require.Equal(t, werr == nil, gerr == nil)
				require.Equal(t, want[:wn], got[:gn])
			case 3:
				require.NoError(t, c.Sync())
			case 4:
				require.NoError(t, c.Close())
				c, err = newChunkStore(st, length, pieceLen)
				require.NoError(t, err)
			}
		}
		all := make([]byte, length)
		_, _ = model.ReadAt(all, 0)
		got := make([]byte, length)
		_, _ = c.ReadAt(got, 0)
		require.Equal(t, all, got)
		require.LessOrEqual(t, len(c.pending), max(c.maxPending, 1))
	})
}

// TestChunkStoreConcurrent has hashers read pieces while the loop writes
// others (run with -race).
func TestChunkStoreConcurrent(t *testing.T) {
	const pieceLen, pieces = 16 << 10, 16
	c, err := newChunkStore(newMapPieces(), pieces*pieceLen, pieceLen)
	require.NoError(t, err)
	data := randomBytes(pieces*pieceLen, 8)
	var wg sync.WaitGroup
	done := make(chan struct{})
	for range 3 {
		wg.Go(func() {
			buf := make([]byte, pieceLen)
			for {
				select {
				case <-done:
					return
				default:
				}
				_, err := c.ReadAt(buf, 0)
				assert.NoError(t, err)
			}
		})
	}
	for off := 0; off < len(data); off += 4 << 10 {
		_, err := c.WriteAt(data[off:off+4<<10], int64(off))
		require.NoError(t, err)
	}
	close(done)
	wg.Wait()
	got := make([]byte, len(data))
	_, err = c.ReadAt(got, 0)
	require.NoError(t, err)
	assert.Equal(t, data, got)
}

// A full buffer stores all its complete pieces in one batch, not the oldest
// piece alone: the browser pays one commit for many pieces.
func TestChunkStoreFullBufferFlushesCompleteInOneBatch(t *testing.T) {
	const pieceLen = 16 << 10
	st := newMapPieces()
	c, err := newChunkStore(st, 10*pieceLen, pieceLen)
	require.NoError(t, err)
	c.maxPending = 4
	data := randomBytes(10*pieceLen, 5)
	for i := range 4 {
		_, err := c.WriteAt(data[i*pieceLen:(i+1)*pieceLen], int64(i*pieceLen))
		require.NoError(t, err)
	}
	assert.Zero(t, st.puts)
	_, err = c.WriteAt(data[4*pieceLen:5*pieceLen], 4*pieceLen)
	require.NoError(t, err)
	assert.Equal(t, 4, st.puts)
	assert.Equal(t, 1, st.batches)
	got := make([]byte, 5*pieceLen)
	_, err = c.ReadAt(got, 0)
	require.NoError(t, err)
	assert.Equal(t, data[:5*pieceLen], got)
}

// Complete pieces are stored once flushEvery bytes of them wait, so a tab
// closed without warning loses little; rewriting a complete piece does not
// count twice.
func TestChunkStoreFlushesEveryFewMiB(t *testing.T) {
	const pieceLen = 16 << 10
	st := newMapPieces()
	c, err := newChunkStore(st, 10*pieceLen, pieceLen)
	require.NoError(t, err)
	c.flushEvery = 3 * pieceLen
	data := randomBytes(10*pieceLen, 6)
	for range 3 {
		_, err = c.WriteAt(data[:pieceLen], 0)
		require.NoError(t, err)
	}
	_, err = c.WriteAt(data[pieceLen:2*pieceLen], pieceLen)
	require.NoError(t, err)
	assert.Zero(t, st.puts, "two complete pieces wait")
	_, err = c.WriteAt(data[2*pieceLen:3*pieceLen], 2*pieceLen)
	require.NoError(t, err)
	assert.Equal(t, 3, st.puts)
	assert.Equal(t, 1, st.batches)
	assert.Zero(t, c.completeBytes)
}

// mark counts each byte once however writes overlap, across word edges.
func TestPendingPieceMarkCountsBytesOnce(t *testing.T) {
	const size = 1000
	rng := rand.New(rand.NewPCG(7, 7))
	pp := &pendingPiece{data: make([]byte, size), written: make([]uint64, (size+63)/64)}
	model := make([]bool, size)
	for range 500 {
		from := rng.IntN(size)
		to := from + rng.IntN(size-from+1)
		pp.mark(from, to)
		for i := from; i < to; i++ {
			model[i] = true
		}
		want := 0
		for _, w := range model {
			if w {
				want++
			}
		}
		require.Equal(t, want, pp.count, "after mark(%d, %d)", from, to)
	}
	pp.mark(0, size)
	assert.True(t, pp.complete())
}
