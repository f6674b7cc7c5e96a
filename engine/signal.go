package engine

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/braid-bt/braid/core/wire"
	"github.com/braid-bt/braid/tracker"
	"github.com/braid-bt/braid/transport"
)

// IsSignalURL reports whether a tracker URL is a WebSocket (signalling)
// tracker rather than an HTTP or UDP one.
func IsSignalURL(u string) bool {
	l := strings.ToLower(u)
	return strings.HasPrefix(l, "ws://") || strings.HasPrefix(l, "wss://")
}

// splitSignalTiers separates WebSocket trackers (signalling) from the
// HTTP/UDP tiers the announcer serves.
func splitSignalTiers(tiers [][]string) (classic [][]string, signal []string) {
	for _, tier := range tiers {
		var keep []string
		for _, u := range tier {
			if IsSignalURL(u) {
				signal = append(signal, u)
			} else {
				keep = append(keep, u)
			}
		}
		if len(keep) > 0 {
			classic = append(classic, keep)
		}
	}
	return classic, signal
}

// signalStatus is implemented by signallers that report on their tracker.
type signalStatus interface {
	Status() (lastErr error, lastAnnounce time.Time, peers int)
}

// signalSet runs a torrent's signallers.
type signalSet struct {
	urls   []string
	list   []transport.Signaller
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// startSignallers runs one Signaller per WebSocket tracker of the torrent
// (and per engine-wide one), unless the torrent is private or the engine
// has no signalling transport.
func (t *Torrent) startSignallers(urls []string) {
	sig := t.e.signalled()
	if sig == nil || t.private.Load() {
		return
	}
	seen := map[string]bool{}
	ctx, cancel := context.WithCancel(t.e.ctx)
	set := &signalSet{cancel: cancel}
	for _, u := range append(append([]string(nil), urls...), t.e.cfg.SignalTrackers...) {
		if seen[u] {
			continue
		}
		seen[u] = true
		s, err := sig.Signal(transport.SignalSpec{
			URL: u, InfoHash: t.ih, PeerID: t.e.cfg.PeerID,
			Stats: func() (int64, int64, int64) {
				return t.uploaded.Load(), t.downloaded.Load(), t.left.Load()
			},
			Want: func() bool {
				return t.numPeers.Load() < int64(t.MaxPeers()) &&
					t.e.conns.Load() < int64(t.e.cfg.MaxConns)
			},
			OnConn:    func(c net.Conn, id [20]byte) { t.e.AddConn(t.ih, c, sig, id) },
			Connected: t.connectedTo,
		})
		if err != nil {
			t.e.cfg.Logger.Warn("signalling tracker", "url", u, "err", err)
			continue
		}
		set.list = append(set.list, s)
		set.urls = append(set.urls, u)
		set.wg.Add(1)
		go func() {
			defer set.wg.Done()
			s.Run(ctx)
		}()
	}
	t.annMu.Lock()
	t.signals = set
	t.annMu.Unlock()
}

// stopSignallers ends the signallers and waits for them (each bounds its
// own goodbye to the tracker).
func (t *Torrent) stopSignallers() {
	t.annMu.Lock()
	set := t.signals
	t.signals = nil
	t.annMu.Unlock()
	if set == nil {
		return
	}
	set.cancel()
	set.wg.Wait()
}

func (t *Torrent) signalCompleted() {
	t.annMu.Lock()
	set := t.signals
	t.annMu.Unlock()
	if set == nil {
		return
	}
	for _, s := range set.list {
		s.Completed()
	}
}

// signalled is the first transport that meets peers through signalling
// trackers; nil if none.
func (e *Engine) signalled() transport.Signalled {
	for _, t := range e.cfg.Transports {
		if s, ok := t.(transport.Signalled); ok {
			return s
		}
	}
	return nil
}

// AddConn adopts an established connection to a peer of torrent ih that
// arrived over via (a WebRTC data channel, say): it sends our handshake,
// reads theirs and adds the peer, named "<transport>:<hex peer id>". Both
// sides may send first, so two Braid peers meet fine.
func (e *Engine) AddConn(ih [20]byte, c net.Conn, via transport.Transport, remoteID [20]byte) {
	t := e.torrent(ih)
	if t == nil {
		_ = c.Close()
		return
	}
	go func() {
		pc, err := e.handshakeConn(c, ih)
		if err != nil {
			e.cfg.Logger.Debug("handshake", "transport", via.Name(), "err", err)
			return
		}
		pc.transport, pc.traits = via.Name(), via.Traits()
		pc.addr = via.Name() + ":" + hex.EncodeToString(remoteID[:])
		if i, ok := c.(interface{ Initiator() bool }); ok {
			pc.initiator = i.Initiator()
		}
		if !t.post(evConnected{pc: pc}) {
			_ = c.Close()
		}
	}()
}

// handshakeConn sends our handshake on c, reads and checks the peer's, and
// closes c on any failure.
func (e *Engine) handshakeConn(c net.Conn, ih [20]byte) (pendingConn, error) {
	_ = c.SetDeadline(wallDeadline(e.cfg.HandshakeTimeout))
	ours := e.handshakeFor(e.torrent(ih), ih)
	if _, err := c.Write(ours.Append(nil)); err != nil {
		_ = c.Close()
		return pendingConn{}, fmt.Errorf("send handshake: %w", err)
	}
	return e.readTheirs(c, ih)
}

// errClosedEarly: the peer ended the connection before its handshake (as
// peers that require encryption do on a plain one).
type errClosedEarly struct{ err error }

func (c *errClosedEarly) Error() string { return "read handshake: " + c.err.Error() }
func (c *errClosedEarly) Unwrap() error { return c.err }

// closedEarly reports whether a dial failed because the peer ended the
// connection before the handshakes were through: its plain handshake
// unanswered, or MSE's key exchange cut off.
func closedEarly(err error) bool {
	var ce *errClosedEarly
	if errors.As(err, &ce) {
		return true
	}
	return errors.Is(err, errMSEFailed) &&
		(errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.ErrClosedPipe) ||
			errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE))
}

