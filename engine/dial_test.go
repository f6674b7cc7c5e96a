package engine

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/braid-bt/braid/core/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dialRig is an engine whose TCP dial fails as tcpErr says (or reaches a
// peer that closes at once), and whose uTP dial reaches a peer answering
// with theirs.
type dialRig struct {
	e        *Engine
	tcpDials int
	utpDials []string
}

func newDialRig(t *testing.T, tcpErr error, theirs wire.Handshake) *dialRig {
	r := &dialRig{}
	r.e = &Engine{cfg: Config{PeerID: [20]byte{1}, Encryption: EncryptionDisabled,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}}
	r.e.cfg.setDefaults()
	r.e.cfg.Dial = func(context.Context, string) (net.Conn, error) {
		r.tcpDials++
		if tcpErr != nil {
			return nil, tcpErr
		}
		ours, peer := net.Pipe()
		_ = peer.Close() // a client that takes no TCP
		return ours, nil
	}
	r.e.cfg.DialUTP = func(_ context.Context, addr string) (net.Conn, error) {
		r.utpDials = append(r.utpDials, addr)
		ours, peer := net.Pipe()
		go func() {
			defer peer.Close()
			buf := make([]byte, wire.HandshakeLen)
			if _, err := io.ReadFull(peer, buf); err == nil {
				_, _ = peer.Write(theirs.Append(nil))
				_, _ = io.Copy(io.Discard, peer)
			}
		}()
		t.Cleanup(func() { _ = ours.Close() })
		return ours, nil
	}
	return r
}

func TestDialFallsBackToUTP(t *testing.T) {
	ih := [20]byte{7}
	peer := wire.Handshake{InfoHash: ih, PeerID: [20]byte{2}}
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}

	t.Run("TCP refused: a stale entry, not retried over uTP", func(t *testing.T) {
		r := newDialRig(t, refused, peer)
		_, err := r.e.dialPeer(context.Background(), ih, "10.0.0.1:6881")
		require.ErrorIs(t, err, syscall.ECONNREFUSED)
		assert.Empty(t, r.utpDials)
	})
	t.Run("TCP closed unanswered", func(t *testing.T) {
		r := newDialRig(t, nil, peer)
		pc, err := r.e.dialPeer(context.Background(), ih, "10.0.0.1:6881")
		require.NoError(t, err)
		assert.Equal(t, "utp", pc.transport)
		assert.Equal(t, "10.0.0.1:6881", pc.addr, "the candidate keeps its address")
		assert.Equal(t, []string{"10.0.0.1:6881"}, r.utpDials)
		assert.Equal(t, 1, r.tcpDials)
	})
	t.Run("utp:// dials uTP only", func(t *testing.T) {
		r := newDialRig(t, refused, peer)
		pc, err := r.e.dialPeer(context.Background(), ih, "utp://10.0.0.1:6881")
		require.NoError(t, err)
		assert.Equal(t, "utp", pc.transport)
		assert.Zero(t, r.tcpDials)
		assert.Equal(t, "10.0.0.1", hostOf(pc.addr), "banning takes the host")
		assert.Equal(t, "utp", transportOf("UTP://10.0.0.1:6881"), "the scheme in any case")
	})
	t.Run("not after ourselves", func(t *testing.T) {
		r := newDialRig(t, refused, wire.Handshake{InfoHash: ih, PeerID: [20]byte{1}})
		_, err := r.e.dialPeer(context.Background(), ih, "utp://10.0.0.1:6881")
		require.ErrorIs(t, err, errSelf)
	})
	t.Run("no uTP configured", func(t *testing.T) {
		r := newDialRig(t, refused, peer)
		r.e.cfg.DialUTP = nil
		_, err := r.e.dialPeer(context.Background(), ih, "10.0.0.1:6881")
		require.ErrorIs(t, err, syscall.ECONNREFUSED)
		_, err = r.e.dialPeer(context.Background(), ih, "utp://10.0.0.1:6881")
		require.ErrorIs(t, err, errNoUTP)
	})
	t.Run("uTP tries MSE first, then plain", func(t *testing.T) {
		r := newDialRig(t, refused, peer)
		r.e.cfg.Encryption = EncryptionEnabled
		var heads []string
		r.e.cfg.DialUTP = func(_ context.Context, addr string) (net.Conn, error) {
			ours, p := net.Pipe()
			go func() { // a peer with encryption off: it closes what is not plain
				defer p.Close()
				head := make([]byte, 20)
				if _, err := io.ReadFull(p, head); err != nil {
					return
				}
				heads = append(heads, string(head[1:20]))
				if string(head[1:20]) != wire.Protocol {
					return
				}
				rest := make([]byte, wire.HandshakeLen-20)
				_, _ = io.ReadFull(p, rest)
				_, _ = p.Write(peer.Append(nil))
				_, _ = io.Copy(io.Discard, p)
			}()
			t.Cleanup(func() { _ = ours.Close() })
			return ours, nil
		}
		pc, err := r.e.dialPeer(context.Background(), ih, "utp://10.0.0.1:6881")
		require.NoError(t, err)
		assert.Equal(t, "utp", pc.transport)
		require.Len(t, heads, 2)
		assert.NotEqual(t, wire.Protocol, heads[0], "MSE first")
		assert.Equal(t, wire.Protocol, heads[1], "then plain")
	})
	t.Run("uTP connect is bounded on its own", func(t *testing.T) {
		r := newDialRig(t, nil, peer) // TCP closed unanswered: uTP is tried
		var deadline time.Time
		r.e.cfg.DialUTP = func(ctx context.Context, addr string) (net.Conn, error) {
			deadline, _ = ctx.Deadline()
			return nil, context.DeadlineExceeded
		}
		start := time.Now()
		_, err := r.e.dialPeer(context.Background(), ih, "10.0.0.1:6881")
		require.Error(t, err)
		require.False(t, deadline.IsZero())
		assert.LessOrEqual(t, deadline.Sub(start), utpConnectTimeout+time.Second,
			"a silent UDP port costs the connect timeout, not the whole handshake timeout")
	})
	t.Run("wrong torrent is not retried", func(t *testing.T) {
		r := newDialRig(t, nil, peer)
		r.e.cfg.Dial = func(context.Context, string) (net.Conn, error) {
			r.tcpDials++
			ours, p := net.Pipe()
			go func() {
				buf := make([]byte, wire.HandshakeLen)
				_, _ = io.ReadFull(p, buf)
				other := wire.Handshake{InfoHash: [20]byte{9}, PeerID: [20]byte{2}}
				_, _ = p.Write(other.Append(nil))
			}()
			return ours, nil
		}
		_, err := r.e.dialPeer(context.Background(), ih, "10.0.0.1:6881")
		require.True(t, errors.Is(err, errWrongTorrent), "%v", err)
		assert.Empty(t, r.utpDials)
	})
}

func TestPEXFlags(t *testing.T) {
	assert.Equal(t, wire.PEXUTP|wire.PEXReachable, pexFlags(&peerConn{transport: "utp", outgoing: true}, false))
	assert.Equal(t, wire.PEXSeed, pexFlags(&peerConn{transport: "tcp"}, true))
	assert.Zero(t, pexFlags(&peerConn{transport: "webrtc"}, false))
}
