// The torrent loop: one goroutine owns a torrent's state and reacts to
// its events (peer messages, connections, hashes, ticks, commands).

package engine

import (
	"errors"
	"net"
	"time"

	"github.com/braid-bt/braid/core/merkle"
	"github.com/braid-bt/braid/core/peers"
	"github.com/braid-bt/braid/core/wire"
	"github.com/braid-bt/braid/internal/timing"
	"github.com/braid-bt/braid/transport"
)

// event is anything the loop reacts to.
type event interface{}

type (
	evMessage struct {
		peer *peerConn
		msg  wire.Message
		buf  *[]byte
	}
	evPeerClosed struct {
		peer *peerConn
		err  error
	}
	evConnected  struct{ pc pendingConn }
	evDialFailed struct {
		addr string
		err  error
	}
	evHashed struct {
		piece int
		ok    bool
		sums  []uint64 // of a piece that failed: session.BlockSums
		// blocks are the SHA-256 of a failed v2 piece's 16 KiB blocks
		// (blockcheck.go); nil otherwise.
		blocks []merkle.Hash
		err    error
	}
	evPeers struct {
		addrs  []string
		source peers.Source
		v2     bool // found in a hybrid's v2 swarm
	}
	evCmd struct {
		fn   func()
		done chan struct{}
	}
)

// pendingConn is a handshaken connection waiting to join a torrent.
type pendingConn struct {
	conn      net.Conn
	addr      string
	transport string
	traits    transport.Traits
	outgoing  bool // we dialled it (counts against our dials in progress)
	initiator bool // our side opened it: we dialled, or made the WebRTC offer
	hs        wire.Handshake
}

// post hands an event to the loop; false once the torrent has stopped.
func (t *Torrent) post(ev event) bool {
	select {
	case t.events <- ev:
		return true
	case <-t.quit:
		return false
	}
}

// do runs fn on the loop and waits; false if the torrent has stopped.
func (t *Torrent) do(fn func()) bool {
	done := make(chan struct{})
	if !t.post(evCmd{fn: fn, done: done}) {
		return false
	}
	select {
	case <-done:
		return true
	case <-t.loopDone:
		return false
	}
}

func (t *Torrent) fail(err error) {
	if t.Err() == nil {
		t.errv.Store(err)
	}
	t.state.Store(StateError)
	t.book.Halt()
	t.e.cfg.Logger.Error("torrent stopped", "name", t.Name(), "err", err)
}

func (t *Torrent) run() {
	defer close(t.loopDone)
	defer t.closeChecked()
	defer t.closeWriter()
	now := t.e.clock.Now()
	if t.info != nil {
		if !t.verifyOnDisk() {
			return
		}
		timing.Mark("checked")
		// The session and its state first: whoever waits on Checked then
		// sees Downloading or Seeding, never Checking.
		t.startSession(now)
		t.closeChecked()
		timing.Mark("session")
	} else {
		t.startMetadata()
	}
	t.startAnnouncer()
	t.runDHT()
	t.runLSD()
	for _, a := range t.spec.Peers {
		t.book.Add(a, peers.FromUser, now)
	}
	t.fillPeers(now)

	ticks, unsubscribe := t.e.clock.Subscribe()
	defer unsubscribe()
	marker, _ := t.e.clock.(idleMarker)
	idle := false
	for {
		// A seed without peers has nothing to time but record saves and
		// dial retries: it takes fewer ticks (a peer's arrival is an event,
		// which wakes it at once).
		if now := t.idle(); marker != nil && now != idle {
			idle = now
			marker.setIdle(ticks, idle)
		}
		select {
		case ev := <-t.events:
			t.handle(ev)
			// Drain what is already queued before the next timer check:
			// blocks arrive in bursts.
			for i := 0; i < 64; i++ {
				select {
				case ev := <-t.events:
					t.handle(ev)
					continue
				default:
				}
				break
			}
		case now := <-ticks:
			t.onTick(now)
		case <-t.quit:
			t.closeAllPeers()
			t.drain()
			return
		}
		t.flushWrites()
		if t.halt {
			t.halt = false
			now := t.e.clock.Now()
			t.phase.Stop(now)
			t.closeAllPeers()
			t.saveRecord(now)
		}
		if t.stopping {
			t.closeAllPeers()
			t.drain()
			return
		}
	}
}