// errWrongTorrent: the peer answered for another torrent.
var errWrongTorrent = errors.New("handshake: wrong info hash")

// readTheirs reads and checks the peer's handshake after ours was sent,
// closing c on any failure.
func (e *Engine) readTheirs(c net.Conn, ih [20]byte) (pendingConn, error) {
	_ = c.SetDeadline(wallDeadline(e.cfg.HandshakeTimeout))
	var buf [wire.HandshakeLen]byte
	if n, err := io.ReadFull(c, buf[:]); err != nil {
		_ = c.Close()
		if n == 0 && (errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)) {
			return pendingConn{}, &errClosedEarly{err}
		}
		return pendingConn{}, fmt.Errorf("read handshake: %w", err)
	}
	hs, err := wire.ParseHandshake(buf[:])
	if err != nil {
		_ = c.Close()
		return pendingConn{}, fmt.Errorf("handshake: %w", err)
	}
	if hs.InfoHash != ih && !e.sameTorrent(ih, hs.InfoHash) {
		_ = c.Close()
		return pendingConn{}, errWrongTorrent
	}
	if hs.PeerID == e.cfg.PeerID {
		_ = c.Close()
		return pendingConn{}, errSelf
	}
	_ = c.SetDeadline(time.Time{})
	return pendingConn{conn: c, hs: hs}, nil
}

// signalTrackers reports the WebSocket trackers like the others, each in a
// tier of its own after the HTTP/UDP tiers.
func (t *Torrent) signalTrackers(firstTier int) []tracker.TrackerStatus {
	t.annMu.Lock()
	set := t.signals
	t.annMu.Unlock()
	if set == nil {
		return nil
	}
	out := make([]tracker.TrackerStatus, 0, len(set.list))
	for i, s := range set.list {
		st := tracker.TrackerStatus{URL: set.urls[i], Tier: firstTier + i}
		if r, ok := s.(signalStatus); ok {
			st.LastError, st.LastAnnounce, st.Peers = r.Status()
		}
		out = append(out, st)
	}
	return out
}
