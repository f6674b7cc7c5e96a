package persist

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// gatedPieces is a mapPieces whose puts wait until the test opens the gate,
// as a slow IndexedDB commit would.
type gatedPieces struct {
	*mapPieces
	mu      sync.Mutex // guards mapPieces against the test's reads
	entered chan struct{}
	gate    chan struct{}
}

func (s *gatedPieces) putPieces(ps []storedPiece, verified, stored []byte) error {
	s.entered <- struct{}{}
	<-s.gate
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mapPieces.putPieces(ps, verified, stored)
}

func (s *gatedPieces) stored(i int) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[i]
}

// A store write in progress does not hold up reads (the engine's hashing
// of the pieces just written), and a piece written to meanwhile keeps its
// newer bytes: they are stored by the next flush, not dropped.
func TestChunkStoreReadsDuringFlush(t *testing.T) {
	const pieceLen = 16 << 10
	st := &gatedPieces{mapPieces: newMapPieces(), entered: make(chan struct{}), gate: make(chan struct{})}
	c, err := newChunkStore(st, 4*pieceLen, pieceLen)
	require.NoError(t, err)
	c.flushEvery = 2 * pieceLen
	data := randomBytes(4*pieceLen, 9)

	_, err = c.WriteAt(data[:pieceLen], 0)
	require.NoError(t, err)
	writeDone := make(chan error, 1)
	go func() {
		_, err := c.WriteAt(data[pieceLen:2*pieceLen], pieceLen) // reaches flushEvery
		writeDone <- err
	}()
	select {
	case <-st.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("no flush started")
	}

	// The put is blocked: reads and a write to a piece in the batch go on.
	got := make([]byte, 2*pieceLen)
	readDone := make(chan error, 1)
	go func() {
		_, err := c.ReadAt(got, 0)
		readDone <- err
	}()
	select {
	case err := <-readDone:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		close(st.gate)
		t.Fatal("ReadAt waited for the store's write")
	}
	assert.Equal(t, data[:2*pieceLen], got)
	newer := randomBytes(pieceLen, 10)
	_, err = c.WriteAt(newer, 0)
	require.NoError(t, err)

	close(st.gate)
	require.NoError(t, <-writeDone)
	assert.Equal(t, data[:pieceLen], st.stored(0), "the flush stored the bytes it copied")
	assert.Equal(t, data[pieceLen:2*pieceLen], st.stored(1))

	// Piece 0 changed during the put: still buffered, read from memory,
	// stored with its newer bytes by Sync.
	_, err = c.ReadAt(got[:pieceLen], 0)
	require.NoError(t, err)
	assert.Equal(t, newer, got[:pieceLen])
	assert.NotNil(t, c.findPending(0))
	assert.Nil(t, c.findPending(1))
	go func() { <-st.entered }()
	require.NoError(t, c.Sync())
	assert.Equal(t, newer, st.stored(0))
}

// Close waits for a flush in progress and then stores what is left.
func TestChunkStoreCloseDuringFlush(t *testing.T) {
	const pieceLen = 16 << 10
	st := &gatedPieces{mapPieces: newMapPieces(), entered: make(chan struct{}, 4), gate: make(chan struct{})}
	c, err := newChunkStore(st, 4*pieceLen, pieceLen)
	require.NoError(t, err)
	c.flushEvery = 2 * pieceLen
	data := randomBytes(4*pieceLen, 11)
	_, err = c.WriteAt(data[:pieceLen], 0)
	require.NoError(t, err)
	_, err = c.WriteAt(data[2*pieceLen:2*pieceLen+100], 2*pieceLen) // incomplete
	require.NoError(t, err)
	writeDone := make(chan error, 1)
	go func() {
		_, err := c.WriteAt(data[pieceLen:2*pieceLen], pieceLen)
		writeDone <- err
	}()
	<-st.entered
	closeDone := make(chan error, 1)
	go func() { closeDone <- c.Close() }()
	close(st.gate)
	require.NoError(t, <-writeDone)
	require.NoError(t, <-closeDone)
	assert.Equal(t, data[:pieceLen], st.stored(0))
	assert.Equal(t, data[pieceLen:2*pieceLen], st.stored(1))
	require.NotNil(t, st.stored(2), "the incomplete piece is stored on close")
	assert.Equal(t, data[2*pieceLen:2*pieceLen+100], st.stored(2)[:100])
	assert.ErrorIs(t, c.Close(), ErrClosed)
}

// Pieces a flush stored stay cached until verified (the engine hashes them
// next), within twice the cache's bounds; verified ones go first.
func TestChunkStoreWrittenPiecesCachedUntilVerified(t *testing.T) {
	const pieceLen = 16 << 10
	st := newMapPieces()
	c, err := newChunkStore(st, 8*pieceLen, pieceLen)
	require.NoError(t, err)
	c.flushEvery, c.maxCached = pieceLen, 2
	data := randomBytes(8*pieceLen, 12)
	for i := range 4 {
		_, err = c.WriteAt(data[i*pieceLen:(i+1)*pieceLen], int64(i*pieceLen))
		require.NoError(t, err)
	}
	require.Equal(t, 4, st.puts, "each piece flushed as it completed")
	got := make([]byte, 4*pieceLen)
	_, err = c.ReadAt(got, 0)
	require.NoError(t, err)
	assert.Equal(t, data[:4*pieceLen], got)
	assert.Zero(t, st.gets, "unverified written pieces stay cached past maxCached")

	for i := range 4 {
		c.MarkVerified(i)
	}
	_, err = c.WriteAt(data[4*pieceLen:5*pieceLen], 4*pieceLen)
	require.NoError(t, err)
	assert.LessOrEqual(t, len(c.cache), 2, "verified pieces are evicted to the bound")
	assert.Equal(t, 4, c.cache[0].index)

	// Unverified written pieces never take more than twice the bound.
	for i := 5; i < 8; i++ {
		_, err = c.WriteAt(data[i*pieceLen:(i+1)*pieceLen], int64(i*pieceLen))
		require.NoError(t, err)
	}
	assert.LessOrEqual(t, len(c.cache), 4)
	assert.Equal(t, 7, c.cache[0].index)
}
