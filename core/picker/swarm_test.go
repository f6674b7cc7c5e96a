package picker

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/braid-bt/braid/core/bitfield"
	"github.com/stretchr/testify/require"
)

type simPeer struct {
	has         *bitfield.Bitfield
	connected   bool
	outstanding []Block
}

// TestSwarm downloads whole torrents from simulated peers through
// Pick/Received/Verified, with cancels, disconnects, HAVEs, priority changes
// and hash failures, checking the picker's promises at every step.
func TestSwarm(t *testing.T) {
	var total simStats
	for seed := range uint64(150) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			s := simulate(t, seed)
			total.endgamePicks += s.endgamePicks
			total.failures += s.failures
		})
	}
	// The swarms must have exercised the rare paths.
	require.Positive(t, total.endgamePicks)
	require.Positive(t, total.failures)
}

type simStats struct{ endgamePicks, failures int }

func simulate(t *testing.T, seed uint64) (s simStats) {
	r := rand.New(rand.NewPCG(seed, 77))
	n := 1 + r.IntN(60)
	pieceLen := int64(BlockSize * (1 + r.IntN(4)))
	if r.IntN(4) == 0 {
		pieceLen = 20000 + int64(r.IntN(30000))
	}
	total := int64(n-1)*pieceLen + 1 + r.Int64N(pieceLen)
	p := New(n, pieceLen, total, rngOf(seed))

	peers := make([]*simPeer, 2+r.IntN(8))
	for k := range peers {
		// Sparse peers take the one-piece-at-a-time availability path,
		// dense ones the batch path.
		density := 0.02 + 0.88*r.Float64()
		f := bitfield.New(n)
		for i := range n {
			if k == 0 || r.Float64() < density { // peer 0 is a seed
				f.Set(i)
			}
		}
		peers[k] = &simPeer{has: f}
	}
	prio := func() Priority {
		switch x := r.IntN(20); {
		case x < 3:
			return PriorityNone
		case x < 5:
			return PriorityHigh
		case x < 6:
			return PriorityNow
		}
		return PriorityNormal
	}
	for i := range n {
		p.SetPiecePriority(i, prio())
		if r.IntN(10) == 0 {
			p.SetHave(i)
		}
	}
	resumed := make([]bool, n)
	for i := range n {
		resumed[i] = p.Have(i)
	}
	received := make([]map[int]bool, n) // piece -> begin -> received, reset on failure
	for i := range received {
		received[i] = map[int]bool{}
	}
	verifications := make([]int, n)

	forget := func(b Block, except *simPeer, unrequest bool) {
		for _, q := range peers {
			if q == except {
				continue
			}
			if k := slices.Index(q.outstanding, b); k >= 0 {
				q.outstanding = slices.Delete(q.outstanding, k, k+1)
				if unrequest {
					p.Unrequest(b)
				}
			}
		}
	}
	dropPiece := func(i int, unrequest bool) {
		for _, q := range peers {
			q.outstanding = slices.DeleteFunc(q.outstanding, func(b Block) bool {
				if b.Piece == i && unrequest {
					p.Unrequest(b)
				}
				return b.Piece == i
			})
		}
	}

	var dst []Block
	steps := 0
	for ; !p.Done() && steps < 200000; steps++ {
		q := peers[r.IntN(len(peers))]
		if !q.connected {
			if r.IntN(3) == 0 {
				q.connected = true
				p.PeerBitfield(q.has)
			}
			continue
		}
		switch x := r.IntN(100); {
		case x < 45:
			room := 8 - len(q.outstanding)
			skip := func(b Block) bool { return slices.Contains(q.outstanding, b) }
			dst = p.Pick(q.has, room, skip, dst[:0])
			require.LessOrEqual(t, len(dst), max(room, 0))
			for k, b := range dst {
				require.True(t, q.has.Has(b.Piece), "picked a piece the peer lacks")
				require.False(t, p.Have(b.Piece), "picked a verified piece")
				require.NotEqual(t, PriorityNone, p.PiecePriority(b.Piece), "picked an unwanted piece")
				require.False(t, received[b.Piece][b.Begin], "picked a received block")
				require.NotContains(t, q.outstanding, b, "picked a block the peer has outstanding")
				require.NotContains(t, dst[:k], b, "picked a block twice in one call")
				_, ok := p.blockIndex(b)
				require.True(t, ok, "block geometry %+v", b)
			}
			if p.Endgame() {
				s.endgamePicks += len(dst)
			}
			q.outstanding = append(q.outstanding, dst...)
		case x < 80 && len(q.outstanding) > 0:
			k := r.IntN(len(q.outstanding))
			b := q.outstanding[k]
			q.outstanding = slices.Delete(q.outstanding, k, k+1)
			wasVerified := p.Have(b.Piece)
			dup := received[b.Piece][b.Begin]
			done, wanted := p.Received(b)
			if wasVerified || dup {
				require.False(t, wanted, "duplicate data must be unwanted")
				require.False(t, done)
				break
			}
			if p.PiecePriority(b.Piece) != PriorityNone {
				require.True(t, wanted)
			}
			if !wanted {
				break
			}
			received[b.Piece][b.Begin] = true
			forget(b, q, r.IntN(2) == 0) // cancel the other copies, or let them arrive
			require.Equal(t, len(received[b.Piece]) == p.NumBlocks(b.Piece), done)
			if !done {
				break
			}
			if r.IntN(15) == 0 {
				p.Failed(b.Piece)
				s.failures++
				received[b.Piece] = map[int]bool{}
				dropPiece(b.Piece, false)
			} else {
				p.Verified(b.Piece)
				verifications[b.Piece]++
				require.Equal(t, 1, verifications[b.Piece], "piece %d verified twice", b.Piece)
				dropPiece(b.Piece, true)
			}
		case x < 88 && len(q.outstanding) > 0:
			k := r.IntN(len(q.outstanding))
			p.Unrequest(q.outstanding[k])
			q.outstanding = slices.Delete(q.outstanding, k, k+1)
		case x < 91:
			for _, b := range q.outstanding {
				p.Unrequest(b)
			}
			q.outstanding = q.outstanding[:0]
			p.PeerLeft(q.has)
			q.connected = false
		case x < 95:
			if i := r.IntN(n); !q.has.Has(i) {
				q.has.Set(i)
				p.PeerHave(i)
			}
		case x < 97:
			p.SetPiecePriority(r.IntN(n), prio())
		}
		if steps%50 == 0 {
			checkInvariants(t, p)
			for i := range n {
				require.Equal(t, peersWith(peers, i), p.Availability(i), "availability of %d", i)
			}
		}
	}
	checkInvariants(t, p)
	require.True(t, p.Done(), "not done after %d steps", steps)
	require.Zero(t, p.Left())
	require.False(t, p.Endgame())
	for i := range n {
		if p.PiecePriority(i) != PriorityNone && !resumed[i] {
			require.Equal(t, 1, verifications[i], "piece %d", i)
		}
	}
	return s
}

func peersWith(peers []*simPeer, i int) int {
	n := 0
	for _, q := range peers {
		if q.connected && q.has.Has(i) {
			n++
		}
	}
	return n
}
