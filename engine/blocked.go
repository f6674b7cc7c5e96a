// The IP blocklist: Config.Blocked refuses peers at blocked addresses
// both ways, on every transport whose peers have an IP (TCP, uTP,
// WebSocket), and drops blocked candidates before they are dialled.

package engine

import (
	"errors"
	"net"
	"net/netip"

	"github.com/braid-bt/braid/core/peers"
)

// errBlocked: the peer's IP is on the blocklist.
var errBlocked = errors.New("address blocked")

// blockedIP reports whether Config.Blocked refuses ip (IPv4-mapped IPv6
// asked as IPv4). An invalid IP (a peer without one) is not blocked.
func (e *Engine) blockedIP(ip netip.Addr) bool {
	return e.cfg.Blocked != nil && ip.IsValid() && e.cfg.Blocked(ip.Unmap().WithZone(""))
}

// connIP is the IP a connection's remote address names, if any.
func connIP(c net.Conn) netip.Addr {
	if c == nil || c.RemoteAddr() == nil {
		return netip.Addr{}
	}
	ap, err := netip.ParseAddrPort(c.RemoteAddr().String())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr()
}

// addrIP is the IP a peer address names ("ip:port", "utp://ip:port", a
// ws:// URL with an IP), if any.
func addrIP(addr string) netip.Addr {
	ip, _ := netip.ParseAddr(peers.HostOf(addr))
	return ip
}

// refuseIncoming reports (and counts) an accepted connection from a
// blocked IP, which the caller closes before reading a byte.
func (e *Engine) refuseIncoming(c net.Conn) bool {
	if !e.blockedIP(connIP(c)) {
		return false
	}
	e.blocked.Add(1)
	e.cfg.Logger.Debug("incoming connection blocked", "addr", c.RemoteAddr().String())
	return true
}

// refuseDialled checks a connection we dialled: a host name may have
// resolved to a blocked IP. It closes such a connection and counts it.
func (e *Engine) refuseDialled(c net.Conn) error {
	if !e.blockedIP(connIP(c)) {
		return nil
	}
	_ = c.Close()
	e.blocked.Add(1)
	return errBlocked
}

// bookFilter is the torrent's peers.Config.Blocked: it counts what it
// refuses for the torrent and the engine.
func (t *Torrent) bookFilter(ip netip.Addr) bool {
	if !t.e.blockedIP(ip) {
		return false
	}
	t.blocked.Add(1)
	t.e.blocked.Add(1)
	return true
}

// Blocked counts the connections and candidate addresses the blocklist
// refused, all torrents together, incoming connections refused before
// their handshake named a torrent included.
func (e *Engine) Blocked() int64 { return e.blocked.Load() }

// Blocked counts the candidate addresses and dials of this torrent the
// blocklist refused, and its connections closed when the list changed.
func (t *Torrent) Blocked() int64 { return t.blocked.Load() }

// DropBlocked closes the connections of every torrent to peers whose IP
// Config.Blocked now refuses: after the list changed. Candidates are
// dropped as they come due (peers.Book.Dials).
func (e *Engine) DropBlocked() {
	if e.cfg.Blocked == nil {
		return
	}
	e.mu.Lock()
	ts := e.registered()
	e.mu.Unlock()
	for _, t := range ts {
		t.post(evCmd{fn: t.dropBlocked, done: make(chan struct{})})
	}
}

// dropBlocked closes connections to blocked IPs; on the loop.
func (t *Torrent) dropBlocked() {
	now := t.e.clock.Now()
	for _, p := range t.peers {
		ip := connIP(p.conn)
		if !ip.IsValid() {
			ip = addrIP(p.addr)
		}
		if !t.e.blockedIP(ip) {
			continue
		}
		t.e.cfg.Logger.Debug("closing blocked peer", "addr", p.addr)
		t.blocked.Add(1)
		t.e.blocked.Add(1)
		t.dropPeer(p)
		t.phase.RemovePeer(p, now)
	}
}
