package hostile

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/braid-bt/braid"
	"github.com/braid-bt/braid/core/wire"
	"github.com/stretchr/testify/require"
)

// dropWithin bounds how long Braid may take to drop a peer that broke the
// protocol: it acts on the message at once, so this is generous.
const dropWithin = 5 * time.Second

// scenario is a victim downloading c with no honest peer yet: the hostile
// peer acts first, then an honest seeder dials in and the download must
// complete with the right bytes.
type scenario struct {
	t      *testing.T
	c      *content
	victim *braid.Client
	tor    *braid.Torrent
	dir    string
}

func newScenario(t *testing.T, c *content, peers ...string) *scenario {
	t.Helper()
	v, tor, dir := startVictim(t, c, braid.Config{}, peers...)
	return &scenario{t: t, c: c, victim: v, tor: tor, dir: dir}
}

// addr is where the victim accepts peers.
func (s *scenario) addr() string { return s.victim.ListenAddr() }

// honestCompletes starts an honest seeder that dials the victim and
// requires the download to finish with the right bytes.
func (s *scenario) honestCompletes() {
	s.t.Helper()
	startSeeder(s.t, s.c, braid.Config{}, s.addr())
	waitComplete(s.t, s.tor, 60*time.Second)
	requireContent(s.t, s.c, s.dir)
}

