package session

import (
	"testing"
	"time"

	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/core/picker"
	"github.com/braid-bt/braid/core/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// extPeer adds a peer with a BEP 10 reqq that has only piece 0 and
// unchokes us.
func (h *harness) extPeer(id PeerID, reqq int) {
	h.add(id, false, true)
	eh := wire.ExtHandshake{ReqQ: reqq}
	h.msg(id, wire.Message{Type: wire.Extended, Payload: eh.Encode()})
	h.msg(id, wire.Message{Type: wire.Bitfield, Bitfield: []byte{0x80}})
	h.typ(id, wire.Unchoke)
}

// badBlock sends block b with one byte flipped.
func (h *harness) badBlock(id PeerID, b picker.Block) {
	off := h.info.PieceOffset(b.Piece) + int64(b.Begin)
	data := append([]byte(nil), h.data[off:off+int64(b.Length)]...)
	data[len(data)/2] ^= 0x55
	h.msg(id, wire.Message{Type: wire.Piece, Index: uint32(b.Piece), Begin: uint32(b.Begin), Block: data})
}

// mixedCopy delivers piece 0 of a 2-piece torrent from two peers: peer 1
// sends a bad block and a good one, peer 2 two good ones; the piece is
// handed to hashing, not yet reported.
func mixedCopy(t *testing.T) *harness {
	h := newHarness(t, 2, 64<<10, nil, Config{})
	h.bystander(9)
	h.extPeer(1, 2)
	h.extPeer(2, 4)
	a, b := h.outstanding(1), h.outstanding(2)
	require.Len(t, a, 2)
	require.Len(t, b, 2)
	h.badBlock(1, a[0])
	h.block(1, a[1])
	h.block(2, b[0])
	h.block(2, b[1])
	require.Len(t, h.out.kinds("hash"), 1)
	return h
}

func TestSmartBanFindsTheBadSender(t *testing.T) {
	h := mixedCopy(t)
	h.hashedBad(0)
	assert.NoError(t, h.out.closed(1), "one failure with two senders proves nothing yet")

	// The piece is on parole: one peer fetches it again, and the other
	// takes over only once that one gives it up.
	require.NotEmpty(t, h.outstanding(1))
	require.Empty(t, h.outstanding(2), "the retry comes from one peer")
	h.typ(1, wire.Choke)
	h.advance(time.Second)
	h.s.Tick(h.now)
	require.NotEmpty(t, h.outstanding(2))
	for len(h.outstanding(2)) > 0 {
		h.block(2, h.outstanding(2)[0])
	}
	require.Len(t, h.out.kinds("hash"), 2)
	h.s.PieceHashed(0, true, nil, h.now)
	assert.ErrorIs(t, h.out.closed(1), ErrBanned, "its block differs from the good copy")
	assert.NoError(t, h.out.closed(2))

	// The ban covers the address, whatever the port.
	h.out.reset()
	h.s.AddPeer(7, PeerInfo{Addr: "10.0.0.1:9999"}, h.now)
	assert.ErrorIs(t, h.out.closed(7), ErrBanned)
	assert.Equal(t, 2, h.s.Stats(h.now).Peers)
}

// A failed copy the hasher could not re-read has no block sums: the good
// copy then proves nothing about its senders, so nobody is convicted.
func TestFailedCopyWithoutSumsConvictsNoOne(t *testing.T) {
	h := mixedCopy(t)
	h.s.PieceHashed(0, false, nil, h.now)
	for len(h.outstanding(1)) > 0 {
		h.block(1, h.outstanding(1)[0])
	}
	require.Len(t, h.out.kinds("hash"), 2)
	h.s.PieceHashed(0, true, nil, h.now)
	assert.NoError(t, h.out.closed(1))
	assert.NoError(t, h.out.closed(2))
}

// Blocks are summed as they arrive only for a piece on parole.
func TestBlockSumsOnlyOnParole(t *testing.T) {
	h := newHarness(t, 2, 64<<10, nil, Config{})
	h.bystander(9)
	h.extPeer(1, 4)
	h.block(1, h.outstanding(1)[0])
	ps := h.s.pieces[0]
	require.NotNil(t, ps)
	assert.False(t, ps.blocks[0].summed, "a first copy is not summed per block")
	for len(h.outstanding(1)) > 0 {
		h.badBlock(1, h.outstanding(1)[0])
	}
	h.hashedBad(0)
	require.Len(t, ps.failed, 1)
	for k, r := range ps.failed[0] {
		assert.True(t, r.summed, "failed copy block %d", k)
	}
	h.block(1, h.outstanding(1)[0])
	assert.True(t, ps.blocks[0].summed, "a copy on parole is summed as it arrives")
	assert.Equal(t, h.s.BlockSums(h.data[:picker.BlockSize], nil)[0], ps.blocks[0].sum)
}

func TestSoleSenderBannedOnSecondFailure(t *testing.T) {
	h := newHarness(t, 2, 64<<10, nil, Config{})
	h.bystander(9)
	h.partialPeer(1, false, 0)
	for round := 1; round <= 2; round++ {
		for _, b := range h.outstanding(1) {
			h.badBlock(1, b)
		}
		require.Len(t, h.out.kinds("hash"), round)
		h.hashedBad(0)
	}
	assert.ErrorIs(t, h.out.closed(1), ErrBanned)
	assert.Equal(t, 2, h.s.Stats(h.now).HashFails)
	assert.Equal(t, int64(2*64<<10), h.s.Stats(h.now).Wasted)
}

func TestMixedFailuresBlameNoOne(t *testing.T) {
	h := newHarness(t, 10, 32<<10, nil, Config{})
	for id := PeerID(1); id <= 3; id++ {
		h.add(id, false, false)
	}
	data := make([]byte, 16384)
	give := func(piece int, ids ...PeerID) {
		for k, id := range ids {
			h.s.record(h.s.peers[id], picker.Block{Piece: piece, Begin: k * 16384, Length: 16384}, data)
		}
		h.s.hashing.Set(piece) // as if all blocks arrived
	}
	// Peer 2 shared five failed pieces with others: nothing proves it lied.
	for piece := range 5 {
		give(piece, PeerID(1+piece%2*2), 2)
		h.hashedBad(piece)
	}
	for id := PeerID(1); id <= 3; id++ {
		assert.NoError(t, h.out.closed(id), "peer %d", id)
	}
	assert.Len(t, h.s.parole, 5, "every failed piece is fetched again from one peer")
	// Pieces peer 3 sent alone: the first failure is a strike, the second a ban.
	give(6, 3, 3)
	h.hashedBad(6)
	assert.NoError(t, h.out.closed(3))
	give(7, 3, 3)
	h.hashedBad(7)
	assert.ErrorIs(t, h.out.closed(3), ErrBanned)
	assert.NoError(t, h.out.closed(1))
	assert.NoError(t, h.out.closed(2))
}

func TestMaxBadPiecesConfig(t *testing.T) {
	h := newHarness(t, 10, 32<<10, nil, Config{MaxBadPieces: 3})
	h.add(1, false, false)
	data := make([]byte, 16384)
	for piece := range 3 {
		assert.NoError(t, h.out.closed(1), "after %d sole failures", piece)
		for k := range 2 {
			h.s.record(h.s.peers[1], picker.Block{Piece: piece, Begin: k * 16384, Length: 16384}, data)
		}
		h.s.hashing.Set(piece)
		h.hashedBad(piece)
	}
	assert.ErrorIs(t, h.out.closed(1), ErrBanned)
}

func TestFilePriorities(t *testing.T) {
	info, data := testData(5, 32<<10, 0) // 160 KiB
	info.MultiFile = true
	info.Files = []metainfo.File{
		{Path: []string{"a"}, Length: 40 << 10, Offset: 0},         // pieces 0-1
		{Path: []string{"empty"}, Length: 0, Offset: 40 << 10},     // none
		{Path: []string{"b"}, Length: 100 << 10, Offset: 40 << 10}, // pieces 1-4
		{Path: []string{"c"}, Length: 20 << 10, Offset: 140 << 10}, // piece 4
	}
	out := &fakeOut{}
	h := &harness{t: t, s: New(info, nil, Config{}, out, t0), out: out, info: info, data: data, now: t0}

	h.s.SetFilePriority(2, picker.PriorityNone)
	for i, want := range []picker.Priority{picker.PriorityNormal, picker.PriorityNormal, picker.PriorityNone, picker.PriorityNone, picker.PriorityNormal} {
		assert.Equal(t, want, h.s.PiecePriority(i), "piece %d", i)
	}
	h.s.SetFilePriority(0, picker.PriorityNone)
	h.s.SetFilePriority(1, picker.PriorityHigh) // empty: affects nothing
	for i, want := range []picker.Priority{picker.PriorityNone, picker.PriorityNone, picker.PriorityNone, picker.PriorityNone, picker.PriorityNormal} {
		assert.Equal(t, want, h.s.PiecePriority(i), "piece %d", i)
	}
	assert.Equal(t, picker.PriorityNone, h.s.FilePriority(0))
	assert.Equal(t, picker.PriorityNormal, h.s.FilePriority(3))

	h.seedPeer(1, false)
	for _, b := range h.outstanding(1) {
		assert.Equal(t, 4, b.Piece, "only the wanted piece")
	}
	for len(h.outstanding(1)) > 0 {
		h.block(1, h.outstanding(1)[0])
	}
	h.s.PieceHashed(4, true, nil, h.now)
	assert.Len(t, h.out.kinds("completed"), 1)
	assert.True(t, h.s.Complete())
	assert.ErrorIs(t, h.out.closed(1), ErrBothSeeds)
	st := h.s.Stats(h.now)
	assert.Equal(t, int64(0), st.WantedLeft)
	assert.Equal(t, int64(128<<10), st.Left)
	assert.Equal(t, int64(20<<10), h.s.FileCompleted(3))
	assert.Equal(t, int64(12<<10), h.s.FileCompleted(2))
	assert.Equal(t, int64(0), h.s.FileCompleted(0))
	assert.Equal(t, int64(0), h.s.FileCompleted(1))
	assert.Equal(t, int64(0), h.s.FileCompleted(9))

	// Wanting more makes us incomplete again, and interested.
	h.s.SetFilePriority(2, picker.PriorityHigh)
	assert.False(t, h.s.Complete())
	for i, want := range []picker.Priority{picker.PriorityNone, picker.PriorityHigh, picker.PriorityHigh, picker.PriorityHigh, picker.PriorityHigh} {
		assert.Equal(t, want, h.s.PiecePriority(i), "piece %d", i)
	}
	h.seedPeer(2, false)
	assert.NotEmpty(t, h.outstanding(2))
	assert.Len(t, h.out.sent(2, wire.Interested), 1)
	h.s.SetFilePriority(2, picker.PriorityNone)
	assert.True(t, h.s.Complete())
	assert.Len(t, h.out.kinds("completed"), 2, "once per transition")
	assert.Len(t, h.out.sent(2, wire.NotInterested), 1)
}

func TestPiecePriorityInterest(t *testing.T) {
	h := newHarness(t, 4, 32<<10, nil, Config{})
	h.add(1, false, false)
	h.msg(1, wire.Message{Type: wire.Bitfield, Bitfield: []byte{0x40}}) // piece 1
	assert.Len(t, h.out.sent(1, wire.Interested), 1)
	h.s.SetPiecePriority(1, picker.PriorityNone)
	assert.Len(t, h.out.sent(1, wire.NotInterested), 1)
	h.s.SetPiecePriority(1, picker.PriorityHigh)
	assert.Len(t, h.out.sent(1, wire.Interested), 2)
	h.s.SetPiecePriority(-1, picker.PriorityHigh)
	h.s.SetPiecePriority(4, picker.PriorityHigh)
}
