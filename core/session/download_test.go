package session

import (
	"testing"
	"time"

	"github.com/braid-bt/braid/core/bitfield"
	"github.com/braid-bt/braid/core/picker"
	"github.com/braid-bt/braid/core/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestInterest(t *testing.T) {
	const n = 8
	have := bitfield.New(n)
	for i := range 4 {
		have.Set(i)
	}
	h := newHarness(t, n, 32<<10, have, Config{})
	h.add(1, false, false)
	theirs := bitfield.New(n)
	for i := range 4 {
		theirs.Set(i)
	}
	h.msg(1, wire.Message{Type: wire.Bitfield, Bitfield: theirs.Bytes()})
	assert.Empty(t, h.out.sent(1, wire.Interested), "it has nothing we lack")
	h.have(1, 2)
	assert.Empty(t, h.out.sent(1, wire.Interested))
	h.have(1, 5)
	assert.Len(t, h.out.sent(1, wire.Interested), 1)
	h.have(1, 6)
	assert.Len(t, h.out.sent(1, wire.Interested), 1, "said once")
	assert.True(t, h.peerStats(1).AmInterested)

	// Fetch pieces 5 and 6 from it; after the last we lose interest.
	h.typ(1, wire.Unchoke)
	for _, piece := range []int{5, 6} {
		for _, b := range h.outstanding(1) {
			if b.Piece == piece {
				h.block(1, b)
			}
		}
	}
	for _, b := range h.outstanding(1) {
		h.block(1, b)
	}
	require.Len(t, h.out.kinds("hash"), 2)
	h.s.PieceHashed(5, true, nil, h.now)
	assert.Empty(t, h.out.sent(1, wire.NotInterested))
	h.s.PieceHashed(6, true, nil, h.now)
	assert.Len(t, h.out.sent(1, wire.NotInterested), 1)
	assert.False(t, h.peerStats(1).AmInterested)
}

func TestPipelineFillsAndRefills(t *testing.T) {
	h := newHarness(t, 128, 64<<10, nil, Config{})
	h.seedPeer(1, false)
	reqs := reqBlocks(h.out.sent(1, wire.Request))
	require.Len(t, reqs, DefaultMinQueue, "a new peer starts at MinQueue")
	assert.Equal(t, reqs, h.outstanding(1))
	assert.Equal(t, DefaultMinQueue, h.peerStats(1).Outstanding)

	// Received blocks are replaced in batches of a quarter of the target,
	// so the pipe stays three quarters full with one request message per
	// batch instead of one per block.
	batch := refillBatch(DefaultMinQueue)
	require.Greater(t, batch, 1)
	h.out.reset()
	for i := range batch - 1 {
		h.block(1, reqs[i])
	}
	assert.Empty(t, h.out.sent(1, wire.Request), "a pipeline short of less than a batch waits")
	assert.Len(t, h.outstanding(1), DefaultMinQueue-batch+1)
	h.block(1, reqs[batch-1])
	more := reqBlocks(h.out.sent(1, wire.Request))
	require.Len(t, more, batch, "a batch short: topped up at once")
	for _, b := range more {
		assert.NotContains(t, reqs, b)
	}
	assert.Len(t, h.outstanding(1), DefaultMinQueue)

	// A steady 512 KiB/s grows the pipeline to about queueTime seconds' worth.
	for sec := 0; sec < 10; sec++ {
		for range 32 {
			h.block(1, h.outstanding(1)[0])
		}
		h.advance(time.Second)
		h.s.Tick(h.now)
	}
	p := h.s.peers[1]
	assert.InDelta(t, 512<<10, p.down.value, 0.15*(512<<10))
	assert.InDelta(t, queueTime*32+2, h.s.target(p), 15)
	assert.Len(t, h.outstanding(1), h.s.target(p))
}

func TestPipelineRespectsReqq(t *testing.T) {
	h := newHarness(t, 16, 64<<10, nil, Config{})
	h.add(1, false, true)
	eh := wire.ExtHandshake{ReqQ: 2}
	h.msg(1, wire.Message{Type: wire.Extended, Payload: eh.Encode()})
	h.msg(1, wire.Message{Type: wire.Bitfield, Bitfield: fullHave(16).Bytes()})
	h.typ(1, wire.Unchoke)
	assert.Len(t, h.outstanding(1), 2)
	p := h.s.peers[1]
	p.down.value = 100 << 20
	assert.Equal(t, 2, h.s.target(p))

	h.s.cfg.MaxQueue = 30
	p.reqq = 0
	assert.Equal(t, 30, h.s.target(p), "MaxQueue caps fast peers")
	p.down.value = 0
	assert.Equal(t, DefaultMinQueue, h.s.target(p))
}

