package engine

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/braid-bt/braid/core/peers"
	"github.com/braid-bt/braid/core/wire"
	"github.com/braid-bt/braid/transport"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// blockSet is a Blocked func over a fixed set, safe for concurrent use.
type blockSet struct {
	m atomic.Pointer[map[netip.Addr]bool]
}

func newBlockSet(addrs ...string) *blockSet {
	b := &blockSet{}
	b.set(addrs...)
	return b
}

func (b *blockSet) set(addrs ...string) {
	m := map[netip.Addr]bool{}
	for _, a := range addrs {
		m[netip.MustParseAddr(a)] = true
	}
	b.m.Store(&m)
}

func (b *blockSet) blocked(a netip.Addr) bool { return (*b.m.Load())[a] }

// dialFrom connects to addr from the loopback address local.
func dialFrom(t *testing.T, local, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// An incoming connection from a blocked IP is closed before a byte is
// read; one from another IP is handshaken.
func TestIncomingBlocked(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	bs := newBlockSet("127.0.0.2")
	e := New(Config{HashWorkers: 1, Transports: []transport.Transport{fakeAcceptor{Listener: l}}, Blocked: bs.blocked})
	defer e.Close()

	c := dialFrom(t, "127.0.0.2", l.Addr().String())
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = c.Read(make([]byte, 1))
	require.ErrorIs(t, err, io.EOF, "closed unread")
	assert.EqualValues(t, 1, e.Blocked())

	ok := dialFrom(t, "127.0.0.1", l.Addr().String())
	_ = ok.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	_, err = ok.Read(make([]byte, 1))
	var ne net.Error
	require.True(t, errors.As(err, &ne) && ne.Timeout(), "still open, waiting for a handshake: %v", err)
	assert.EqualValues(t, 1, e.Blocked())
}

// A blocked address is never dialled; a host name that reaches a blocked
// IP is closed at once and reported as blocked.
func TestDialBlocked(t *testing.T) {
	bs := newBlockSet("10.0.0.2", "127.0.0.1", "::1")
	var dialled []string
	d := &fakeDialer{name: "tcp", dial: func(ctx context.Context, addr string) (net.Conn, error) {
		dialled = append(dialled, addr)
		var nd net.Dialer
		return nd.DialContext(ctx, "tcp", addr)
	}}
	e := &Engine{cfg: Config{PeerID: [20]byte{1}, Transports: []transport.Transport{d}, Blocked: bs.blocked}}
	e.cfg.setDefaults()

	_, err := e.dialPeer(context.Background(), [20]byte{9}, "10.0.0.2:6881")
	require.ErrorIs(t, err, errBlocked)
	_, err = e.dialPeer(context.Background(), [20]byte{9}, "[::ffff:10.0.0.2]:6881")
	require.ErrorIs(t, err, errBlocked)
	assert.Empty(t, dialled, "never dialled")

	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	_, err = e.dialPeer(context.Background(), [20]byte{9}, "localhost:"+port)
	require.ErrorIs(t, err, errBlocked)
	assert.Len(t, dialled, 1, "no second try over another transport or encryption")
	assert.EqualValues(t, 3, e.Blocked())
}

// The torrent's book refuses blocked candidates and counts them; when the
// list changes, connections to newly blocked IPs are closed and their
// addresses are not dialled again.
func TestTorrentBlocked(t *testing.T) {
	tor := bareTorrent(t, 1)
	bs := newBlockSet("10.0.0.2")
	tor.e.cfg.Blocked = bs.blocked
	tor.book = peers.New(peers.Config{Self: tor.e.cfg.PeerID, Blocked: tor.bookFilter})

	for _, a := range []string{"10.0.0.2:1", "10.0.0.3:1", "utp://10.0.0.2:2"} {
		tor.book.Add(a, peers.FromTracker, bareStart.Add(time.Minute)) // due after the dials below
	}
	assert.Equal(t, 1, tor.book.NumCandidates())
	assert.EqualValues(t, 2, tor.Blocked())
	assert.EqualValues(t, 2, tor.e.Blocked())

	connect(t, tor, pendingConn{addr: "10.0.0.4:6881", outgoing: true, initiator: true, hs: wire.Handshake{PeerID: [20]byte{4}}})
	connect(t, tor, pendingConn{addr: "10.0.0.5:6881", outgoing: true, initiator: true, hs: wire.Handshake{PeerID: [20]byte{5}}})
	require.Len(t, tor.peers, 2)
	bs.set("10.0.0.4")
	tor.dropBlocked()
	require.Len(t, tor.peers, 1)
	for _, p := range tor.peers {
		assert.Equal(t, "10.0.0.5:6881", p.addr)
	}
	assert.EqualValues(t, 3, tor.Blocked())
	_, ok := tor.book.Candidate("10.0.0.4:6881")
	assert.True(t, ok, "still a candidate until due")
	assert.NotContains(t, tor.book.Dials(bareStart.Add(time.Hour), 10), "10.0.0.4:6881")
}