// drain releases buffers of events that will never be handled and closes
// connections that raced with shutdown.
func (t *Torrent) drain() {
	for {
		select {
		case ev := <-t.events:
			switch ev := ev.(type) {
			case evMessage:
				putBuf(ev.buf)
			case evConnected:
				_ = ev.pc.conn.Close()
			case evCmd:
				close(ev.done)
			}
		default:
			return
		}
	}
}

func (t *Torrent) handle(ev event) {
	now := t.e.clock.Now()
	switch ev := ev.(type) {
	case evMessage:
		t.msgBuf = ev.buf
		if p, ok := t.peers[ev.peer.id]; ok && p == ev.peer {
			if ev.msg.Type == wire.Port && !ev.msg.KeepAlive {
				t.onPortMessage(p, ev.msg.Port)
			}
			t.phase.Message(p, &ev.msg, now)
		}
		if t.msgBuf != nil {
			putBuf(t.msgBuf)
			t.msgBuf = nil
		}
	case evPeerClosed:
		if p, ok := t.peers[ev.peer.id]; ok && p == ev.peer {
			t.e.cfg.Logger.Debug("peer closed", "addr", p.addr, "transport", p.transport, "err", ev.err)
			t.dropPeer(p)
			t.phase.PeerClosed(p, now)
			t.fillPeers(now)
		}
	case evConnected:
		t.onConnected(ev.pc, now)
	case evDialFailed:
		t.onDialFailed(ev.addr, ev.err, now)
	case evHashed: // only the session hashes pieces
		if ev.err != nil && !errors.Is(ev.err, errHasherClosed) {
			t.e.cfg.Logger.Debug("hash read", "piece", ev.piece, "err", ev.err)
		}
		if ev.ok || ev.err != nil || !t.checkBlocks(ev.piece, ev.blocks, ev.sums, now) {
			t.sess.PieceHashed(ev.piece, ev.ok, ev.sums, now)
		}
		t.publish(now)
	case evPeers:
		if ev.v2 {
			t.markV2(ev.addrs)
		}
		for _, a := range ev.addrs {
			t.book.Add(a, ev.source, now)
		}
		t.fillPeers(now)
	case evCmd:
		ev.fn()
		close(ev.done)
	case evHashMsg:
		if p, ok := t.peers[ev.peer.id]; ok && p == ev.peer {
			if lp, ok := t.phase.(*layerPhase); ok {
				lp.hashMsg(p, &ev.msg, now)
			} else if t.sess != nil && !t.hybridHashMsg(p, &ev.msg, now) {
				t.blockHashMsg(p, &ev.msg, now)
			}
		}
	case evBlockHashReq:
		if p, ok := t.peers[ev.peer.id]; ok && p == ev.peer {
			t.serveBlockHashes(p, &ev.msg, now)
		} else {
			ev.peer.rejectHashMsg(&ev.msg)
		}
	case evBlockServed:
		t.v2b.served(ev.peer)
	case evUploadReadFailed:
		t.onUploadReadFailed(ev.piece, ev.err)
	case evRechecked:
		t.onRechecked(ev.piece, ev.ok, now)
	}
}

// idle reports whether the torrent seeds with no peer connected.
func (t *Torrent) idle() bool {
	st := t.State()
	return len(t.peers) == 0 && (st == StateSeeding || st == StateFinished)
}

func (t *Torrent) onTick(now time.Time) {
	t.phase.Tick(now)
	if t.sess != nil {
		t.blockChecksTick(now)
		t.hybridSchedule(now)
	}
	if t.sess != nil {
		t.learnSelf()
	}
	t.fillPeers(now)
}

// recordChanged reports whether a periodic save would write anything new:
// idle torrents (most of a seedbox) then cost no disk writes at all.
func (t *Torrent) recordChanged() bool {
	return t.sess.Have().Count() != t.savedHave || t.uploaded.Load() != t.savedUp ||
		t.downloaded.Load() != t.savedDown
}

// publish copies counters other goroutines (trackers, stats) read; the
// session counts them.
func (t *Torrent) publish(now time.Time) {
	st := t.sess.Stats(now)
	t.uploaded.Store(t.baseUp + st.Uploaded)
	t.downloaded.Store(t.baseDown + st.Downloaded)
	t.left.Store(st.Left)
}