func TestChokeDropsRequestsWithoutFast(t *testing.T) {
	// Peers 1 and 2 have only piece 0 (four blocks); peer 9 keeps the
	// swarm out of endgame.
	h := newHarness(t, 2, 64<<10, nil, Config{})
	h.bystander(9)
	h.partialPeer(1, false, 0)
	first := h.outstanding(1)
	require.Len(t, first, 4)
	h.partialPeer(2, false, 0)
	assert.Empty(t, h.outstanding(2), "all blocks are taken")

	h.typ(1, wire.Choke)
	assert.Empty(t, h.outstanding(1))
	h.s.Tick(h.now.Add(time.Second))
	assert.ElementsMatch(t, first, h.outstanding(2), "peer 2 takes over")
	h.typ(1, wire.Unchoke)
	assert.Empty(t, h.outstanding(1))
}

func TestChokeWithFastWaitsForRejects(t *testing.T) {
	h := newHarness(t, 2, 64<<10, nil, Config{})
	h.bystander(9)
	h.partialPeer(1, true, 0)
	first := h.outstanding(1)
	require.Len(t, first, 4)
	h.partialPeer(2, true, 0)
	h.typ(1, wire.Choke)
	assert.Equal(t, first, h.outstanding(1), "BEP 6: a choke does not cancel requests")
	for _, b := range first[:2] {
		h.msg(1, wire.Message{Type: wire.Reject, Index: uint32(b.Piece), Begin: uint32(b.Begin), Length: uint32(b.Length)})
	}
	assert.Equal(t, first[2:], h.outstanding(1))
	h.s.Tick(h.now.Add(time.Second))
	assert.ElementsMatch(t, first[:2], h.outstanding(2))
	// A block still served after the choke is welcome.
	h.out.reset()
	h.block(1, first[2])
	assert.Len(t, h.out.kinds("write"), 1)
}

func TestAllowedFastWhileChoked(t *testing.T) {
	h := newHarness(t, 8, 64<<10, nil, Config{})
	h.add(1, true, false)
	h.typ(1, wire.HaveAll)
	assert.Empty(t, h.outstanding(1), "choked")
	h.msg(1, wire.Message{Type: wire.AllowedFast, Index: 5})
	got := h.outstanding(1)
	require.Len(t, got, 4)
	for _, b := range got {
		assert.Equal(t, 5, b.Piece)
	}
	// Allowed-fast pieces it does not have are not requested.
	h2 := newHarness(t, 8, 64<<10, nil, Config{})
	h2.add(1, true, false)
	h2.msg(1, wire.Message{Type: wire.AllowedFast, Index: 3})
	h2.typ(1, wire.HaveNone)
	assert.Empty(t, h2.outstanding(1))
	h2.have(1, 3)
	assert.Len(t, h2.outstanding(1), 4)
}

func TestRequestTimeoutAndSnub(t *testing.T) {
	h := newHarness(t, 1, 64<<10, nil, Config{})
	h.seedPeer(1, false)
	first := h.outstanding(1)
	require.Len(t, first, 4)

	h.out.reset()
	h.advance(29 * time.Second)
	h.s.Tick(h.now)
	assert.Empty(t, h.out.sent(1, wire.Cancel))

	h.advance(2 * time.Second)
	h.s.Tick(h.now)
	assert.ElementsMatch(t, first, reqBlocks(h.out.sent(1, wire.Cancel)))
	assert.ElementsMatch(t, first, reqBlocks(h.out.sent(1, wire.Request)), "re-requested")
	assert.False(t, h.peerStats(1).Snubbed)

	h.advance(30 * time.Second)
	h.s.Tick(h.now)
	ps := h.peerStats(1)
	assert.True(t, ps.Snubbed, "nothing for 61 s while unchoking us")
	assert.Equal(t, 1, ps.Outstanding, "a snubbed peer keeps one probe")

	// A late answer to a request we gave up on is still taken while the
	// block is needed; it does not lift the snub.
	h.out.reset()
	late := first[1]
	if h.outstanding(1)[0] == late {
		late = first[2]
	}
	h.block(1, late)
	assert.Len(t, h.out.kinds("write"), 1)
	assert.Equal(t, int64(0), h.s.Stats(h.now).Wasted)
	assert.True(t, h.peerStats(1).Snubbed)
	h.block(1, late) // twice is once too many
	assert.Len(t, h.out.kinds("write"), 1)
	assert.Equal(t, int64(16384), h.s.Stats(h.now).Wasted)

	// The probe's answer lifts the snub.
	h.block(1, h.outstanding(1)[0])
	assert.False(t, h.peerStats(1).Snubbed)
}

