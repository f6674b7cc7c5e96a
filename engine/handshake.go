// Handshakes: the incoming side (plain or MSE, which names the torrent)
// and the outgoing dial (plain, MSE, and the fallback to a second
// transport).

package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/braid-bt/braid/core/wire"
	"github.com/braid-bt/braid/transport"
	"github.com/braid-bt/braid/transport/tcp/mse"
)

// acceptPeer runs the incoming handshake: theirs first (it names the
// torrent), then ours. A peer of a transport MSE runs over may wrap it in
// MSE (see Encryption).
func (e *Engine) acceptPeer(c net.Conn, via transport.Transport) {
	defer e.inbound.Add(-1)
	_ = c.SetDeadline(wallDeadline(e.cfg.HandshakeTimeout))
	hs, c, err := e.readIncoming(c, via.Traits())
	if err != nil {
		e.cfg.Logger.Debug("incoming handshake", "addr", c.RemoteAddr().String(), "err", err)
		_ = c.Close()
		return
	}
	t := e.torrent(hs.InfoHash)
	if t == nil || hs.PeerID == e.cfg.PeerID {
		e.cfg.Logger.Debug("incoming connection refused", "addr", c.RemoteAddr().String(), "known torrent", t != nil)
		_ = c.Close()
		return
	}
	ours := e.handshakeFor(t, hs.InfoHash)
	if _, err := c.Write(ours.Append(nil)); err != nil {
		_ = c.Close()
		return
	}
	_ = c.SetDeadline(time.Time{})
	pc := pendingConn{conn: c, addr: c.RemoteAddr().String(), transport: via.Name(), traits: via.Traits(), hs: hs}
	if !t.post(evConnected{pc: pc}) {
		_ = c.Close()
	}
}

// readIncoming reads an incoming peer's handshake, first running the
// receiver's side of MSE when a peer of a transport MSE runs over starts
// with one. It returns the connection to go on with (the encrypted
// stream, if any).
func (e *Engine) readIncoming(c net.Conn, tr transport.Traits) (wire.Handshake, net.Conn, error) {
	var buf [wire.HandshakeLen]byte
	head := buf[:len(protocolHeader)]
	if _, err := io.ReadFull(c, head); err != nil {
		return wire.Handshake{}, c, err
	}
	plain := string(head) == protocolHeader
	switch {
	case plain && tr.MSE && e.cfg.Encryption == EncryptionRequired:
		return wire.Handshake{}, c, errPlainRefused
	case !plain && tr.MSE && e.cfg.Encryption != EncryptionDisabled:
		sc, _, method, err := mse.Accept(c, head, e.torrentByReq2, e.cfg.Encryption.allowed())
		if err != nil {
			return wire.Handshake{}, c, fmt.Errorf("encrypted: %w", err)
		}
		e.cfg.Logger.Debug("incoming MSE", "addr", c.RemoteAddr().String(), "method", method)
		c = sc
		head = buf[:0]
	}
	if _, err := io.ReadFull(c, buf[len(head):]); err != nil {
		return wire.Handshake{}, c, err
	}
	hs, err := wire.ParseHandshake(buf[:])
	return hs, c, err
}

func (e *Engine) handshake(ih [20]byte) wire.Handshake {
	hs := wire.Handshake{InfoHash: ih, PeerID: e.cfg.PeerID}
	hs.SetExtended()
	hs.SetFast()
	if e.cfg.DHT != nil {
		hs.SetDHT()
	}
	return hs
}

