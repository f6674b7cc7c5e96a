package engine

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/braid-bt/braid/core/picker"
	"github.com/braid-bt/braid/core/session"
	"github.com/braid-bt/braid/core/wire"
	"github.com/braid-bt/braid/persist"
	"github.com/braid-bt/braid/transport"
	"golang.org/x/time/rate"
)

const (
	// readIdleTimeout drops a peer that sent nothing, not even a keep-alive
	// (sent every two minutes by every client), for this long.
	readIdleTimeout = 3 * time.Minute
	keepAliveEvery  = 90 * time.Second
	writeTimeout    = 60 * time.Second
	// maxBatchBytes bounds the piece data (with headers) a writer holds
	// and sends at once: 32 blocks of 16 KiB, or fewer of the longer
	// requests some clients make (up to wire.MaxRequestLength). The upload
	// limiter's burst is one batch.
	maxBatchBytes = 32 * (wire.BlockSize + wire.PieceHeaderLen)
	// maxQueuedBytes bounds encoded messages waiting for a peer. A peer
	// that stops reading while it floods us with requests (each answered
	// by a reject) is dropped rather than buffered without end.
	maxQueuedBytes = 1 << 20
)

// queuedBlock is an accepted upload request; its data is read from storage
// only when the writer is about to send it, so queued requests cost no memory.
type queuedBlock struct {
	piece, begin, length int
}

// peerConn owns one peer connection: a reader goroutine that parses
// messages and hands them to the torrent loop, and a writer goroutine that
// drains what the session queued. Only the queue is shared, under mu.
type peerConn struct {
	id        session.PeerID
	t         *Torrent
	conn      net.Conn
	addr      string
	transport string
	traits    transport.Traits
	outgoing  bool
	initiator bool
	hs        wire.Handshake
	hashLim   *rate.Limiter // BEP 52 hash messages (reader only)

	mu     sync.Mutex
	out    []byte
	blocks []queuedBlock
	wake   chan struct{}

	closeOnce sync.Once
	closed    chan struct{}
}

func newPeerConn(t *Torrent, id session.PeerID, pc pendingConn) *peerConn {
	return &peerConn{
		id: id, t: t, conn: pc.conn, addr: pc.addr, transport: pc.transport, traits: pc.traits,
		outgoing: pc.outgoing, initiator: pc.initiator, hs: pc.hs, hashLim: newHashLimiter(),
		wake: make(chan struct{}, 1), closed: make(chan struct{}),
	}
}

func (p *peerConn) start() {
	go p.readLoop()
	go p.writeLoop()
}

func (p *peerConn) signal() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// queueMessage encodes m for sending; it never blocks.
func (p *peerConn) queueMessage(m *wire.Message) {
	p.mu.Lock()
	over := len(p.out) > maxQueuedBytes
	if !over {
		p.out = wire.AppendMessage(p.out, m)
	}
	p.mu.Unlock()
	if over {
		p.close() // its reader reports the close to the loop
		return
	}
	p.signal()
}

func (p *peerConn) queueBlock(piece, begin, length int) {
	p.mu.Lock()
	p.blocks = append(p.blocks, queuedBlock{piece: piece, begin: begin, length: length})
	p.mu.Unlock()
	p.signal()
}

func (p *peerConn) close() {
	p.closeOnce.Do(func() {
		close(p.closed)
		_ = p.conn.Close()
	})
}

// readBufBytes is each connection's receive buffer: two blocks' messages,
// so a download reads about one 32 KiB chunk per call (without it, two calls
// per 16 KiB block: 66,000 reads for 512 MiB).
const readBufBytes = 32 << 10

func (p *peerConn) readLoop() {
	lim := wire.DefaultLimits(0) // 1 MiB: room for a bitfield of 8 million pieces
	if info := p.t.spec.Info; info != nil {
		lim = wire.DefaultLimits(info.NumPieces())
	}
	// Read through a buffer: a message's length and body, and the small
	// messages that follow, then cost one read call instead of two or more.
	r := bufio.NewReaderSize(p.conn, readBufBytes)
	var err error
	for {
		bufp := getBuf()
		var m wire.Message
		_ = p.conn.SetReadDeadline(wallDeadline(readIdleTimeout))
		m, *bufp, err = wire.ReadMessage(r, *bufp, lim)
		if errors.Is(err, wire.ErrUnknownMessage) {
			// A message of a type Braid does not speak was read whole: the
			// stream is in sync, and the peer keeps its connection. BEP
			// 52's hash messages are a v2 torrent's (hashserve.go).
			err = nil
			ok := true
			if isHashMsg(m.Type) && p.t.speaksV2() { // a hybrid magnet's once its metadata shows it
				ok, err = p.onHashMsg(&m, p.t.e.clock.Now())
			}
			putBuf(bufp)
			if !ok {
				err = errTorrentClosed
			}
			if err != nil || !ok {
				break
			}
			continue
		}
		if err != nil {
			putBuf(bufp)
			break
		}
		if m.Type == wire.Piece && !m.KeepAlive {
			if err = p.limitDownload(len(m.Block)); err != nil {
				putBuf(bufp)
				break
			}
		}
		if !p.t.post(evMessage{peer: p, msg: m, buf: bufp}) {
			putBuf(bufp)
			err = errTorrentClosed
			break
		}
	}
	p.close()
	p.t.post(evPeerClosed{peer: p, err: err})
}

