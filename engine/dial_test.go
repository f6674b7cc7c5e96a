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

	"github.com/braid-bt/braid/core/peers"
	"github.com/braid-bt/braid/core/wire"
	"github.com/braid-bt/braid/transport"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeDialer is a transport.Dialer (and transport.Fallback) whose
// addresses are those with its prefix ("" : any without a scheme).
type fakeDialer struct {
	name     string
	prefix   string
	traits   transport.Traits
	dial     func(ctx context.Context, addr string) (net.Conn, error)
	fallback transport.Dialer
}

func (f *fakeDialer) Name() string             { return f.name }
func (f *fakeDialer) Traits() transport.Traits { return f.traits }
func (f *fakeDialer) Fallback() transport.Dialer {
	if f.fallback == nil {
		return nil // no typed nil inside the interface
	}
	return f.fallback
}
func (f *fakeDialer) Dial(ctx context.Context, addr string) (net.Conn, error) {
	return f.dial(ctx, addr)
}
func (f *fakeDialer) DialAddr(addr string) (string, bool) {
	if f.prefix == "" {
		return addr, withoutScheme(addr) == addr && !IsSignalURL(addr)
	}
	if len(addr) > len(f.prefix) && addr[:len(f.prefix)] == f.prefix {
		return addr[len(f.prefix):], true
	}
	return addr, false
}

// streamTraits and datagramTraits are TCP's and uTP's.
var (
	streamTraits   = transport.Traits{MSE: true}
	datagramTraits = transport.Traits{MSE: true, MSEFirst: true, PEXUTP: true, ConnectTimeout: 4 * time.Second}
)

// dialRig is an engine with a "tcp" transport that fails as tcpErr says
// (or reaches a peer that closes at once) and falls back to a "utp"
// transport (also dialled as "utp://host:port") reaching a peer that
// answers with theirs.
type dialRig struct {
	e        *Engine
	tcp, utp *fakeDialer
	tcpDials int
	utpDials []string
}

