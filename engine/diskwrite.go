package engine

import (
	"cmp"
	"fmt"
	"slices"
	"sync"
)

const (
	// writeQueueBytes bounds received data waiting for the disk. Past it
	// the torrent loop waits for the writer, its event queue fills, and
	// peer readers stop reading: a slow disk slows the peers, not memory.
	writeQueueBytes = 4 << 20
	// writeRunBytes is the largest write adjacent blocks are merged into.
	// Into a fresh ext4 file, 1 GiB as 16 KiB pwrites took 0.5 CPU s, as
	// 256 KiB writes (copy included) 0.19 s.
	writeRunBytes = 256 << 10
)

// blockWriter is the part of storage the disk writer needs.
type blockWriter interface {
	WriteAt(p []byte, off int64) (int, error)
}

// vectorWriter is storage that writes several buffers in one call
// (persist.FileStorage: pwritev), so a run needs no merging copy.
type vectorWriter interface {
	WriteVAt(bufs [][]byte, off int64) (int, error)
}

// diskOp is a block to write or, with hash set, a piece whose blocks are
// all queued before it: it is hashed once they are on storage.
type diskOp struct {
	off   int64
	data  []byte
	buf   *[]byte // the pooled message buffer holding data; returned once written
	piece int
	hash  bool
}

// diskWriter takes storage writes off the torrent loop: the loop stages
// blocks while it handles messages, hands them over in bursts, and a
// goroutine writes them in order, merging adjacent blocks into larger
// writes. Piece hashing starts only after a piece's blocks are written,
// so what the hasher reads (and, once verified, what uploads read) is on
// storage. A torrent that never receives data never starts one.
type diskWriter struct {
	st     blockWriter
	onHash func(piece int) // runs on the writer goroutine

	staged []diskOp // owned by the loop

	mu      sync.Mutex
	queue   []diskOp
	bytes   int   // data queued or being written
	err     error // the first write error; later data is dropped
	closing bool

	wake  chan struct{} // queue or closing changed
	space chan struct{} // bytes fell
	done  chan struct{} // the goroutine has ended

	scratch []byte   // merges a run of blocks; writer goroutine only
	iov     [][]byte // a run's blocks for a vectored write; writer goroutine only
}

func newDiskWriter(st blockWriter, onHash func(piece int)) *diskWriter {
	w := &diskWriter{
		st: st, onHash: onHash,
		wake: make(chan struct{}, 1), space: make(chan struct{}, 1), done: make(chan struct{}),
	}
	go w.run()
	return w
}

// stage records a block (or a hash request) for the next flush; loop only.
func (w *diskWriter) stage(op diskOp) { w.staged = append(w.staged, op) }

// flush hands staged work to the writer. It waits while the queue is full,
// until the writer makes room or quit closes (the torrent is stopping: the
// staged work is then queued anyway, for close to drain).
func (w *diskWriter) flush(quit <-chan struct{}) {
	if len(w.staged) == 0 {
		return
	}
	stopping := false
	w.mu.Lock()
	for w.bytes >= writeQueueBytes && w.err == nil && !w.closing && !stopping {
		w.mu.Unlock()
		select {
		case <-w.space:
		case <-quit:
			stopping = true
		}
		w.mu.Lock()
	}
	for _, op := range w.staged {
		w.bytes += len(op.data)
	}
	w.queue = append(w.queue, w.staged...)
	w.mu.Unlock()
	clear(w.staged)
	w.staged = w.staged[:0]
	signal(w.wake)
}