func TestLateBlockAfterChoke(t *testing.T) {
	h := newHarness(t, 2, 64<<10, nil, Config{})
	h.bystander(9)
	h.partialPeer(1, false, 0)
	first := h.outstanding(1)
	require.Len(t, first, 4)
	h.partialPeer(2, false, 0)
	h.typ(1, wire.Choke)
	h.s.Tick(h.now.Add(time.Second))
	require.ElementsMatch(t, first, h.outstanding(2))

	// Peer 1 had sent two blocks before it saw our requests were void.
	h.out.reset()
	h.block(1, first[0])
	assert.Len(t, h.out.kinds("write"), 1, "still needed: taken")
	assert.Equal(t, []picker.Block{first[0]}, reqBlocks(h.out.sent(2, wire.Cancel)), "peer 2 need not send it")
	assert.NotContains(t, h.outstanding(2), first[0])
	h.block(2, first[1])
	h.block(1, first[1])
	assert.Len(t, h.out.kinds("write"), 2, "already received from peer 2: wasted")
	assert.Equal(t, int64(16384), h.s.Stats(h.now).Wasted)
	// A block never asked of this peer is not taken.
	h.block(1, picker.Block{Piece: 1, Begin: 0, Length: 16384})
	assert.Len(t, h.out.kinds("write"), 2)
	assert.Equal(t, int64(32768), h.s.Stats(h.now).Wasted)
}

func TestEndgameCancelsDuplicates(t *testing.T) {
	// One piece of two blocks; peer 1 holds both requests.
	h := newHarness(t, 1, 32<<10, nil, Config{})
	h.seedPeer(1, true)
	b := h.outstanding(1)
	require.Len(t, b, 2)

	h.seedPeer(2, true)
	assert.True(t, h.s.Stats(h.now).Endgame)
	assert.ElementsMatch(t, b, h.outstanding(2), "endgame duplicates the missing blocks")
	h.s.Tick(h.now.Add(time.Second))
	assert.ElementsMatch(t, b, h.outstanding(2), "never the same block twice to one peer")
	assert.ElementsMatch(t, b, h.outstanding(1))

	h.out.reset()
	h.block(1, b[0])
	assert.Equal(t, []picker.Block{b[0]}, reqBlocks(h.out.sent(2, wire.Cancel)))
	assert.Equal(t, []picker.Block{b[1]}, h.outstanding(2))
	// Its copy arrives anyway: wasted.
	h.block(2, b[0])
	assert.Len(t, h.out.kinds("write"), 1)
	assert.Equal(t, int64(16384), h.s.Stats(h.now).Wasted)

	h.out.reset()
	h.block(2, b[1])
	assert.Equal(t, []picker.Block{b[1]}, reqBlocks(h.out.sent(1, wire.Cancel)))
	assert.Len(t, h.out.kinds("hash"), 1)
	assert.Empty(t, h.outstanding(1))
}

func TestEndgameDuplicatesAreFew(t *testing.T) {
	h := newHarness(t, 1, 128<<10, nil, Config{})
	h.seedPeer(1, true)
	h.s.peers[1].down.value = 1 << 20 // deep pipeline: takes all eight blocks
	h.s.Tick(h.now)
	require.Len(t, h.outstanding(1), 8)
	h.seedPeer(2, true)
	assert.Len(t, h.outstanding(2), endgameQueue, "duplicates are capped per peer")
	h.block(2, h.outstanding(2)[0])
	assert.Len(t, h.outstanding(2), endgameQueue, "and topped up as they arrive")
	assert.Len(t, h.outstanding(1), 7, "the copy at peer 1 was cancelled")
}