func (p *peerConn) writeLoop() {
	var (
		out    []byte
		blocks []queuedBlock
		data   = make([]byte, 0, 4096)
		bufs   net.Buffers
	)
	keepAlive := time.NewTimer(keepAliveEvery)
	defer keepAlive.Stop()
	for {
		select {
		case <-p.closed:
			return
		case <-p.wake:
		case <-keepAlive.C:
			p.queueMessage(&wire.Message{KeepAlive: true})
			keepAlive.Reset(keepAliveEvery)
			continue
		}
		for {
			// Messages go ahead of queued blocks, so our requests and HAVEs
			// never wait behind seconds of upload. The session drops queued
			// blocks when it chokes, so no block follows its Choke.
			p.mu.Lock()
			out, p.out = p.out, out[:0]
			n := batchLen(p.blocks)
			blocks = append(blocks[:0], p.blocks[:n]...)
			p.blocks = p.blocks[:copy(p.blocks, p.blocks[n:])]
			p.mu.Unlock()
			if len(out) == 0 && len(blocks) == 0 {
				break
			}
			var err error
			bufs, data, err = p.assemble(bufs[:0], data[:0], out, blocks)
			if err != nil {
				p.t.e.cfg.Logger.Debug("read upload data", "addr", p.addr, "err", err)
				p.t.post(evPeerClosed{peer: p, err: err})
				p.close()
				return
			}
			if len(blocks) > 0 {
				if err := p.limitUpload(len(data)); err != nil {
					p.t.e.cfg.Logger.Debug("upload limiter", "addr", p.addr, "err", err)
					p.close()
					return
				}
			}
			_ = p.conn.SetWriteDeadline(wallDeadline(writeTimeout))
			if _, err := bufs.WriteTo(p.conn); err != nil {
				p.t.e.cfg.Logger.Debug("write to peer", "addr", p.addr, "err", err)
				p.close()
				return
			}
			keepAlive.Reset(keepAliveEvery)
		}
	}
}

// batchLen is how many of the queued blocks the next batch takes: as many
// as fit in maxBatchBytes, and at least one.
func batchLen(queued []queuedBlock) int {
	size := 0
	for i, b := range queued {
		size += wire.PieceHeaderLen + b.length
		if size > maxBatchBytes && i > 0 {
			return i
		}
	}
	return len(queued)
}

// assemble lays out one batch: the message bytes, then each block's header
// and data, read from storage now. Blocks that follow each other in one
// piece (peers ask for a piece's blocks in order) are read with one call.
func (p *peerConn) assemble(bufs net.Buffers, data, out []byte, blocks []queuedBlock) (net.Buffers, []byte, error) {
	need := 0
	for _, b := range blocks {
		need += wire.PieceHeaderLen + b.length
	}
	if cap(data) < need {
		data = make([]byte, 0, need)
	}
	if len(out) > 0 {
		bufs = append(bufs, out)
	}
	start := len(data)
	for i := 0; i < len(blocks); {
		j := i + 1
		for j < len(blocks) && blocks[j].piece == blocks[i].piece &&
			blocks[j].begin == blocks[j-1].begin+blocks[j-1].length {
			j++
		}
		data = p.appendRun(data, blocks[i:j])
		i = j
	}
	if len(data) > start {
		bufs = append(bufs, data[start:])
	}
	return bufs, data, nil
}

// runBufs holds the buffers runs of blocks are read into: one per writer
// assembling a batch at that moment, not one per connection.
var runBufs = sync.Pool{New: func() any { b := make([]byte, 0, maxBatchBytes); return &b }}