// failure is the write error that stopped the writer, if any.
func (w *diskWriter) failure() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// close writes what is queued or staged (dropping hash requests: nobody
// is left to hear the result) and waits for the goroutine to end. Storage
// may be synced, closed or deleted after it returns.
func (w *diskWriter) close() {
	w.mu.Lock()
	for _, op := range w.staged {
		w.bytes += len(op.data)
	}
	w.queue = append(w.queue, w.staged...)
	w.closing = true
	w.mu.Unlock()
	clear(w.staged)
	w.staged = nil
	signal(w.wake)
	<-w.done
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

func (w *diskWriter) run() {
	defer close(w.done)
	var batch []diskOp
	for {
		w.mu.Lock()
		for len(w.queue) == 0 && !w.closing {
			w.mu.Unlock()
			<-w.wake
			w.mu.Lock()
		}
		if len(w.queue) == 0 {
			w.mu.Unlock()
			return
		}
		batch, w.queue = w.queue, batch[:0]
		closing := w.closing
		w.mu.Unlock()
		w.write(batch, closing)
		clear(batch)
	}
}

// write stores one batch. Blocks are sorted by offset (stable, so a
// rewritten block keeps its order) to merge neighbours that arrived
// interleaved from several peers. A piece is handed to the hasher as soon
// as the last of its blocks in the batch is written, not after the whole
// batch, so the hasher reads it while its files are still open.
func (w *diskWriter) write(batch []diskOp, closing bool) {
	slices.SortStableFunc(batch, func(a, b diskOp) int {
		if a.hash != b.hash {
			if a.hash {
				return 1
			}
			return -1
		}
		if a.hash {
			return 0
		}
		return cmp.Compare(a.off, b.off)
	})
	data := len(batch)
	for data > 0 && batch[data-1].hash {
		data--
	}
	hashes := batch[data:]
	var ends []int // per hash request: where its piece's last block in the batch ends; -1 once handed over
	if len(hashes) > 0 && !closing {
		last := make(map[int]int, len(hashes))
		for k, op := range batch[:data] {
			last[op.piece] = k + 1
		}
		ends = make([]int, len(hashes))
		for k, op := range hashes {
			ends[k] = last[op.piece]
		}
	}
	w.hashUpTo(hashes, ends, 0)
	i := 0
	for i < data {
		j := i + 1
		size := len(batch[i].data)
		for j < data && batch[j].off == batch[j-1].off+int64(len(batch[j-1].data)) &&
			size+len(batch[j].data) <= writeRunBytes {
			size += len(batch[j].data)
			j++
		}
		w.writeRun(batch[i:j], size)
		w.hashUpTo(hashes, ends, j)
		i = j
	}
}

// hashUpTo hands the hasher each piece of hashes whose blocks in the batch
// are all written (they end at or before written). No piece is hashed once
// a write has failed.
func (w *diskWriter) hashUpTo(hashes []diskOp, ends []int, written int) {
	if len(ends) == 0 {
		return
	}
	w.mu.Lock()
	failed := w.err != nil
	w.mu.Unlock()
	for k, op := range hashes {
		if ends[k] >= 0 && ends[k] <= written && !failed {
			ends[k] = -1
			w.onHash(op.piece)
		}
	}
}

// writeRun writes adjacent blocks as one write and releases their buffers.
func (w *diskWriter) writeRun(run []diskOp, size int) {
	w.mu.Lock()
	failed := w.err != nil
	w.mu.Unlock()
	var err error
	if !failed {
		var n int
		n, err = w.writeBlocks(run)
		if err != nil {
			err = fmt.Errorf("write piece %d: %w", pieceAt(run, run[0].off+int64(n)), err)
		}
	}
	for _, op := range run {
		putBuf(op.buf)
	}
	w.mu.Lock()
	if err != nil && w.err == nil {
		w.err = err
	}
	w.bytes -= size
	w.mu.Unlock()
	signal(w.space)
}

// writeBlocks writes a run of adjacent blocks with one call: vectored where the
// storage can, else merged into scratch.
func (w *diskWriter) writeBlocks(run []diskOp) (int, error) {
	if len(run) == 1 {
		return w.st.WriteAt(run[0].data, run[0].off)
	}
	if vw, ok := w.st.(vectorWriter); ok {
		w.iov = w.iov[:0]
		for _, op := range run {
			w.iov = append(w.iov, op.data)
		}
		n, err := vw.WriteVAt(w.iov, run[0].off)
		clear(w.iov) // the blocks go back to the pool
		return n, err
	}
	if cap(w.scratch) < writeRunBytes {
		w.scratch = make([]byte, 0, writeRunBytes)
	}
	data := w.scratch[:0]
	for _, op := range run {
		data = append(data, op.data...)
	}
	return w.st.WriteAt(data, run[0].off)
}

// pieceAt is the piece of the block in run holding byte off.
func pieceAt(run []diskOp, off int64) int {
	for _, op := range run {
		if off < op.off+int64(len(op.data)) {
			return op.piece
		}
	}
	return run[len(run)-1].piece
}