func newDialRig(t *testing.T, tcpErr error, theirs wire.Handshake) *dialRig {
	r := &dialRig{}
	r.utp = &fakeDialer{name: "utp", prefix: "utp://", traits: datagramTraits}
	r.utp.dial = func(_ context.Context, addr string) (net.Conn, error) {
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
	r.tcp = &fakeDialer{name: "tcp", traits: streamTraits, fallback: r.utp}
	r.tcp.dial = func(context.Context, string) (net.Conn, error) {
		r.tcpDials++
		if tcpErr != nil {
			return nil, tcpErr
		}
		ours, peer := net.Pipe()
		_ = peer.Close() // a client that takes no TCP
		return ours, nil
	}
	r.e = &Engine{cfg: Config{PeerID: [20]byte{1}, Encryption: EncryptionDisabled,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Transports: []transport.Transport{r.tcp, r.utp}}}
	r.e.cfg.setDefaults()
	return r
}

func TestDialFallsBackToSecondTransport(t *testing.T) {
	ih := [20]byte{7}
	peer := wire.Handshake{InfoHash: ih, PeerID: [20]byte{2}}
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}

	t.Run("refused: a stale entry, not retried", func(t *testing.T) {
		r := newDialRig(t, refused, peer)
		_, err := r.e.dialPeer(context.Background(), ih, "10.0.0.1:6881")
		require.ErrorIs(t, err, syscall.ECONNREFUSED)
		assert.Empty(t, r.utpDials)
	})
	t.Run("closed unanswered: the fallback", func(t *testing.T) {
		r := newDialRig(t, nil, peer)
		pc, err := r.e.dialPeer(context.Background(), ih, "10.0.0.1:6881")
		require.NoError(t, err)
		assert.Equal(t, "utp", pc.transport, "named by the transport that made it")
		assert.Equal(t, datagramTraits, pc.traits)
		assert.Equal(t, "10.0.0.1:6881", pc.addr, "the candidate keeps its address")
		assert.Equal(t, []string{"10.0.0.1:6881"}, r.utpDials)
		assert.Equal(t, 1, r.tcpDials)
	})
	t.Run("an address only the second transport takes", func(t *testing.T) {
		r := newDialRig(t, refused, peer)
		pc, err := r.e.dialPeer(context.Background(), ih, "utp://10.0.0.1:6881")
		require.NoError(t, err)
		assert.Equal(t, "utp", pc.transport)
		assert.Zero(t, r.tcpDials)
		assert.Equal(t, []string{"10.0.0.1:6881"}, r.utpDials, "dialled at the address the transport gave")
		assert.Equal(t, "10.0.0.1", peers.HostOf(pc.addr), "banning takes the host")
	})
	t.Run("not after ourselves", func(t *testing.T) {
		r := newDialRig(t, refused, wire.Handshake{InfoHash: ih, PeerID: [20]byte{1}})
		_, err := r.e.dialPeer(context.Background(), ih, "utp://10.0.0.1:6881")
		require.ErrorIs(t, err, errSelf)
	})
	t.Run("no fallback, no second transport", func(t *testing.T) {
		r := newDialRig(t, nil, peer)
		r.tcp.fallback = nil
		r.e.cfg.Transports = []transport.Transport{r.tcp}
		_, err := r.e.dialPeer(context.Background(), ih, "10.0.0.1:6881")
		require.Error(t, err)
		assert.Empty(t, r.utpDials)
		_, err = r.e.dialPeer(context.Background(), ih, "utp://10.0.0.1:6881")
		require.ErrorIs(t, err, errNoTransport)
	})
	t.Run("MSEFirst: encrypted first, then plain", func(t *testing.T) {
		r := newDialRig(t, refused, peer)
		r.e.cfg.Encryption = EncryptionEnabled
		var heads []string
		r.utp.dial = func(_ context.Context, addr string) (net.Conn, error) {
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

		heads = nil
		r.utp.traits.MSE = false
		_, err = r.e.dialPeer(context.Background(), ih, "utp://10.0.0.1:6881")
		require.NoError(t, err)
		assert.Equal(t, []string{wire.Protocol}, heads, "no MSE over a transport it does not run on")
	})
	t.Run("connect bounded by the transport's own timeout", func(t *testing.T) {
		r := newDialRig(t, nil, peer) // TCP closed unanswered: the fallback is tried
		var deadline time.Time
		r.utp.dial = func(ctx context.Context, addr string) (net.Conn, error) {
			deadline, _ = ctx.Deadline()
			return nil, context.DeadlineExceeded
		}
		start := time.Now()
		_, err := r.e.dialPeer(context.Background(), ih, "10.0.0.1:6881")
		require.Error(t, err)
		require.False(t, deadline.IsZero())
		assert.LessOrEqual(t, deadline.Sub(start), datagramTraits.ConnectTimeout+time.Second,
			"a silent UDP port costs the connect timeout, not the whole handshake timeout")
	})
	t.Run("wrong torrent is not retried", func(t *testing.T) {
		r := newDialRig(t, nil, peer)
		r.tcp.dial = func(context.Context, string) (net.Conn, error) {
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

// fakeAcceptor is a transport.Acceptor over a loopback TCP listener.
type fakeAcceptor struct {
	net.Listener
	traits transport.Traits
}

func (fakeAcceptor) Name() string               { return "fake" }
func (a fakeAcceptor) Traits() transport.Traits { return a.traits }

// The engine accepts on the acceptors among its transports from New on,
// and closes them when it closes.
func TestEngineServesAcceptors(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	a := fakeAcceptor{Listener: l}
	e := New(Config{HashWorkers: 1, Transports: []transport.Transport{a, &fakeDialer{name: "dial only"}}})
	c, err := net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write(make([]byte, wire.HandshakeLen)) // no torrent by that hash: closed
	require.NoError(t, err)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = c.Read(make([]byte, 1))
	require.ErrorIs(t, err, io.EOF, "the engine accepted the connection and closed it")
	require.NoError(t, e.Close())
	_, err = l.Accept()
	require.ErrorIs(t, err, net.ErrClosed)
}

// Whether an incoming peer may or must speak MSE is the transport's
// trait: with encryption required, a plain handshake is refused over a
// transport MSE runs over and taken over one it does not.
func TestIncomingMSEFollowsTraits(t *testing.T) {
	e := &Engine{cfg: Config{PeerID: [20]byte{1}, Encryption: EncryptionRequired}}
	e.cfg.setDefaults()
	plain := wire.Handshake{InfoHash: [20]byte{7}, PeerID: [20]byte{2}}
	for _, tr := range []transport.Traits{streamTraits, {}} {
		ours, theirs := net.Pipe()
		go func() { _, _ = theirs.Write(plain.Append(nil)) }()
		hs, _, err := e.readIncoming(ours, tr)
		if tr.MSE {
			require.ErrorIs(t, err, errPlainRefused)
		} else {
			require.NoError(t, err)
			assert.Equal(t, plain.PeerID, hs.PeerID)
		}
		_ = ours.Close()
		_ = theirs.Close()
	}
}

func TestPEXFlags(t *testing.T) {
	assert.Equal(t, wire.PEXUTP|wire.PEXReachable, pexFlags(&peerConn{traits: datagramTraits, outgoing: true}, false, false))
	assert.Equal(t, wire.PEXSeed, pexFlags(&peerConn{traits: streamTraits}, true, false))
	assert.Equal(t, wire.PEXHolepunch, pexFlags(&peerConn{traits: streamTraits}, false, true))
	assert.Zero(t, pexFlags(&peerConn{}, false, false))
}