// appendRun appends the headers and data of blocks that follow each other
// in one piece, read with one call; if that read fails, block by block,
// so the block whose data is gone is found.
func (p *peerConn) appendRun(data []byte, run []queuedBlock) []byte {
	if len(run) > 1 {
		if vs, ok := p.t.storage.(persist.VectorStorage); ok {
			if out, ok := p.readRunV(vs, data, run); ok {
				return out
			}
		} else if out, ok := p.readRunCopy(data, run); ok {
			return out
		}
	}
	for _, b := range run {
		hdr := len(data)
		data = wire.AppendPieceHeader(data, uint32(b.piece), uint32(b.begin), b.length)
		body := data[len(data) : len(data)+b.length]
		if err := p.t.readBlock(body, b.piece, b.begin); err != nil {
			// The data may be gone (a file truncated or deleted under us):
			// the loop checks the piece, and the block is not sent.
			p.t.e.cfg.Logger.Debug("read upload data", "addr", p.addr, "piece", b.piece, "err", err)
			p.t.post(evUploadReadFailed{piece: b.piece, err: err})
			data = data[:hdr]
			continue
		}
		data = data[:len(data)+b.length]
	}
	return data
}

// readRunCopy reads a run into a pooled buffer with one call and copies
// each block after its header (storage without vectored reads).
func (p *peerConn) readRunCopy(data []byte, run []queuedBlock) ([]byte, bool) {
	total := 0
	for _, b := range run {
		total += b.length
	}
	bp := runBufs.Get().(*[]byte)
	defer runBufs.Put(bp)
	if cap(*bp) < total {
		*bp = make([]byte, 0, total)
	}
	buf := (*bp)[:total]
	if p.t.readBlock(buf, run[0].piece, run[0].begin) != nil {
		return data, false
	}
	for _, b := range run {
		data = wire.AppendPieceHeader(data, uint32(b.piece), uint32(b.begin), b.length)
		data = append(data, buf[:b.length]...)
		buf = buf[b.length:]
	}
	return data, true
}

// readRunV reads a run straight into its messages, each block after its
// header, with one vectored call (no copy). On failure data is as given.
func (p *peerConn) readRunV(vs persist.VectorStorage, data []byte, run []queuedBlock) ([]byte, bool) {
	start := len(data)
	need := 0
	for _, b := range run {
		need += wire.PieceHeaderLen + b.length
	}
	data = slices.Grow(data, need)
	iov := make([][]byte, 0, len(run))
	for _, b := range run {
		data = wire.AppendPieceHeader(data, uint32(b.piece), uint32(b.begin), b.length)
		iov = append(iov, data[len(data):len(data)+b.length])
		data = data[:len(data)+b.length]
	}
	off := p.t.info.PieceOffset(run[0].piece) + int64(run[0].begin)
	if n, err := vs.ReadVAt(iov, off); err != nil || n != need-len(run)*wire.PieceHeaderLen {
		return data[:start], false
	}
	return data, true
}

// queuedBlocks, cancelBlock and dropBlocks serve the session's UploadQueue.
func (p *peerConn) queuedBlocks() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.blocks)
}

func (p *peerConn) cancelBlock(piece, begin, length int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, b := range p.blocks {
		if b.piece == piece && b.begin == begin && b.length == length {
			p.blocks = append(p.blocks[:i], p.blocks[i+1:]...)
			return true
		}
	}
	return false
}

func (p *peerConn) dropBlocks(dst []picker.Block) []picker.Block {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, b := range p.blocks {
		dst = append(dst, picker.Block{Piece: b.piece, Begin: b.begin, Length: b.length})
	}
	p.blocks = p.blocks[:0]
	return dst
}

var errTorrentClosed = errors.New("torrent closed")

// Message buffers cycle between readers, the torrent loop and the disk
// writer: a block is read into one, handed by the loop to the writer, and
// the buffer comes back once the block is on storage.
var bufPool = sync.Pool{New: func() any {
	b := make([]byte, 0, wire.BlockSize+16)
	return &b
}}

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(b *[]byte) {
	if b == nil || cap(*b) > wire.MaxRequestLength+wire.PieceHeaderLen {
		return // oversized bitfields and extension messages are not pooled
	}
	*b = (*b)[:0]
	bufPool.Put(b)
}

// downloadBurst is the download limiter's bucket: one block and then
// some, so a block is never larger than what the bucket can grant.
const downloadBurst = 4 * wire.BlockSize

// waitDownload takes n bytes from the download limiter, in pieces no
// larger than its burst (peers may send blocks larger than 16 KiB);
// a connection that closes stops waiting. Holding the block back holds
// back the reads after it, so TCP's window slows the peer instead of our
// memory filling up.
func waitDownload(ctx context.Context, lim *rate.Limiter, n int, closed <-chan struct{}) error {
	if err := waitLimiter(ctx, lim, n, closed); err != nil {
		return fmt.Errorf("download limiter: %w", err)
	}
	return nil
}
