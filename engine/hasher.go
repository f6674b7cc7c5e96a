package engine

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/braid-bt/braid/core/merkle"
)

// pieceReader is the part of storage the hasher needs.
type pieceReader interface {
	ReadAt(p []byte, off int64) (int, error)
}

// hashJob verifies one piece: read length bytes at off and compare their
// hash with want (SHA-1, or v2's Merkle node; pieceLength is the
// torrent's, which the v2 check needs).
type hashJob struct {
	src         pieceReader
	off         int64
	length      int64
	pieceLength int64
	want        pieceWant
	// mismatch, if set, sees the data of a piece whose hash did not match,
	// on the worker, before done; data is valid only during the call, as
	// is blocks, the SHA-256 of each 16 KiB block of file data in the
	// piece (v2 checks only; nil otherwise).
	mismatch func(data []byte, blocks []merkle.Hash)
	// matched, if set, sees the block hashes of a v2 piece that matched,
	// on the worker, before done (valid only during the call).
	matched func(blocks []merkle.Hash)
	done    func(ok bool, err error)
}

// hasher is the engine's bounded hashing pool: one worker per core, shared
// by every torrent, so re-checks and downloads never hash on more threads
// than there are cores. Submit never blocks the caller (a torrent loop).
type hasher struct {
	mu     sync.Mutex
	cond   *sync.Cond
	queue  []hashJob
	closed bool
	wg     sync.WaitGroup
}

func newHasher(workers int) *hasher {
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	h := &hasher{}
	h.cond = sync.NewCond(&h.mu)
	h.wg.Add(workers)
	for i := 0; i < workers; i++ {
		go h.work()
	}
	return h
}

func (h *hasher) submit(j hashJob) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		j.done(false, errHasherClosed)
		return
	}
	h.queue = append(h.queue, j)
	h.mu.Unlock()
	h.cond.Signal()
}

var errHasherClosed = errors.New("hasher closed")

func (h *hasher) close() {
	h.mu.Lock()
	h.closed = true
	pending := h.queue
	h.queue = nil
	h.mu.Unlock()
	h.cond.Broadcast()
	for _, j := range pending {
		j.done(false, errHasherClosed)
	}
	h.wg.Wait()
}

func (h *hasher) work() {
	defer h.wg.Done()
	var buf []byte
	var blocks []merkle.Hash
	for {
		h.mu.Lock()
		for len(h.queue) == 0 && !h.closed {
			h.cond.Wait()
		}
		if h.closed {
			h.mu.Unlock()
			return
		}
		j := h.queue[0]
		h.queue[0] = hashJob{}
		h.queue = h.queue[1:]
		h.mu.Unlock()
		if int64(cap(buf)) < j.length {
			buf = make([]byte, j.length)
		}
		blocks = blocks[:0] // a v1 check leaves it empty
		ok, err := verifyPiece(j.src, buf[:j.length], j.off, j.pieceLength, j.want, &blocks)
		var bs []merkle.Hash
		if j.want.v2 != nil {
			bs = blocks
		}
		switch {
		case ok && j.matched != nil:
			j.matched(bs)
		case !ok && err == nil && j.mismatch != nil:
			j.mismatch(buf[:j.length], bs)
		}
		j.done(ok, err)
	}
}

// verifyPiece reads a piece and compares its hash. A piece that cannot be
// read (missing file, short file) is simply not present: ok is false and err
// says why, for the caller to log or to surface disk failures.
func verifyPiece(src pieceReader, buf []byte, off, pieceLength int64, want pieceWant, blocks *[]merkle.Hash) (bool, error) {
	n, err := src.ReadAt(buf, off)
	if err != nil && !(errors.Is(err, io.EOF) && n == len(buf)) {
		return false, fmt.Errorf("read piece at %d: %w", off, err)
	}
	return want.matches(buf, pieceLength, blocks), nil
}