// dialPeer connects over the transport that takes addr and runs the
// outgoing handshake (ours first). Over a transport MSE runs over, the
// Encryption policy decides between plain and MSE: by default a peer that
// closes our first handshake unanswered is dialled again the other way at
// once (see dialStream). A peer that takes the connection but closes it
// before the handshakes are through is tried over the transport's
// fallback (TCP's is uTP: clients set to uTP only do that) in the time
// left. A refused dial is not: that is how a stale tracker entry answers,
// and a fallback dial to it would wait out its connect timeout in a dial
// slot.
func (e *Engine) dialPeer(ctx context.Context, ih [20]byte, addr string) (pendingConn, error) {
	if e.blockedIP(addrIP(addr)) {
		e.blocked.Add(1)
		return pendingConn{}, fmt.Errorf("%s: %w", addr, &dialFailed{errBlocked})
	}
	ctx, cancel := context.WithTimeout(ctx, e.cfg.HandshakeTimeout)
	defer cancel()
	d, daddr, err := e.dialerFor(addr)
	if err != nil {
		return pendingConn{}, fmt.Errorf("%s: %w", addr, err)
	}
	via := transport.Dialer(d)
	pc, err := e.dialStream(ctx, ih, d, daddr)
	var df *dialFailed
	if f, ok := d.(transport.Fallback); ok && f.Fallback() != nil && err != nil && !errors.As(err, &df) &&
		!errors.Is(err, errSelf) && !errors.Is(err, errWrongTorrent) && ctx.Err() == nil {
		via = f.Fallback()
		e.cfg.Logger.Debug("handshake cut short; dialling the fallback transport", "addr", addr,
			"transport", via.Name(), "err", err)
		pc, err = e.dialStream(ctx, ih, via, daddr)
	}
	if err != nil {
		if errors.Is(err, errSelf) {
			return pendingConn{}, err
		}
		return pendingConn{}, fmt.Errorf("%s: %w", addr, err)
	}
	pc.addr, pc.transport, pc.traits, pc.outgoing, pc.initiator = addr, via.Name(), via.Traits(), true, true
	return pc, nil
}

// dialStream dials addr over d once, or twice when the Encryption policy
// allows both and MSE runs over d: plain first and MSE when the peer
// closes the plain handshake, or (Traits.MSEFirst: uTP) MSE first and
// plain when the peer closes that. (Clients that require encryption close
// a plain TCP handshake at once, but over uTP libtorrent leaves it
// unanswered until the timeout, and a client taking only uTP may well
// require encryption.)
func (e *Engine) dialStream(ctx context.Context, ih [20]byte, d transport.Dialer, addr string) (pendingConn, error) {
	tr := d.Traits()
	if !tr.MSE {
		return e.dialOnce(ctx, ih, d, addr, false)
	}
	encrypt := e.cfg.Encryption == EncryptionRequired || (e.cfg.Encryption == EncryptionEnabled && tr.MSEFirst)
	pc, err := e.dialOnce(ctx, ih, d, addr, encrypt)
	if err != nil && e.cfg.Encryption == EncryptionEnabled && closedEarly(err) {
		e.cfg.Logger.Debug("handshake closed; dialling again", "addr", addr, "encrypted", !encrypt)
		pc, err = e.dialOnce(ctx, ih, d, addr, !encrypt)
	}
	return pc, err
}

// dialOnce dials addr over d and runs the handshake, plain or inside MSE.
func (e *Engine) dialOnce(ctx context.Context, ih [20]byte, d transport.Dialer, addr string, encrypt bool) (pendingConn, error) {
	c, err := e.dial(ctx, d, addr)
	if err != nil {
		return pendingConn{}, &dialFailed{err}
	}
	if !encrypt {
		return e.handshakeConn(c, ih)
	}
	if d, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(d)
	}
	ours := e.handshakeFor(e.torrent(ih), ih)
	sc, method, err := mse.Initiate(c, ih, e.cfg.Encryption.allowed(), ours.Append(nil))
	if err != nil {
		_ = c.Close()
		return pendingConn{}, fmt.Errorf("%w: %w", errMSEFailed, err)
	}
	e.cfg.Logger.Debug("outgoing MSE", "addr", addr, "method", method)
	return e.readTheirs(sc, ih)
}

var errSelf = errors.New("connected to ourselves")
