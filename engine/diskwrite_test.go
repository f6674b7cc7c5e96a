package engine

import (
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// memDisk is storage that records each write; gate, when set, holds every
// write until it is closed, and failAt fails the write covering that byte.
type memDisk struct {
	mu     sync.Mutex
	data   []byte
	writes [][2]int64 // offset, length
	gate   chan struct{}
	failAt int64
}

func newMemDisk(size int) *memDisk { return &memDisk{data: make([]byte, size), failAt: -1} }

func (d *memDisk) WriteAt(p []byte, off int64) (int, error) {
	d.mu.Lock()
	gate := d.gate
	d.mu.Unlock()
	if gate != nil {
		<-gate
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.writes = append(d.writes, [2]int64{off, int64(len(p))})
	if d.failAt >= off && d.failAt < off+int64(len(p)) {
		n := copy(d.data[off:d.failAt], p)
		return n, syscall.ENOSPC
	}
	return copy(d.data[off:], p), nil
}

func (d *memDisk) setGate(g chan struct{}) {
	d.mu.Lock()
	d.gate = g
	d.mu.Unlock()
}

// queued is how many bytes wait in w or are being written.
func queued(w *diskWriter) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.bytes
}

func (d *memDisk) snapshot() ([]byte, [][2]int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]byte(nil), d.data...), append([][2]int64(nil), d.writes...)
}

// block is a pooled buffer holding n bytes of pattern seed, as a reader
// would hand it over.
func block(n int, seed byte) diskOp {
	buf := getBuf()
	for i := range n {
		*buf = append(*buf, seed+byte(i))
	}
	return diskOp{data: *buf, buf: buf}
}

func stageBlock(w *diskWriter, piece, pieceLen, begin, n int, seed byte) []byte {
	op := block(n, seed)
	op.piece, op.off = piece, int64(piece*pieceLen+begin)
	w.stage(op)
	return append([]byte(nil), op.data...)
}

// memVecDisk is memDisk with vectored writes: one recorded write per call.
type memVecDisk struct {
	*memDisk
	vcalls int
}

func (d *memVecDisk) WriteVAt(bufs [][]byte, off int64) (int, error) {
	var all []byte
	for _, b := range bufs {
		all = append(all, b...)
	}
	d.mu.Lock()
	d.vcalls++
	d.mu.Unlock()
	return d.WriteAt(all, off)
}

func TestDiskWriterMergesAndHashesAfterWrites(t *testing.T) {
	t.Run("merged", func(t *testing.T) { testDiskWriterMerges(t, false) })
	t.Run("vectored", func(t *testing.T) { testDiskWriterMerges(t, true) })
}

func testDiskWriterMerges(t *testing.T, vectored bool) {
	const pieceLen, blk = 4 * 16384, 16384
	disk := newMemDisk(2 * pieceLen)
	var st blockWriter = disk
	vd := &memVecDisk{memDisk: disk}
	if vectored {
		st = vd
	}
	want := make([]byte, 2*pieceLen)
	var mu sync.Mutex
	var hashed []int
	w := newDiskWriter(st, func(piece int) {
		// Every block of the piece is on storage when its hash starts.
		data, _ := disk.snapshot()
		off := piece * pieceLen
		assert.Equal(t, want[off:off+pieceLen], data[off:off+pieceLen], "piece %d hashed before written", piece)
		mu.Lock()
		hashed = append(hashed, piece)
		mu.Unlock()
	})
	// Two pieces arriving interleaved, as from two peers, in one burst.
	for k := range 4 {
		for piece := range 2 {
			seed := byte(piece*16 + k)
			copy(want[piece*pieceLen+k*blk:], stageBlock(w, piece, pieceLen, k*blk, blk, seed))
		}
	}
	w.stage(diskOp{piece: 0, hash: true})
	w.stage(diskOp{piece: 1, hash: true})
	w.flush(nil)
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(hashed) == 2
	}, 5*time.Second, time.Millisecond)
	w.close()

	data, writes := disk.snapshot()
	require.Equal(t, want, data)
	assert.Equal(t, [][2]int64{{0, 8 * blk}}, writes, "blocks sorted by offset merge into one write")
	if vectored {
		assert.Equal(t, 1, vd.vcalls, "the run is one vectored write")
		assert.Nil(t, w.scratch, "no merging copy")
	}
	assert.ElementsMatch(t, []int{0, 1}, hashed)
	assert.Zero(t, w.bytes, "every queued byte is accounted for")
	require.NoError(t, w.failure())
}

func TestDiskWriterRunsAreBounded(t *testing.T) {
	const blk = 16384
	n := 3 * writeRunBytes / blk
	disk := newMemDisk(n * blk)
	w := newDiskWriter(disk, func(int) {})
	for k := range n {
		stageBlock(w, 0, 0, k*blk, blk, byte(k))
	}
	w.flush(nil)
	w.close()
	_, writes := disk.snapshot()
	require.Len(t, writes, 3)
	for _, wr := range writes {
		assert.Equal(t, int64(writeRunBytes), wr[1])
	}
}

func TestDiskWriterError(t *testing.T) {
	const pieceLen, blk = 2 * 16384, 16384
	disk := newMemDisk(4 * pieceLen)
	disk.failAt = int64(pieceLen + blk + 5) // inside piece 1's second block
	var hashed []int
	w := newDiskWriter(disk, func(piece int) { hashed = append(hashed, piece) })
	for piece := range 2 {
		for k := range 2 {
			stageBlock(w, piece, pieceLen, k*blk, blk, 1)
		}
		w.stage(diskOp{piece: piece, hash: true})
	}
	w.flush(nil)
	require.Eventually(t, func() bool { return w.failure() != nil }, 5*time.Second, time.Millisecond)
	err := w.failure()
	require.ErrorIs(t, err, syscall.ENOSPC)
	assert.Contains(t, err.Error(), "write piece 1: ")

	// Later data is dropped, never written, and nothing is hashed after the
	// failure; the queue still drains, so the loop never waits on it.
	_, before := disk.snapshot()
	stageBlock(w, 3, pieceLen, 0, blk, 2)
	w.stage(diskOp{piece: 3, hash: true})
	w.flush(nil)
	w.close()
	_, after := disk.snapshot()
	assert.Equal(t, before, after)
	assert.NotContains(t, hashed, 1)
	assert.NotContains(t, hashed, 3)
	assert.Zero(t, w.bytes)
}

