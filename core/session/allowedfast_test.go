package session

import (
	"bytes"
	"slices"
	"testing"

	"github.com/braid-bt/braid/core/picker"
	"github.com/braid-bt/braid/core/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var aaInfoHash = [20]byte(bytes.Repeat([]byte{0xaa}, 20))

func indicesOf(ms []wire.Message) []uint32 {
	var out []uint32
	for _, m := range ms {
		out = append(out, m.Index)
	}
	return out
}

func TestAllowedFastGrantedAndServedWhileChoked(t *testing.T) {
	const n = 40
	h := newHarness(t, n, 32<<10, fullHave(n), Config{InfoHash: aaInfoHash})
	h.add(1, true, false)
	h.typ(1, wire.HaveNone)

	host := hostOf(addrOf(1))
	require.Equal(t, "10.0.0.1", host)
	want := wire.AllowedFastSet([]byte{10, 0, 0, 1}, aaInfoHash, n, AllowedFastCount)
	require.Len(t, want, AllowedFastCount)
	assert.Equal(t, want, indicesOf(h.out.sent(1, wire.AllowedFast)))
	require.True(t, h.s.peers[1].amChoking)

	inSet := map[int]bool{}
	for _, i := range want {
		inSet[int(i)] = true
	}
	other := 0
	for inSet[other] {
		other++
	}

	h.out.reset()
	h.msg(1, wire.Message{Type: wire.Request, Index: want[0], Begin: 0, Length: 16 << 10})
	sb := h.out.kinds("sendblock")
	require.Len(t, sb, 1, "a request in the allowed-fast set is served while choked")
	assert.Equal(t, int(want[0]), sb[0].Piece)
	assert.Empty(t, h.out.sent(1, wire.Reject))

	h.out.reset()
	h.msg(1, wire.Message{Type: wire.Request, Index: uint32(other), Begin: 0, Length: 16 << 10})
	assert.Empty(t, h.out.kinds("sendblock"))
	rej := h.out.sent(1, wire.Reject)
	require.Len(t, rej, 1, "a request outside the set is rejected while choked")
	assert.Equal(t, uint32(other), rej[0].Index)
	assert.Nil(t, h.out.closed(1))
}

func TestAllowedFastOnlyPiecesWeHave(t *testing.T) {
	const n = 40
	want := wire.AllowedFastSet([]byte{10, 0, 0, 1}, aaInfoHash, n, AllowedFastCount)
	have := fullHave(n)
	have.Clear(int(want[0]))
	h := newHarness(t, n, 32<<10, have, Config{InfoHash: aaInfoHash})
	h.add(1, true, false)
	h.msg(1, wire.Message{Type: wire.Bitfield, Bitfield: make([]byte, (n+7)/8)})
	assert.Equal(t, want[1:], indicesOf(h.out.sent(1, wire.AllowedFast)))

	h.out.reset()
	h.msg(1, wire.Message{Type: wire.Request, Index: want[0], Begin: 0, Length: 16 << 10})
	assert.Empty(t, h.out.kinds("sendblock"))
	assert.Len(t, h.out.sent(1, wire.Reject), 1)
}

func TestAllowedFastNotGranted(t *testing.T) {
	const n = 40
	cases := map[string]func(h *harness){
		"peer without the fast extension": func(h *harness) {
			h.add(1, false, false)
			h.msg(1, wire.Message{Type: wire.Bitfield, Bitfield: make([]byte, (n+7)/8)})
		},
		"peer with many pieces": func(h *harness) {
			h.partialPeer(1, true, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9)
		},
		"IPv6 peer": func(h *harness) {
			h.s.AddPeer(1, PeerInfo{Addr: "[2001:db8::1]:6881", Fast: true}, h.now)
			h.typ(1, wire.HaveNone)
		},
	}
	for name, setup := range cases {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, n, 32<<10, fullHave(n), Config{InfoHash: aaInfoHash})
			setup(h)
			assert.Empty(t, h.out.sent(1, wire.AllowedFast))
		})
	}
	t.Run("torrent with no more pieces than k", func(t *testing.T) {
		h := newHarness(t, AllowedFastCount, 32<<10, fullHave(AllowedFastCount), Config{InfoHash: aaInfoHash})
		h.add(1, true, false)
		h.typ(1, wire.HaveNone)
		assert.Empty(t, h.out.sent(1, wire.AllowedFast))
		h.msg(1, wire.Message{Type: wire.Request, Index: 0, Begin: 0, Length: 16 << 10})
		assert.Empty(t, h.out.kinds("sendblock"))
	})
}

func TestAllowedFastAnnouncedWhenVerified(t *testing.T) {
	const n = 40
	want := wire.AllowedFastSet([]byte{10, 0, 0, 1}, aaInfoHash, n, AllowedFastCount)
	have := fullHave(n)
	missing := int(want[0])
	have.Clear(missing)
	h := newHarness(t, n, 32<<10, have, Config{InfoHash: aaInfoHash})
	h.add(1, true, false)
	h.typ(1, wire.HaveNone)
	require.Equal(t, want[1:], indicesOf(h.out.sent(1, wire.AllowedFast)))

	h.partialPeer(2, true, missing)
	h.download(2)
	require.True(t, h.s.Have().Has(missing))
	assert.Equal(t, append(slices.Clone(want[1:]), want[0]), indicesOf(h.out.sent(1, wire.AllowedFast)),
		"the missing piece of the set is announced once verified")

	h.out.reset()
	h.msg(1, wire.Message{Type: wire.Request, Index: uint32(missing), Begin: 0, Length: 16 << 10})
	assert.Len(t, h.out.kinds("sendblock"), 1)
}

func TestAllowedFastRequestsBoundedWhileChoked(t *testing.T) {
	const n = 40
	info, _ := testData(n, 64<<10, 0)
	out := &queueOut{}
	s := New(info, fullHave(n), Config{MaxPeerRequests: 2, InfoHash: aaInfoHash}, out, t0)
	s.AddPeer(1, PeerInfo{Addr: "10.0.0.1:1", Fast: true}, t0)
	s.Message(1, &wire.Message{Type: wire.HaveNone}, t0)
	set := indicesOf(out.sent(1, wire.AllowedFast))
	require.Len(t, set, AllowedFastCount)
	require.True(t, s.peers[1].amChoking)
	for i := range 3 {
		s.Message(1, &wire.Message{Type: wire.Request, Index: set[0], Begin: uint32(i * 16384), Length: 16384}, t0)
	}
	assert.Len(t, out.kinds("sendblock"), 2)
	assert.Equal(t, []picker.Block{{Piece: int(set[0]), Begin: 32768, Length: 16384}},
		reqBlocks(out.sent(1, wire.Reject)), "over MaxPeerRequests while choked")
}
