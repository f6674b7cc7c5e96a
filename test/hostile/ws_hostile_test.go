//lint:file-ignore SA1019 go.mod pins nhooyr.io/websocket (same API as its successor)

package hostile

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/braid-bt/braid"
	"github.com/braid-bt/braid/core/wire"
	"github.com/braid-bt/braid/engine"
	wstransport "github.com/braid-bt/braid/transport/websocket"
	"github.com/stretchr/testify/require"
	"nhooyr.io/websocket"
)

// processRSS reads VmRSS of a process in bytes (0 where /proc is missing).
func processRSS(pid int) uint64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseUint(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// TestWSHostilePeers runs raw-peer attacks over WebSocket against
// `braid seed --ws-listen`; afterwards an honest WebSocket peer still
// downloads everything.
func TestWSHostilePeers(t *testing.T) {
	c := makeContent(t, "ws-victim.bin", 2<<20, 64<<10, 21)
	ih := [20]byte(c.ih)
	n := c.info.NumPieces()
	s := startWSBraid(t, "seed", c)

	t.Run("wrong info hash in handshake", func(t *testing.T) {
		nc, _ := dialWS(t, s.ws)
		h := newHostile(t, nc)
		var other [20]byte
		copy(other[:], garbage(20))
		require.NoError(t, h.sendHandshake(other, true, true))
		h.requireClosed(dropWithin, "handshake for a torrent Braid does not have")
		require.Zero(t, h.received.Load(), "Braid must not answer a handshake for an unknown torrent")
	})

	for _, length := range []uint32{0xFFFFFFF0, 0xFFFFFFFF} {
		t.Run("oversized length prefix "+hex32(length), func(t *testing.T) {
			before := processRSS(s.pid())
			h, _ := connectWSHostile(t, s.ws, ih)
			require.NoError(t, h.sendRaw(rawLength(length)))
			took := h.requireClosed(dropWithin, "length prefix above every limit")
			after := processRSS(s.pid())
			t.Logf("dropped %v after the prefix; braid RSS %.1f -> %.1f MiB", took.Round(time.Millisecond), mib(before), mib(after))
			require.Less(t, heapGrowth(before, after), uint64(64<<20), "a 4 GiB prefix must not be allocated")
		})
	}

	t.Run("messages before the handshake", func(t *testing.T) {
		nc, _ := dialWS(t, s.ws)
		h := newHostile(t, nc)
		var b []byte
		for range 20 {
			b = wire.AppendMessage(b, &wire.Message{Type: wire.Interested})
		}
		b = wire.AppendMessage(b, &wire.Message{Type: wire.Bitfield, Bitfield: bytes.Repeat([]byte{0xFF}, (n+7)/8)})
		require.Greater(t, len(b), wire.HandshakeLen)
		require.NoError(t, h.sendRaw(b))
		took := h.requireClosed(2*time.Second, "peer-wire messages instead of a handshake")
		t.Logf("dropped after %v", took.Round(time.Millisecond))
		require.Zero(t, h.received.Load())
	})

	t.Run("handshake split over one-byte messages", func(t *testing.T) {
		// Not hostile, just odd: message boundaries mean nothing.
		nc, _ := dialWS(t, s.ws)
		h := newHostile(t, nc)
		hs := wire.Handshake{InfoHash: ih, PeerID: hostilePeerID()}
		hs.SetExtended()
		for _, b := range hs.Append(nil) {
			require.NoError(t, h.sendRaw([]byte{b}))
		}
		require.NoError(t, h.readHandshake(5*time.Second))
		require.Equal(t, ih, h.theirs.InfoHash)
		_, ok := h.next(5*time.Second, isType(wire.Bitfield))
		require.True(t, ok, "a seeder greets with its bitfield")
	})

	t.Run("text message", func(t *testing.T) {
		h, ws := connectWSHostile(t, s.ws, ih)
		h.startReader()
		require.NoError(t, ws.Write(context.Background(), websocket.MessageText, []byte("hello")))
		h.requireClosed(dropWithin, "a text message on a peer connection")
	})

	t.Run("message over the size limit", func(t *testing.T) {
		h, ws := connectWSHostile(t, s.ws, ih)
		h.startReader()
		// A well-formed PIECE, but in one 2 MiB WebSocket message.
		big := wire.AppendMessage(nil, &wire.Message{Type: wire.Piece, Index: 0, Begin: 0, Block: garbage(2 << 20)})
		require.Greater(t, len(big), wstransport.MaxMessageSize)
		go func() { _ = ws.Write(context.Background(), websocket.MessageBinary, big) }()
		h.requireClosed(dropWithin, "a 2 MiB WebSocket message")
	})

	t.Run("slowloris", func(t *testing.T) {
		t.Run("HTTP upgrade never finishes", func(t *testing.T) {
			t.Parallel()
			host := strings.TrimSuffix(strings.TrimPrefix(s.ws, "ws://"), "/")
			h := newHostile(t, dialHostile(t, host))
			require.NoError(t, h.sendRaw([]byte("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n")))
			took := h.requireClosed(wstransport.DefaultHandshakeTimeout+3*time.Second, "half an HTTP upgrade, then silence")
			t.Logf("closed %v after half an upgrade request (limit %v)", took.Round(time.Millisecond), wstransport.DefaultHandshakeTimeout)
		})
		t.Run("upgraded, then 10 bytes of handshake", func(t *testing.T) {
			t.Parallel()
			nc, _ := dialWS(t, s.ws)
			h := newHostile(t, nc)
			full := append([]byte{19}, "BitTorrent protocol"...)
			require.NoError(t, h.sendRaw(full[:10]))
			took := h.requireClosed(engine.DefaultHandshakeTimeout+3*time.Second, "half a handshake, then silence")
			t.Logf("closed %v after the first 10 bytes (handshake timeout %v)", took.Round(time.Millisecond), engine.DefaultHandshakeTimeout)
			require.Zero(t, h.received.Load())
		})
	})

	t.Run("silent connection storm on the WebSocket port", func(t *testing.T) {
		host := strings.TrimSuffix(strings.TrimPrefix(s.ws, "ws://"), "/")
		conns, failed := silentConns(t, host, 300)
		open := countOpen(conns)
		t.Logf("%d silent connections (%d dials failed); braid holds %d open", len(conns), failed, open)
		require.LessOrEqual(t, open, wstransport.DefaultMaxPendingPerIP, "one address may hold only a few upgrade slots")
		// Another address still gets through while the storm holds its slots.
		honestWSDownload(t, c, s.ws)
		closeAll(conns)
	})

	t.Run("honest WebSocket peer after the attacks", func(t *testing.T) {
		honestWSDownload(t, c, s.ws)
	})
}

// TestWSBadDataBanned: a WebSocket peer that keeps sending bad data for the
// piece it claims is dropped and banned by `braid download --ws-listen`;
// its address cannot reconnect over WebSocket either, and an honest seeder
// then completes the download.
func TestWSBadDataBanned(t *testing.T) {
	c := makeContent(t, "ws-ban.bin", 2<<20, 64<<10, 22)
	ih := [20]byte(c.ih)
	n := c.info.NumPieces()
	v := startWSBraid(t, "download", c)

	h, _ := connectWSHostile(t, v.ws, ih)
	bf := make([]byte, (n+7)/8)
	bf[0] = 0x80 // piece 0 only, so Braid keeps asking for it
	require.NoError(t, h.send(&wire.Message{Type: wire.Bitfield, Bitfield: bf}, &wire.Message{Type: wire.Unchoke}))
	var answered atomic.Int64
	go func() {
		for {
			m, ok := h.next(30*time.Second, isType(wire.Request))
			if !ok {
				return
			}
			if h.send(&wire.Message{Type: wire.Piece, Index: m.Index, Begin: m.Begin, Block: garbage(int(m.Length))}) != nil {
				return
			}
			answered.Add(1)
		}
	}()
	took := h.requireClosed(20*time.Second, "WebSocket peer sending bad data for piece 0")
	blocksPerPiece := int64(c.info.PieceSize(0) / wire.BlockSize)
	t.Logf("dropped after %v and %d bad blocks (%v)", took.Round(time.Millisecond), answered.Load(), h.closeErr)
	require.GreaterOrEqual(t, answered.Load(), 2*blocksPerPiece, "dropped before piece 0 could fail twice")

	// Reconnects from the banned address, over WebSocket, get no greeting.
	for range 3 {
		nc, _ := dialWS(t, v.ws)
		again := newHostile(t, nc)
		require.NoError(t, again.sendHandshake(ih, true, true))
		_ = again.readHandshake(dropWithin) // Braid may answer before it looks the peer up
		again.requireClosed(dropWithin, "reconnect from a banned address")
		_, greeted := again.next(0, func(wire.Message) bool { return true })
		require.False(t, greeted, "a banned peer must not be greeted (bitfield, extension handshake)")
	}

	// The ban is on the address, not on WebSocket peers: loopback's other
	// address is still greeted.
	ok := wsGreeted(t, v.ws, ih)
	require.True(t, ok, "an unbanned WebSocket peer must be greeted")

	startSeeder(t, c, braid.Config{}, v.addr)
	require.True(t, eventually(60*time.Second, func() bool {
		_, done := v.last("complete")
		return done
	}), "download did not complete after the ban; stderr:\n%s", v.stderrText())
	requireContent(t, c, v.dir)
}

// wsGreeted dials url from 127.0.0.1, completes a handshake, and reports
// whether Braid sends any message (its extension handshake) within 5 s.
func wsGreeted(t *testing.T, url string, ih [20]byte) bool {
	ws, _, err := websocket.Dial(context.Background(), url, nil)
	require.NoError(t, err)
	defer ws.CloseNow()
	h := newHostile(t, websocket.NetConn(context.Background(), ws, websocket.MessageBinary))
	require.NoError(t, h.sendHandshake(ih, true, true))
	require.NoError(t, h.readHandshake(5*time.Second))
	_, ok := h.next(5*time.Second, func(wire.Message) bool { return true })
	return ok
}