func TestDiskWriterBackPressure(t *testing.T) {
	const blk = 16384
	n := writeQueueBytes/blk + 1
	disk := newMemDisk((2*n + 1) * blk)
	gate := make(chan struct{})
	disk.setGate(gate)
	w := newDiskWriter(disk, func(int) {})
	for k := range n {
		stageBlock(w, 0, 0, k*blk, blk, byte(k))
	}
	w.flush(nil) // the queue is over its bound now; the disk is stuck

	stageBlock(w, 0, 0, n*blk, blk, 7)
	flushed := make(chan struct{})
	go func() {
		w.flush(nil)
		close(flushed)
	}()
	assert.Never(t, func() bool {
		select {
		case <-flushed:
			return true
		default:
			return false
		}
	}, 100*time.Millisecond, 5*time.Millisecond, "flush waits while the queue is full")
	close(gate)
	select {
	case <-flushed:
	case <-time.After(5 * time.Second):
		t.Fatal("flush still waits after the disk caught up")
	}

	require.Eventually(t, func() bool { return queued(w) == 0 }, 5*time.Second, time.Millisecond)

	// A stopping torrent does not wait for a stuck disk to take more.
	gate = make(chan struct{})
	disk.setGate(gate)
	for k := range n {
		stageBlock(w, 0, 0, (n+1+k)*blk, blk, byte(k))
	}
	w.flush(nil)
	stageBlock(w, 0, 0, 0, blk, 9)
	quit := make(chan struct{})
	close(quit)
	w.flush(quit)
	close(gate)
	w.close()
	assert.Zero(t, w.bytes)
}

func TestDiskWriterCloseDrainsStaged(t *testing.T) {
	const blk = 16384
	disk := newMemDisk(4 * blk)
	hashed := false
	w := newDiskWriter(disk, func(int) { hashed = true })
	want := append(stageBlock(w, 0, 0, 0, blk, 1), stageBlock(w, 0, 0, blk, blk, 2)...)
	w.stage(diskOp{piece: 0, hash: true})
	w.close() // never flushed: the loop ended mid-burst
	data, _ := disk.snapshot()
	assert.Equal(t, want, data[:2*blk])
	assert.False(t, hashed, "no hash once the loop is gone")
	select {
	case <-w.done:
	default:
		t.Fatal("writer goroutine still running after close")
	}
}

// BenchmarkWriteBlocks compares a pwrite per 16 KiB block, as the loop did,
// with the disk writer's merged writes, into a fresh sparse file in the
// temp directory each round (as a download writes).
func BenchmarkWriteBlocks(b *testing.B) {
	const blk, total = 16384, 64 << 20
	payload := make([]byte, blk)
	for i := range payload {
		payload[i] = byte(i)
	}
	fresh := func(b *testing.B) *os.File {
		b.StopTimer()
		defer b.StartTimer()
		f, err := os.Create(filepath.Join(b.TempDir(), "data"))
		require.NoError(b, err)
		require.NoError(b, f.Truncate(total))
		return f
	}
	b.Run("pwrite-per-block", func(b *testing.B) {
		b.SetBytes(total)
		for b.Loop() {
			f := fresh(b)
			for off := int64(0); off < total; off += blk {
				if _, err := f.WriteAt(payload, off); err != nil {
					b.Fatal(err)
				}
			}
			f.Close()
		}
	})
	b.Run("diskWriter", func(b *testing.B) {
		b.SetBytes(total)
		for b.Loop() {
			f := fresh(b)
			w := newDiskWriter(f, func(int) {})
			for off := int64(0); off < total; off += blk {
				buf := getBuf()
				*buf = append(*buf, payload...)
				w.stage(diskOp{off: off, data: *buf, buf: buf})
				if len(w.staged) == 64 {
					w.flush(nil)
				}
			}
			w.close()
			if err := w.failure(); err != nil {
				b.Fatal(err)
			}
			f.Close()
		}
	})
}

// A piece goes to the hasher as soon as its own blocks are written, not
// after the whole burst, so the hasher reads it while its files are open.
func TestDiskWriterHashesEachPieceOnceWritten(t *testing.T) {
	const blk = 16384
	const pieceLen = writeRunBytes
	disk := newMemDisk(3 * pieceLen)
	var mu sync.Mutex
	writesAtHash := map[int]int{}
	w := newDiskWriter(disk, func(piece int) {
		_, writes := disk.snapshot()
		mu.Lock()
		writesAtHash[piece] = len(writes)
		mu.Unlock()
	})
	for piece := range 3 {
		for k := range pieceLen / blk {
			stageBlock(w, piece, pieceLen, k*blk, blk, byte(piece))
		}
		w.stage(diskOp{piece: piece, hash: true})
	}
	w.flush(nil)
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(writesAtHash) == 3
	}, 5*time.Second, time.Millisecond)
	w.close()
	assert.Equal(t, map[int]int{0: 1, 1: 2, 2: 3}, writesAtHash, "piece p hashed right after its run, before the next")
	_, writes := disk.snapshot()
	assert.Len(t, writes, 3)
}
