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
)

// Signaller finds peers through a signalling channel (a WebTorrent
// WebSocket tracker) and hands over connections whose data channel is open.
// Run blocks until ctx ends, telling the tracker it stopped on the way out.
type Signaller interface {
	Run(ctx context.Context)
	Completed()
}

// SignalSpec is what a Signaller gets from a torrent.
type SignalSpec struct {
	URL              string
	InfoHash, PeerID [20]byte
	// Stats reports uploaded, downloaded and left bytes for announces.
	Stats func() (uploaded, downloaded, left int64)
	// Want says whether the torrent has room for more peers.
	Want func() bool
	// OnConn receives an open connection; the engine runs the handshake.
	OnConn func(c net.Conn, remotePeerID [20]byte)
	// Connected reports a peer id already connected (by any transport), so
	// no second connection to it is negotiated.
	Connected func(remotePeerID [20]byte) bool
}

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
	list   []Signaller
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// startSignallers runs one Signaller per WebSocket tracker of the torrent
// (and per engine-wide one), unless the torrent is private or the engine
// has no signalling transport.
func (t *Torrent) startSignallers(urls []string) {
	if t.e.cfg.Signal == nil || t.private.Load() {
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
		s, err := t.e.cfg.Signal(SignalSpec{
			URL: u, InfoHash: t.ih, PeerID: t.e.cfg.PeerID,
			Stats: func() (int64, int64, int64) {
				return t.uploaded.Load(), t.downloaded.Load(), t.left.Load()
			},
			Want: func() bool {
				return t.numPeers.Load() < int64(t.e.cfg.MaxPeersPerTorrent) &&
					t.e.conns.Load() < int64(t.e.cfg.MaxConns)
			},
			OnConn:    func(c net.Conn, id [20]byte) { t.e.AddConn(t.ih, c, SignalTransport, id) },
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

// SignalTransport names peers that arrived through a signalling tracker.
const SignalTransport = "webrtc"

// AddConn adopts an established connection to a peer of torrent ih (a
// WebRTC data channel, say): it sends our handshake, reads theirs and adds
// the peer. Both sides may send first, so two Braid peers meet fine.
func (e *Engine) AddConn(ih [20]byte, c net.Conn, transport string, remoteID [20]byte) {
	t := e.torrent(ih)
	if t == nil {
		_ = c.Close()
		return
	}
	go func() {
		pc, err := e.handshakeConn(c, ih)
		if err != nil {
			e.cfg.Logger.Debug("handshake", "transport", transport, "err", err)
			return
		}
		pc.transport = transport
		pc.addr = transport + ":" + hex.EncodeToString(remoteID[:])
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
	ours := e.handshake(ih)
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
	if hs.InfoHash != ih {
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