func TestUnaskedHashResultIgnored(t *testing.T) {
	h := newHarness(t, 4, 32<<10, nil, Config{})
	h.s.PieceHashed(2, true, nil, h.now)
	h.hashedBad(3)
	h.s.PieceHashed(-1, true, nil, h.now)
	st := h.s.Stats(h.now)
	assert.Zero(t, st.PiecesHave)
	assert.Zero(t, st.HashFails)
	assert.Empty(t, h.out.calls)
}

func TestPieceWrittenHashedAnnounced(t *testing.T) {
	h := newHarness(t, 2, 32<<10, nil, Config{})
	h.seedPeer(1, false)
	h.add(2, false, false)
	reqs := h.outstanding(1)
	require.Len(t, reqs, 4)
	for _, b := range reqs {
		h.block(1, b)
	}
	writes := h.out.kinds("write")
	require.Len(t, writes, 4)
	for _, w := range writes {
		off := h.info.PieceOffset(w.Piece) + int64(w.Begin)
		assert.Equal(t, h.data[off:off+int64(w.Length)], w.Data)
	}
	hashes := h.out.kinds("hash")
	require.Len(t, hashes, 2)
	// Each hash comes after its piece's last write.
	last := map[int]int{}
	for i, c := range h.out.calls {
		if c.Kind == "write" {
			last[c.Piece] = i
		}
		if c.Kind == "hash" {
			assert.Greater(t, i, last[c.Piece])
		}
	}
	st := h.s.Stats(h.now)
	assert.Equal(t, int64(64<<10), st.Downloaded)
	assert.Equal(t, int64(0), st.Wasted)

	h.out.reset()
	h.s.PieceHashed(hashes[0].Piece, true, nil, h.now)
	assert.Len(t, h.out.sent(1, wire.Have), 1, "Have goes to every peer, even one that has it")
	assert.Len(t, h.out.sent(2, wire.Have), 1)
	assert.Empty(t, h.out.kinds("completed"))
	assert.False(t, h.s.Complete())

	h.s.PieceHashed(hashes[1].Piece, true, nil, h.now)
	assert.Len(t, h.out.kinds("completed"), 1)
	assert.True(t, h.s.Complete())
	assert.ErrorIs(t, h.out.closed(1), ErrBothSeeds, "a seed is useless to a seed")
	assert.NoError(t, h.out.closed(2))
	st = h.s.Stats(h.now)
	assert.Equal(t, 2, st.PiecesHave)
	assert.Equal(t, int64(0), st.Left)
	assert.True(t, h.s.Have().All())

	// A repeated result changes nothing.
	h.out.reset()
	h.s.PieceHashed(hashes[1].Piece, true, nil, h.now)
	h.s.PieceHashed(99, true, nil, h.now)
	assert.Empty(t, h.out.calls)
}

func TestHashFailureRefetches(t *testing.T) {
	h := newHarness(t, 1, 64<<10, nil, Config{})
	h.seedPeer(1, false)
	reqs := h.outstanding(1)
	for _, b := range reqs {
		h.block(1, b)
	}
	require.Len(t, h.out.kinds("hash"), 1)
	h.out.reset()
	h.hashedBad(0)
	st := h.s.Stats(h.now)
	assert.Equal(t, 1, st.HashFails)
	assert.Equal(t, int64(64<<10), st.Wasted)
	assert.Empty(t, h.out.kinds("completed"))
	assert.ElementsMatch(t, reqs, reqBlocks(h.out.sent(1, wire.Request)), "the piece is fetched again")
	assert.NoError(t, h.out.closed(1), "one failure is not enough to ban")
}

func TestStartingCompleteAndSeeds(t *testing.T) {
	h := newHarness(t, 4, 32<<10, fullHave(4), Config{})
	assert.True(t, h.s.Complete())
	h.add(1, true, false)
	h.typ(1, wire.HaveAll)
	assert.ErrorIs(t, h.out.closed(1), ErrBothSeeds)
	h.add(2, false, false)
	h.msg(2, wire.Message{Type: wire.Bitfield, Bitfield: []byte{0xe0}})
	assert.NoError(t, h.out.closed(2))
	h.have(2, 3)
	assert.ErrorIs(t, h.out.closed(2), ErrBothSeeds)
	assert.Empty(t, h.out.kinds("completed"), "starting complete is no transition")
}

