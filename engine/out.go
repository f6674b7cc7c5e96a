package engine

import (
	"errors"
	"slices"

	"github.com/braid-bt/braid/core/merkle"
	"github.com/braid-bt/braid/core/peers"
	"github.com/braid-bt/braid/core/picker"
	"github.com/braid-bt/braid/core/session"
	"github.com/braid-bt/braid/core/wire"
	"github.com/braid-bt/braid/persist"
)

// torrentOut is the session's Out for a torrent; its methods run on the loop.
type torrentOut Torrent

// Send queues a message to a peer.
func (o *torrentOut) Send(id session.PeerID, m *wire.Message) {
	t := (*Torrent)(o)
	if p, ok := t.peers[id]; ok {
		p.queueMessage(m)
	}
}

// SendBlock queues an upload; the writer reads the data when it sends.
func (o *torrentOut) SendBlock(id session.PeerID, piece, begin, length int) {
	t := (*Torrent)(o)
	if p, ok := t.peers[id]; ok {
		p.queueBlock(piece, begin, length)
	}
}

// WriteBlock queues received data for the disk writer. The block stays
// in the message buffer being handled (the loop then leaves that buffer to
// the writer); data from anywhere else is copied. A disk error stops the
// torrent with that error (see flushWrites); its verified state is kept.
func (o *torrentOut) WriteBlock(piece, begin int, data []byte) {
	t := (*Torrent)(o)
	if t.State() == StateError {
		return
	}
	buf := t.msgBuf
	t.msgBuf = nil
	if buf == nil {
		buf = getBuf()
		*buf = append((*buf)[:0], data...)
		data = *buf
	}
	t.writer().stage(diskOp{off: t.info.PieceOffset(piece) + int64(begin), data: data, buf: buf, piece: piece})
}

// HashPiece verifies a fully received piece on the hashing pool, once the
// disk writer has stored the blocks queued before this call.
func (o *torrentOut) HashPiece(piece int) {
	t := (*Torrent)(o)
	if t.State() == StateError {
		return
	}
	t.writer().stage(diskOp{piece: piece, hash: true})
}

// writer is the torrent's disk writer, started with the first write.
func (t *Torrent) writer() *diskWriter {
	if t.dw == nil {
		t.dw = newDiskWriter(t.storage, t.submitHash)
	}
	return t.dw
}

// pinner is storage that keeps a span's files open until released
// (persist.FileStorage).
type pinner interface {
	Pin(off, n int64) (release func())
}

// submitHash hands a written piece to the hashing pool; it runs on the
// disk writer's goroutine.
func (t *Torrent) submitHash(piece int) {
	if t.State() == StateError {
		return
	}
	// The session was made before the first write started this goroutine
	// and is never replaced; BlockSums reads only what New fixed.
	sess := t.sess
	var sums []uint64
	var blocks []merkle.Hash
	off, length := t.info.PieceOffset(piece), t.info.PieceSize(piece)
	// The piece's files stay open until it is hashed, however far the
	// writer runs ahead through other files meanwhile.
	unpin := func() {}
	if p, is := t.storage.(pinner); is {
		unpin = p.Pin(off, length)
	}
	t.e.hasher.submit(hashJob{
		src: t.storage, off: off, length: length,
		pieceLength: t.info.PieceLength, want: t.want(piece),
		mismatch: func(data []byte, bs []merkle.Hash) {
			sums = sess.BlockSums(data, nil)
			blocks = slices.Clone(bs) // what blockcheck.go compares with the piece's block hashes
		},
		done: func(ok bool, err error) {
			unpin()
			if vs, is := t.storage.(persist.VerifiedStore); is && ok {
				vs.MarkVerified(piece) // no I/O: stored with the next write or sync
			}
			t.post(evHashed{piece: piece, ok: ok, sums: sums, blocks: blocks, err: err})
		},
	})
}

