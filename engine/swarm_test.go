package engine

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/core/wire"
	"github.com/braid-bt/braid/persist"
	"github.com/braid-bt/braid/transport"
	"github.com/braid-bt/braid/transport/tcp/mse"
)

// swarmRig is an engine accepting on loopback with one torrent (v2-only
// or hybrid) running on empty memory storage.
func swarmRig(t *testing.T, hybrid bool) (*Engine, *Torrent, *metainfo.MetaInfo, string) {
	t.Helper()
	mi, _ := v2Stream(t, 16<<10, hybrid, 40_000, 5000)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	e := New(Config{PeerID: [20]byte{9}, HashWorkers: 1, Transports: []transport.Transport{fakeAcceptor{Listener: l}}})
	t.Cleanup(func() { _ = e.Close() })
	ih := mi.InfoHash
	if !hybrid {
		ih = mi.ShortInfoHashV2()
	}
	tor, err := e.AddTorrent(Spec{
		InfoHash: ih, InfoHashV2: mi.InfoHashV2, PieceLayers: mi.PieceLayers, Info: mi.Info, InfoBytes: mi.InfoBytes,
		Storage: persist.NewMemory(mi.Info.Length), State: persist.NewMemoryStateStore(),
	})
	require.NoError(t, err)
	<-tor.Checked()
	return e, tor, mi, l.Addr().String()
}

// handshakeWith dials addr and sends a handshake for ih; it returns the
// connection and the engine's answer (ok false when it closed instead).
func handshakeWith(t *testing.T, addr string, ih [20]byte) (net.Conn, wire.Handshake, bool) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	hs := wire.Handshake{InfoHash: ih, PeerID: [20]byte{'p', 'e', 'e', 'r'}}
	hs.SetExtended()
	_, err = c.Write(hs.Append(nil))
	require.NoError(t, err)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var buf [wire.HandshakeLen]byte
	if _, err := io.ReadFull(c, buf[:]); err != nil {
		return c, wire.Handshake{}, false
	}
	theirs, err := wire.ParseHandshake(buf[:])
	require.NoError(t, err)
	return c, theirs, true
}