func TestRemovePeerReleasesRequests(t *testing.T) {
	h := newHarness(t, 2, 64<<10, nil, Config{})
	h.bystander(9)
	h.partialPeer(1, false, 0)
	first := h.outstanding(1)
	h.partialPeer(2, false, 0)
	assert.Empty(t, h.outstanding(2))
	h.s.RemovePeer(1, h.now)
	assert.ElementsMatch(t, first, h.outstanding(2))
	assert.Equal(t, 2, h.s.pk.Availability(0), "its pieces no longer count")
}

func TestStop(t *testing.T) {
	have := bitfield.New(4)
	have.Set(0)
	h := newHarness(t, 4, 64<<10, have, Config{MinQueue: 4})
	h.seedPeer(1, true)
	h.typ(1, wire.Interested)
	done := h.outstanding(1) // one whole piece
	for _, b := range done {
		h.block(1, b)
	}
	require.Len(t, h.out.kinds("hash"), 1)
	reqs := h.outstanding(1)
	require.Len(t, reqs, 4)
	require.False(t, h.peerStats(1).AmChoking)

	h.out.reset()
	h.s.Stop(h.now)
	assert.ElementsMatch(t, reqs, reqBlocks(h.out.sent(1, wire.Cancel)))
	assert.Len(t, h.out.sent(1, wire.NotInterested), 1)
	assert.Len(t, h.out.sent(1, wire.Choke), 1)
	assert.True(t, h.s.Stopped())

	h.out.reset()
	h.typ(1, wire.Choke)
	h.typ(1, wire.Unchoke)
	h.msg(1, wire.Message{Type: wire.Request, Index: 0, Length: 16384})
	h.advance(time.Minute)
	h.s.Tick(h.now)
	h.s.Stop(h.now)
	assert.Empty(t, h.out.sent(1, wire.Request))
	assert.Empty(t, h.out.sent(1, wire.Unchoke))
	assert.Empty(t, h.out.kinds("sendblock"))
	assert.Len(t, h.out.sent(1, wire.Reject), 1)
	// Late blocks are wasted, results of hashing still count.
	h.block(1, reqs[0])
	assert.Empty(t, h.out.kinds("write"))
	h.s.PieceHashed(done[0].Piece, true, nil, h.now)
	assert.True(t, h.s.Have().Has(done[0].Piece))
}

// MaxOutstanding caps the requests in flight across all peers (a download
// rate limit sets it): peers share the budget, a received block frees a
// slot for its sender, and no request waits until it times out.
func TestMaxOutstandingCapsAllPeers(t *testing.T) {
	const budget = 20
	h := newHarness(t, 128, 64<<10, nil, Config{MaxOutstanding: budget})
	total := func() int {
		n := 0
		for _, id := range []PeerID{1, 2, 3} {
			n += len(h.outstanding(id))
		}
		return n
	}
	h.seedPeer(1, false)
	h.seedPeer(2, false)
	h.seedPeer(3, false)
	assert.Len(t, h.outstanding(1), DefaultMinQueue, "the first peer fills its pipeline")
	assert.Equal(t, budget, total(), "the rest of the budget, and no more")
	assert.Empty(t, h.outstanding(3))

	// A block frees one slot; its sender takes it in its next batch.
	for range refillBatch(DefaultMinQueue) {
		h.block(1, h.outstanding(1)[0])
	}
	assert.Equal(t, budget, total())

	// Delivered at the budget's pace (20 blocks every 2 s here), nothing
	// times out and nobody is snubbed, over several timeouts' time.
	for range 60 {
		for _, id := range []PeerID{1, 2, 3} {
			for _, b := range h.outstanding(id) {
				h.block(id, b)
			}
		}
		h.advance(2 * time.Second)
		h.s.Tick(h.now)
		require.LessOrEqual(t, total(), budget)
		if h.s.Complete() {
			break
		}
	}
	assert.Empty(t, h.out.sent(1, wire.Cancel), "nothing timed out")
	for _, id := range []PeerID{1, 2, 3} {
		assert.False(t, h.s.peers[id].snubbed, "peer %d snubbed (%d reqs, waiting since %v, now %v)", id, len(h.s.peers[id].reqs), h.s.peers[id].waitingSince, h.now)
	}

	// Without a cap the three pipelines fill independently.
	h2 := newHarness(t, 128, 64<<10, nil, Config{})
	h2.seedPeer(1, false)
	h2.seedPeer(2, false)
	assert.Len(t, h2.outstanding(2), DefaultMinQueue)
}
