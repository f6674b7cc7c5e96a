// The peer book's I/O: core/peers decides which addresses to dial, their
// back-off, bans and which of two connections to one peer survives; the
// loop feeds it events and dials what it returns.

package engine

import (
	"errors"
	"net/netip"
	"time"

	"github.com/braid-bt/braid/core/peers"
)

// rememberListener makes an incoming TCP peer that still lacked pieces
// when its connection ended a candidate at the listen port its extension
// handshake named, so the connection is dialled back. libtorrent drops a
// peer the moment it becomes a seed if it was not interested a moment
// before ("uninteresting upload-only peer"), though the piece that made it
// a seed is one it lacks; it would only reconnect by itself a minute or
// more later.
func (t *Torrent) rememberListener(p *peerConn, now time.Time) {
	if p.outgoing {
		return
	}
	eh := t.sess.PeerExtHandshake(p.id)
	if eh == nil || t.sess.PeerSeed(p.id) {
		return
	}
	t.book.AddListenPort(p.addr, eh.Port, now)
}

// fillPeers dials the candidates the book picks, within the engine's
// half-open limit.
func (t *Torrent) fillPeers(now time.Time) {
	for _, addr := range t.book.Dials(now, t.e.cfg.MaxHalfOpen-int(t.e.halfOpen.Load())) {
		t.dialAsync(addr)
	}
}

// dialAsync dials addr, an address the book handed out, and reports the
// outcome to the loop.
func (t *Torrent) dialAsync(addr string) {
	t.e.halfOpen.Add(1)
	ih := t.dialHash(addr)
	go func() {
		defer t.e.halfOpen.Add(-1)
		ctx, cancel := t.quitContext()
		defer cancel()
		pc, err := t.e.dialPeer(ctx, ih, addr)
		if err != nil {
			t.post(evDialFailed{addr: addr, err: err})
			return
		}
		if !t.post(evConnected{pc: pc}) {
			_ = pc.conn.Close()
		}
	}()
}

// onDialFailed reports a failed dial to the book, which backs the address
// off (or forgets it: an address that turned out to be ours at once).
func (t *Torrent) onDialFailed(addr string, err error, now time.Time) {
	t.e.cfg.Logger.Debug("dial failed", "addr", addr, "err", err)
	f := peers.DialError
	switch {
	case errors.Is(err, errSelf):
		f = peers.DialSelf
	case errors.Is(err, errBlocked):
		f = peers.DialBlocked
		t.blocked.Add(1)
	}
	t.book.DialFailed(addr, f, now)
	if f == peers.DialError {
		t.askIntroduction(addr, err, now)
	}
}

// learnSelf tells the book our address as peers see it, for BEP 40
// ranking: the IP most of our peers name as yourip in their extension
// handshakes (ties to the lowest, so one liar among honest peers changes
// nothing), with our listen port.
func (t *Torrent) learnSelf() {
	votes := make(map[netip.Addr]int)
	for id := range t.peers {
		eh := t.sess.PeerExtHandshake(id)
		if eh == nil {
			continue
		}
		if ip, ok := netip.AddrFromSlice(eh.YourIP); ok {
			votes[ip.Unmap()]++
		}
	}
	var best netip.Addr
	for ip, n := range votes {
		if !best.IsValid() || n > votes[best] || (n == votes[best] && ip.Less(best)) {
			best = ip
		}
	}
	if best.IsValid() {
		t.book.SetSelf(netip.AddrPortFrom(best, t.e.cfg.Port))
	}
}