// stillOpen reads what the engine sends for a moment and reports whether
// the connection is still open at the end of it.
func stillOpen(c net.Conn, d time.Duration) bool {
	_ = c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// A hybrid is one torrent in two swarms: it is found by its v1 hash and
// its truncated v2 hash, answers a handshake in the hash the peer used
// with BEP 52's upgrade bit set, is listed once, and an MSE peer asking
// for either hash gets that hash. Any other hash is refused.
func TestHybridJoinsBothSwarms(t *testing.T) {
	e, tor, mi, addr := swarmRig(t, true)
	short := mi.ShortInfoHashV2()
	require.NotEqual(t, mi.InfoHash, short)
	for _, ih := range [][20]byte{mi.InfoHash, short} {
		got, ok := e.Torrent(ih)
		require.True(t, ok)
		require.Same(t, tor, got)
		_, theirs, ok := handshakeWith(t, addr, ih)
		require.True(t, ok, "%x answered", ih)
		assert.Equal(t, ih, theirs.InfoHash, "answered in the peer's swarm")
		assert.NotZero(t, theirs.Reserved[7]&0x10, "v2 upgrade bit")
		req2, ok := e.torrentByReq2(mse.Req2(ih))
		require.True(t, ok)
		assert.Equal(t, ih, req2)
	}
	require.Len(t, e.Torrents(), 1, "listed once")
	assert.Equal(t, "hybrid", tor.Protocol())
	assert.Equal(t, mi.InfoHashV2, tor.InfoHashV2())
	assert.Equal(t, [][20]byte{mi.InfoHash, short}, tor.swarmHashes())
	_, _, ok := handshakeWith(t, addr, [20]byte{1, 2, 3})
	require.False(t, ok, "an unknown hash is refused")

	// Gone from both swarms once stopped.
	require.NoError(t, tor.StopAndSerialize(t.Context()))
	for _, ih := range [][20]byte{mi.InfoHash, short} {
		_, ok := e.Torrent(ih)
		require.False(t, ok)
		require.Nil(t, e.Departing(ih))
	}
}

// A v2-only torrent's swarm is its truncated v2 hash, with the upgrade
// bit; a v1 torrent's handshake has no upgrade bit.
func TestV2OnlySwarmHash(t *testing.T) {
	e, tor, mi, addr := swarmRig(t, false)
	require.Equal(t, mi.ShortInfoHashV2(), tor.InfoHash())
	assert.Equal(t, [][20]byte{mi.ShortInfoHashV2()}, tor.swarmHashes())
	assert.Equal(t, "v2", tor.Protocol())
	_, theirs, ok := handshakeWith(t, addr, mi.ShortInfoHashV2())
	require.True(t, ok)
	assert.NotZero(t, theirs.Reserved[7]&0x10)
	require.Len(t, e.Torrents(), 1)

	v1 := e.handshakeFor(&Torrent{}, [20]byte{1})
	assert.Zero(t, v1.Reserved[7]&0x10, "no upgrade bit for v1")
}

// A hybrid dials a peer found in its v2 swarm with its v2 hash and any
// other with its v1 hash; the addresses it remembers are bounded.
func TestHybridDialHash(t *testing.T) {
	_, tor, mi, _ := swarmRig(t, true)
	require.True(t, tor.do(func() {
		tor.markV2([]string{"10.0.0.1:1"})
		assert.Equal(t, mi.ShortInfoHashV2(), tor.dialHash("10.0.0.1:1"))
		assert.Equal(t, mi.InfoHash, tor.dialHash("10.0.0.2:1"))
		for i := range maxV2Addrs + 10 {
			tor.markV2([]string{net.JoinHostPort("10.1.0.1", strconv.Itoa(i+1))})
		}
		assert.LessOrEqual(t, len(tor.v2Addrs), maxV2Addrs)
	}))
}

// Message types Braid does not speak are skipped, and a v2 torrent's
// peer sending an unsolicited BEP 52 hash reject (id 23)
// keeps its connection too (hash requests: hashserve_test.go).
func TestUnknownMessagesKeepTheConnection(t *testing.T) {
	_, _, mi, addr := swarmRig(t, false)
	c, _, ok := handshakeWith(t, addr, mi.ShortInfoHashV2())
	require.True(t, ok)
	for _, id := range []byte{23, 99} {
		body := append([]byte{id}, make([]byte, 48)...)
		body[1+32+8+3] = 1 // length 1: a well-formed hash reject
		msg := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
		_, err := c.Write(append(msg, body...))
		require.NoError(t, err)
	}
	require.True(t, stillOpen(c, 500*time.Millisecond), "the connection was closed")
}

// A v2 peer may answer our v1 handshake for a hybrid with the truncated
// v2 hash (BEP 52's upgrade): the dial succeeds. Another torrent's hash
// does not.
func TestHybridDialAcceptsUpgradedAnswer(t *testing.T) {
	e, _, mi, _ := swarmRig(t, true)
	for _, tc := range []struct {
		answer [20]byte
		ok     bool
	}{{mi.ShortInfoHashV2(), true}, {mi.InfoHash, true}, {[20]byte{7}, false}} {
		ours, theirs := net.Pipe()
		go func() {
			buf := make([]byte, wire.HandshakeLen)
			_, _ = io.ReadFull(theirs, buf)
			hs := wire.Handshake{InfoHash: tc.answer, PeerID: [20]byte{'x'}}
			_, _ = theirs.Write(hs.Append(nil))
		}()
		_, err := e.handshakeConn(ours, mi.InfoHash)
		if tc.ok {
			require.NoError(t, err)
		} else {
			require.ErrorIs(t, err, errWrongTorrent)
		}
		_ = ours.Close()
		_ = theirs.Close()
	}
}

// fakeDHT records the hashes announced and answers each with one peer
// whose port tells the hash's first byte.
type fakeDHT struct {
	mu        sync.Mutex
	announced [][20]byte
}

func (d *fakeDHT) Announce(_ context.Context, ih [20]byte, _ int, _ bool) (<-chan []netip.AddrPort, error) {
	d.mu.Lock()
	d.announced = append(d.announced, ih)
	d.mu.Unlock()
	ch := make(chan []netip.AddrPort, 1)
	ch <- []netip.AddrPort{netip.AddrPortFrom(netip.MustParseAddr("10.0.0.1"), uint16(ih[0])+1000)}
	close(ch)
	return ch, nil
}
func (d *fakeDHT) AddNode(string) error { return nil }
func (d *fakeDHT) Addr() netip.AddrPort { return netip.AddrPort{} }
func (d *fakeDHT) hashes() [][20]byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([][20]byte(nil), d.announced...)
}

// A hybrid announces both swarms on the DHT and in LSD; the peers the v2
// announce finds come to the loop marked as v2-swarm peers.
func TestHybridAnnouncesBothHashesOnDHTAndLSD(t *testing.T) {
	tor := bareTorrent(t, 1)
	d := &fakeDHT{}
	l := &fakeLSD{found: make(chan netip.AddrPort, 1), leaves: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	tor.e.ctx, tor.e.cfg.DHT, tor.e.cfg.LSD, tor.e.cfg.Port = ctx, d, l, 6881
	tor.ih, tor.alias = [20]byte{'a'}, [20]byte{'b'}
	tor.hasAlias.Store(true)
	tor.runDHT()
	tor.runLSD()
	got := map[string]bool{}
	for len(got) < 2 {
		select {
		case ev := <-tor.events:
			if p, ok := ev.(evPeers); ok {
				got[p.addrs[0]] = p.v2
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("peers from the DHT: %v", got)
		}
	}
	assert.Equal(t, map[string]bool{"10.0.0.1:1097": false, "10.0.0.1:1098": true}, got, "'a' is the v1 swarm, 'b' the v2 one")
	assert.Equal(t, [][20]byte{{'a'}, {'b'}}, d.hashes())
	l.mu.Lock()
	assert.Equal(t, []string{"a 0.0.0.0:6881", "b 0.0.0.0:6881"}, l.joins)
	l.mu.Unlock()
}
