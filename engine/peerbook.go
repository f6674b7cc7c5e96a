// The peer book: addresses to dial, their back-off and bans, and which of
// two connections to the same peer survives.

package engine

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/braid-bt/braid/core/session"
)

// candidate is an address we may dial and its back-off.
type candidate struct {
	next   time.Time
	fails  int // dial failures in a row
	closes int // connections lost without a ban, since the last dial failure
	dialed time.Time
	named  bool // the user named it (Spec.Peers): never given up on
}

// Candidate back-off. A failed dial waits fails²×15 s; a dropped connection
// waits 10 s, doubling with each drop in a row. Named peers are retried for
// as long as the torrent runs, at least every maxCandidateWait; others are
// forgotten after maxCandidateFails failures or drops.
const (
	maxCandidateFails = 5
	maxCandidateWait  = 5 * time.Minute
	closedWait        = 10 * time.Second
	bothSeedsWait     = 30 * time.Minute // neither side needs the other
)

// weDialLower reports whether our peer id sorts below theirs: of two
// connections between us, the one the lower id dialled is kept.
func (t *Torrent) weDialLower(theirs [20]byte) bool {
	ours := t.e.cfg.PeerID
	return bytes.Compare(ours[:], theirs[:]) < 0
}

// hostOf is the host part of a peer address, the unit of banning: the IP
// of "ip:port" (or "utp://ip:port"), the host of a "ws://host:port/" URL, and the whole address
// otherwise ("webrtc:<peer id>" peers have no address to share).
func hostOf(addr string) string {
	addr = withoutScheme(addr)
	if ap, err := netip.ParseAddrPort(addr); err == nil {
		return ap.Addr().Unmap().String()
	}
	if IsSignalURL(addr) {
		if u, err := url.Parse(addr); err == nil && u.Hostname() != "" {
			return u.Hostname()
		}
		return addr
	}
	if h, port, err := net.SplitHostPort(addr); err == nil {
		if _, err := strconv.ParseUint(port, 10, 16); err == nil {
			return h
		}
	}
	return addr
}

func (t *Torrent) addCandidate(addr string) {
	if _, ok := t.candidates[addr]; ok || len(t.candidates) >= 2000 {
		return
	}
	if t.banned[hostOf(addr)] {
		return
	}
	t.candidates[addr] = &candidate{named: slices.Contains(t.spec.Peers, addr)}
}

// rememberListener makes an incoming TCP peer that still lacked pieces
// when its connection ended a candidate at the listen port its extension
// handshake named, so the connection is dialled back. libtorrent drops a
// peer the moment it becomes a seed if it was not interested a moment
// before ("uninteresting upload-only peer"), though the piece that made it
// a seed is one it lacks; it would only reconnect by itself a minute or
// more later.
func (t *Torrent) rememberListener(p *peerConn) {
	if p.outgoing {
		return
	}
	eh := t.sess.PeerExtHandshake(p.id)
	if eh == nil || eh.Port <= 0 || eh.Port > 65535 || t.sess.PeerSeed(p.id) {
		return
	}
	ap, err := netip.ParseAddrPort(p.addr)
	if err != nil {
		return // not an ip:port address (WebRTC, WebSocket)
	}
	t.addCandidate(netip.AddrPortFrom(ap.Addr(), uint16(eh.Port)).String())
}

// onPeerClosed schedules the next dial of a candidate whose connection
// ended without a ban (the ban path forgets the address). Without this a
// candidate stayed parked where fillPeers put it while dialling, an hour
// away, and a download whose only peer dropped once never got it back.
func (t *Torrent) onPeerClosed(addr string, reason error, now time.Time) {
	c, ok := t.candidates[addr]
	if !ok {
		return
	}
	if errors.Is(reason, session.ErrBothSeeds) {
		c.next = now.Add(bothSeedsWait)
		return
	}
	if now.Sub(c.dialed) >= maxCandidateWait {
		c.closes = 0 // a long-lived connection ended: start the back-off afresh
	}
	c.closes++
	if c.closes > maxCandidateFails && !c.named {
		delete(t.candidates, addr)
		return
	}
	c.next = now.Add(min(closedWait<<min(c.closes-1, 8), maxCandidateWait))
}

// fillPeers dials candidates while there is room, within the engine's
// half-open limit.
func (t *Torrent) fillPeers(now time.Time) {
	if t.stopping || t.State() == StateError {
		return
	}
	for addr, c := range t.candidates {
		if len(t.peers)+t.dialing >= t.e.cfg.MaxPeersPerTorrent ||
			t.e.halfOpen.Load() >= int64(t.e.cfg.MaxHalfOpen) {
			return
		}
		if _, ok := t.byAddr[addr]; ok || now.Before(c.next) {
			continue
		}
		c.next = now.Add(time.Hour) // until the attempt reports back
		c.dialed = now
		t.dialing++
		t.e.halfOpen.Add(1)
		go func(addr string) {
			defer t.e.halfOpen.Add(-1)
			ctx, cancel := context.WithCancel(t.e.ctx)
			defer cancel()
			go func() {
				select {
				case <-t.quit:
					cancel()
				case <-ctx.Done():
				}
			}()
			pc, err := t.e.dialPeer(ctx, t.ih, addr)
			if err != nil {
				t.post(evDialFailed{addr: addr, err: err})
				return
			}
			if !t.post(evConnected{pc: pc}) {
				_ = pc.conn.Close()
			}
		}(addr)
	}
}

// onDialFailed backs a candidate off after a failed dial.
func (t *Torrent) onDialFailed(addr string, err error, now time.Time) {
	t.dialing--
	t.e.cfg.Logger.Debug("dial failed", "addr", addr, "err", err)
	if c, ok := t.candidates[addr]; ok {
		c.fails++
		c.closes = 0
		wait := time.Duration(c.fails*c.fails) * 15 * time.Second
		if c.named {
			wait = min(wait, maxCandidateWait)
		}
		c.next = now.Add(wait)
		if (c.fails >= maxCandidateFails && !c.named) || errors.Is(err, errSelf) {
			delete(t.candidates, addr)
		}
	}
}