func TestHostilePeers(t *testing.T) {
	c := makeContent(t, "victim.bin", 2<<20, 64<<10, 1)
	ih := [20]byte(c.ih)
	n := uint32(c.info.NumPieces())

	t.Run("wrong info hash in handshake, incoming", func(t *testing.T) {
		s := newScenario(t, c)
		h := newHostile(t, dialHostile(t, s.addr()))
		var other [20]byte
		copy(other[:], garbage(20))
		require.NoError(t, h.sendHandshake(other, true, true))
		h.requireClosed(dropWithin, "handshake for a torrent Braid does not have")
		require.Zero(t, h.received.Load(), "Braid must not answer a handshake for an unknown torrent")
		s.honestCompletes()
	})

	t.Run("wrong info hash in handshake, outgoing", func(t *testing.T) {
		l := listenHostile(t)
		s := newScenario(t, c, l.Addr().String())
		h := acceptHostile(t, l, 10*time.Second)
		theirs, err := wire.ReadHandshake(h.conn)
		require.NoError(t, err)
		require.Equal(t, ih, theirs.InfoHash)
		var other [20]byte
		copy(other[:], garbage(20))
		require.NoError(t, h.sendHandshake(other, true, true))
		h.requireClosed(dropWithin, "peer answered with another torrent's info hash")
		require.Zero(t, h.received.Load())
		s.honestCompletes()
	})

	for _, length := range []uint32{0xFFFFFFF0, 0xFFFFFFFF} {
		t.Run("oversized length prefix "+hex32(length), func(t *testing.T) {
			s := newScenario(t, c)
			before := heapInuse()
			h := connectHostile(t, s.addr(), ih, true, true)
			// The prefix alone: a reader that believed it would wait for
			// 4 GiB, or allocate it.
			require.NoError(t, h.sendRaw(rawLength(length)))
			took := h.requireClosed(dropWithin, "length prefix above every limit")
			t.Logf("dropped %v after the prefix", took.Round(time.Millisecond))
			requireHeapBounded(t, before, 16<<20, "after a 4 GiB length prefix")
			s.honestCompletes()
		})
	}

	outOfRange := []struct {
		name string
		msg  wire.Message
	}{
		{"HAVE index = number of pieces", wire.Message{Type: wire.Have, Index: n}},
		{"HAVE index 2^32-1", wire.Message{Type: wire.Have, Index: 0xFFFFFFFF}},
		{"REQUEST index = number of pieces", wire.Message{Type: wire.Request, Index: n, Begin: 0, Length: wire.BlockSize}},
		{"REQUEST index 2^31", wire.Message{Type: wire.Request, Index: 1 << 31, Begin: 0, Length: wire.BlockSize}},
		{"REQUEST begin past the piece", wire.Message{Type: wire.Request, Index: 0, Begin: 64 << 10, Length: wire.BlockSize}},
		{"REQUEST begin+length wraps 32 bits", wire.Message{Type: wire.Request, Index: 0, Begin: 0xFFFFC000, Length: 0x8000}},
		{"REQUEST length 16 MiB", wire.Message{Type: wire.Request, Index: 0, Begin: 0, Length: 16 << 20}},
		{"PIECE index = number of pieces", wire.Message{Type: wire.Piece, Index: n, Begin: 0, Block: garbage(wire.BlockSize)}},
		{"PIECE index 2^32-1", wire.Message{Type: wire.Piece, Index: 0xFFFFFFFF, Begin: 0, Block: garbage(16)}},
		{"PIECE begin past the piece", wire.Message{Type: wire.Piece, Index: 1, Begin: 60 << 10, Block: garbage(wire.BlockSize)}},
		{"BITFIELD one byte short", wire.Message{Type: wire.Bitfield, Bitfield: make([]byte, (n+7)/8-1)}},
		{"BITFIELD spare bits set", wire.Message{Type: wire.Bitfield, Bitfield: append(bytes.Repeat([]byte{0xFF}, int((n+7)/8)), 0xFF)}},
	}
	t.Run("out-of-range messages", func(t *testing.T) {
		s := newScenario(t, c)
		for _, tc := range outOfRange {
			t.Run(tc.name, func(t *testing.T) {
				h := connectHostile(t, s.addr(), ih, false, false)
				m := tc.msg
				require.NoError(t, h.send(&m))
				h.requireClosed(dropWithin, tc.name)
			})
		}
		st, err := s.victim.Stats(c.ih, "pieces", "peers")
		require.NoError(t, err)
		require.Zero(t, st["pieces"].(braid.Pieces).Have, "no piece may come from out-of-range messages")
		s.honestCompletes()
	})

	t.Run("blocks never asked for", func(t *testing.T) {
		s := newScenario(t, c)
		h := connectHostile(t, s.addr(), ih, true, false)
		// Correct data even: unasked blocks are wasted, never written.
		var sent int64
		var ms []*wire.Message
		for p := 0; p < 8; p++ {
			for b := 0; b < 4; b++ {
				blk := c.piece(p)[b*wire.BlockSize : (b+1)*wire.BlockSize]
				ms = append(ms, &wire.Message{Type: wire.Piece, Index: uint32(p), Begin: uint32(b * wire.BlockSize), Block: blk})
				sent += wire.BlockSize
			}
		}
		require.NoError(t, h.send(ms...))
		require.True(t, eventually(5*time.Second, func() bool {
			return stat[int64](t, s.victim, c.ih, "wasted") >= sent
		}), "wasted %d bytes, want >= %d", stat[int64](t, s.victim, c.ih, "wasted"), sent)
		require.Zero(t, stat[braid.Pieces](t, s.victim, c.ih, "pieces").Have, "unasked blocks must not complete pieces")
		// The connection may stay: such blocks are usually late, not evil.
		h.requireOpen(time.Second, "unasked blocks")
		t.Logf("wasted after %d unasked bytes: %d", sent, stat[int64](t, s.victim, c.ih, "wasted"))
		s.honestCompletes()
	})

	t.Run("bad data for the same piece repeatedly is banned", func(t *testing.T) {
		s := newScenario(t, c)
		h := connectHostile(t, s.addr(), ih, true, true)
		// It has piece 0 only, so Braid keeps asking it for that piece.
		bf := make([]byte, (n+7)/8)
		bf[0] = 0x80
		require.NoError(t, h.send(&wire.Message{Type: wire.Bitfield, Bitfield: bf}, &wire.Message{Type: wire.Unchoke}))
		go func() {
			for {
				m, ok := h.next(30*time.Second, isType(wire.Request))
				if !ok {
					return
				}
				if h.send(&wire.Message{Type: wire.Piece, Index: m.Index, Begin: m.Begin, Block: garbage(int(m.Length))}) != nil {
					return
				}
			}
		}()
		took := h.requireClosed(20*time.Second, "peer sending bad data for piece 0")
		fails := stat[int](t, s.victim, c.ih, "hash_fails")
		t.Logf("banned after %v: %d hash failures, wasted %d", took.Round(time.Millisecond), fails, stat[int64](t, s.victim, c.ih, "wasted"))
		require.GreaterOrEqual(t, fails, 2, "dropped before it failed twice: %v", h.closeErr)
		require.Zero(t, stat[braid.Pieces](t, s.victim, c.ih, "pieces").Have)

		// Reconnects from the banned address are refused: no greeting, closed at once.
		for i := 0; i < 3; i++ {
			again := newHostile(t, dialHostile(t, s.addr()))
			require.NoError(t, again.sendHandshake(ih, true, true))
			_ = again.readHandshake(dropWithin) // Braid may answer before it looks the peer up
			again.requireClosed(dropWithin, "reconnect from a banned address")
			_, greeted := again.next(0, func(wire.Message) bool { return true })
			require.False(t, greeted, "a banned peer must not be greeted (bitfield, extension handshake)")
		}
		s.honestCompletes()
		require.Equal(t, fails, stat[int](t, s.victim, c.ih, "hash_fails"), "the honest seeder's data never fails")
	})

	t.Run("messages before the handshake", func(t *testing.T) {
		s := newScenario(t, c)
		h := newHostile(t, dialHostile(t, s.addr()))
		var b []byte
		for i := 0; i < 20; i++ {
			b = wire.AppendMessage(b, &wire.Message{Type: wire.Interested})
		}
		b = wire.AppendMessage(b, &wire.Message{Type: wire.Bitfield, Bitfield: bytes.Repeat([]byte{0xFF}, int(n/8))})
		require.Greater(t, len(b), wire.HandshakeLen)
		require.NoError(t, h.sendRaw(b))
		took := h.requireClosed(2*time.Second, "peer-wire messages instead of a handshake")
		t.Logf("dropped after %v", took.Round(time.Millisecond))
		require.Zero(t, h.received.Load())
		s.honestCompletes()
	})

	t.Run("choke and unchoke storm", func(t *testing.T) {
		s := newScenario(t, c)
		baseG := numGoroutine()
		before := heapInuse()
		h := connectHostile(t, s.addr(), ih, false, false)
		h.startReader()
		go func() { // the test counts messages; it need not keep them
			for range h.msgs {
			}
		}()
		require.NoError(t, h.send(&wire.Message{Type: wire.Bitfield, Bitfield: fullBitfield(int(n))}))
		// Paced: after each Unchoke the test waits for Braid's requests, so
		// every alternation reaches Braid's session and costs it work.
		requests := 0
		stormDone := make(chan error, 1)
		go func() {
			for i := 0; i < 1000; i++ {
				seen := h.byType[wire.Request].Load()
				if err := h.send(&wire.Message{Type: wire.Unchoke}); err != nil {
					stormDone <- err
					return
				}
				if !eventuallyFast(2*time.Second, func() bool { return h.byType[wire.Request].Load() > seen }) {
					stormDone <- fmt.Errorf("alternation %d: no request within 2s of the unchoke", i)
					return
				}
				requests++
				if err := h.send(&wire.Message{Type: wire.Choke}); err != nil {
					stormDone <- err
					return
				}
			}
			stormDone <- nil
		}()
		worst := pollStats(t, s.victim, c.ih, stormDone)
		t.Logf("choke storm: slowest Stats call %v; Braid sent %d messages, %d requests, %d cancels; requests after %d unchokes",
			worst.Round(time.Microsecond), h.received.Load(), h.byType[wire.Request].Load(), h.byType[wire.Cancel].Load(), requests)
		require.Less(t, worst, time.Second, "Stats must answer within 1 s during the storm")
		requireHeapBounded(t, before, 16<<20, "after 1,000 choke/unchoke alternations")
		_ = h.conn.Close()
		s.honestCompletes()
		requireGoroutinesBack(t, baseG+30, 10, 10*time.Second)
	})

	t.Run("extension handshake claims 4 GiB of metadata", func(t *testing.T) {
		s := newScenario(t, c)
		before := heapInuse()
		h := connectHostile(t, s.addr(), ih, true, true)
		payload := []byte("d1:md11:ut_metadatai3e6:ut_pexi4ee13:metadata_sizei4294967295e1:v6:hostilee")
		require.NoError(t, h.send(&wire.Message{Type: wire.Extended, ExtID: 0, Payload: payload}))
		dropped := h.closedWithin(2 * time.Second)
		t.Logf("peer claiming metadata_size 4294967295: dropped=%v (%v)", dropped, h.closeErr)
		requireHeapBounded(t, before, 16<<20, "after a 4 GiB metadata_size claim")
		s.honestCompletes()
	})
}

func hex32(n uint32) string {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], n)
	const digits = "0123456789ABCDEF"
	out := []byte("0x")
	for _, x := range b {
		out = append(out, digits[x>>4], digits[x&15])
	}
	return string(out)
}

// fullBitfield has every one of n pieces.
func fullBitfield(n int) []byte {
	bf := make([]byte, (n+7)/8)
	for i := 0; i < n; i++ {
		bf[i/8] |= 0x80 >> (i % 8)
	}
	return bf
}

// pollStats calls Stats every 50 ms until done yields, and returns the
// slowest call: Braid's API must stay responsive under attack.
func pollStats(t testing.TB, c *braid.Client, ih braid.InfoHash, done <-chan error) time.Duration {
	t.Helper()
	var worst time.Duration
	for {
		start := time.Now()
		_, err := c.Stats(ih, "state", "peers", "pieces", "speed")
		require.NoError(t, err)
		worst = max(worst, time.Since(start))
		select {
		case err := <-done:
			require.NoError(t, err)
			return worst
		case <-time.After(50 * time.Millisecond):
		}
	}
}