// flushWrites hands what the loop staged to the disk writer (waiting while
// its queue is full) and stops the torrent if a write failed. Runs on the
// loop after each burst of events.
func (t *Torrent) flushWrites() {
	if t.dw == nil {
		return
	}
	t.dw.flush(t.quit)
	if err := t.dw.failure(); err != nil && t.State() != StateError {
		t.fail(err)
		t.halt = true
	}
}

// closeWriter drains the disk writer as the loop ends: storage is synced,
// closed or deleted only after every received block is written.
func (t *Torrent) closeWriter() {
	if t.msgBuf != nil {
		putBuf(t.msgBuf)
		t.msgBuf = nil
	}
	if t.dw != nil {
		t.dw.close()
	}
}

// ClosePeer drops a connection; banned peers' addresses are refused later.
func (o *torrentOut) ClosePeer(id session.PeerID, reason error) {
	t := (*Torrent)(o)
	p, ok := t.peers[id]
	if !ok {
		return
	}
	switch {
	case errors.Is(reason, session.ErrBanned):
		t.book.Ban(peers.HostOf(p.addr))
		t.e.cfg.Logger.Info("banned peer", "addr", p.addr, "reason", reason)
	case errors.Is(reason, session.ErrBothSeeds):
		t.book.Closed(peers.ConnID(id), peers.BothSeeds, t.e.clock.Now())
		fallthrough
	default:
		t.e.cfg.Logger.Debug("closing peer", "addr", p.addr, "reason", reason)
	}
	// The session has forgotten the peer; only the connection remains.
	t.dropPeer(p)
}

// Extended receives extension messages (metadata exchange and PEX come later).
func (o *torrentOut) Extended(id session.PeerID, extID uint8, payload []byte) {
	(*Torrent)(o).onExtended(id, extID, payload)
}

// Completed runs when every wanted piece is verified.
func (o *torrentOut) Completed() {
	t := (*Torrent)(o)
	t.markComplete(t.e.clock.Now(), true)
}

// readBlock reads upload data for a writer goroutine.
func (t *Torrent) readBlock(dst []byte, piece, begin int) error {
	off := t.info.PieceOffset(piece) + int64(begin)
	n, err := t.storage.ReadAt(dst, off)
	if n == len(dst) {
		return nil
	}
	return err
}

// extHandshake is our BEP 10 handshake payload: ut_metadata always (we
// fetch or serve the info dictionary), ut_pex unless the torrent is private
// (BEP 27), and the metadata size once we know it.
func (t *Torrent) extHandshake() []byte {
	eh := wire.ExtHandshake{
		M:    map[string]int{"ut_metadata": extMetadata},
		V:    clientName(t.e.cfg.Version),
		Port: int(t.e.cfg.Port),
		ReqQ: 500,
	}
	if t.info == nil || !t.info.Private {
		eh.M["ut_pex"] = extPEX
		eh.M[wire.ExtNameHolepunch] = extHolepunch
	}
	if t.info != nil {
		eh.MetadataSize = len(t.spec.InfoBytes)
	}
	return eh.Encode()
}

// torrentOut is also the session's UploadQueue: queued uploads stay bounded
// and cancellable.
var _ session.UploadQueue = (*torrentOut)(nil)

// QueuedBlocks is how many uploads wait in a peer's writer.
func (o *torrentOut) QueuedBlocks(id session.PeerID) int {
	if p, ok := o.peers[id]; ok {
		return p.queuedBlocks()
	}
	return 0
}

// CancelBlock removes a queued upload the peer cancelled.
func (o *torrentOut) CancelBlock(id session.PeerID, piece, begin, length int) bool {
	if p, ok := o.peers[id]; ok {
		return p.cancelBlock(piece, begin, length)
	}
	return false
}

// DropBlocks removes every queued upload (we choked the peer).
func (o *torrentOut) DropBlocks(id session.PeerID, dst []picker.Block) []picker.Block {
	if p, ok := o.peers[id]; ok {
		return p.dropBlocks(dst)
	}
	return dst
}

// clientName is what our extension handshake calls us (BEP 10 "v").
func clientName(version string) string {
	if version == "" {
		return "Braid"
	}
	return "Braid " + version
}
