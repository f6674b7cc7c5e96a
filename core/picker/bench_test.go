package picker

import (
	"math/rand/v2"
	"testing"

	"github.com/braid-bt/braid/core/bitfield"
	"github.com/stretchr/testify/require"
)

// swarm builds a picker for n pieces of pieceLen bytes with the given
// number of peers, each holding a random share of the pieces.
func swarm(n int, pieceLen int64, peers int, density float64, seed uint64) (*Picker, []*bitfield.Bitfield) {
	r := rand.New(rand.NewPCG(seed, 1))
	bfs := make([]*bitfield.Bitfield, peers)
	for k := range bfs {
		f := bitfield.New(n)
		for i := range n {
			if r.Float64() < density {
				f.Set(i)
			}
		}
		bfs[k] = f
	}
	return connected(n, pieceLen, bfs, seed), bfs
}

// connected builds a picker for n pieces with the peers bfs connected.
func connected(n int, pieceLen int64, bfs []*bitfield.Bitfield, seed uint64) *Picker {
	p := New(n, pieceLen, int64(n)*pieceLen, rngOf(seed))
	for _, f := range bfs {
		p.PeerBitfield(f)
	}
	return p
}

func TestPickDoesNotAllocate(t *testing.T) {
	tests := []struct {
		name     string
		verified int
		endgame  bool
	}{
		{"random first pieces", 0, false},
		{"rarest first", 4, false},
		{"endgame", 4, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, peers := swarm(20000, 4*BlockSize, 20, 0.6, 3)
			for i := range tc.verified {
				p.SetHave(i)
			}
			dst := make([]Block, 0, 16)
			if tc.endgame {
				// Half the blocks arrive, half stay requested.
				for k := 0; !p.Endgame(); k++ {
					dst = p.Pick(peers[k%len(peers)], 16, nil, dst[:0])
					if k%2 == 0 {
						for _, b := range dst {
							p.Received(b)
						}
					}
				}
			}
			k := 0
			skip := func(b Block) bool { return b.Begin == 0 }
			allocs := testing.AllocsPerRun(200, func() {
				dst = p.Pick(peers[k%len(peers)], 16, skip, dst[:0])
				k++
			})
			require.Zero(t, allocs)
			require.NotEmpty(t, dst)
			if tc.endgame {
				require.True(t, p.Endgame())
			}
		})
	}
}

func TestDownloadCycleDoesNotAllocate(t *testing.T) {
	p, peers := swarm(20000, 4*BlockSize, 20, 0.6, 4)
	dst := make([]Block, 0, 16)
	k := 0
	allocs := testing.AllocsPerRun(1000, func() {
		dst = p.Pick(peers[k%len(peers)], 16, nil, dst[:0])
		k++
		for _, b := range dst {
			if done, _ := p.Received(b); done {
				p.Verified(b.Piece)
			}
		}
	})
	require.Zero(t, allocs)
	require.Greater(t, p.NumHave(), 1000)
}

// BenchmarkPick is one Pick of up to 16 blocks for a random peer, whose
// blocks then arrive and whose finished pieces are verified: 100,000 pieces
// of 256 KiB, 200 peers holding 60% each.
func BenchmarkPick(b *testing.B) {
	benchmarkPick(b, 100000, 256<<10, 16, 0)
}

// BenchmarkPickPipelined keeps 64 requests outstanding per peer, so many
// pieces are in progress at once, as in a real download.
func BenchmarkPickPipelined(b *testing.B) {
	benchmarkPick(b, 100000, 256<<10, 16, 64)
}

func benchmarkPick(b *testing.B, n int, pieceLen int64, max, queue int) {
	const peers = 200
	p, bfs := swarm(n, pieceLen, peers, 0.6, 5)
	r := rand.New(rand.NewPCG(9, 9))
	outstanding := make([][]Block, peers)
	for k := range outstanding {
		outstanding[k] = make([]Block, 0, queue+max)
	}
	dst := make([]Block, 0, max)
	deliver := func(b Block) {
		if done, _ := p.Received(b); done {
			p.Verified(b.Piece)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if p.Done() {
			b.StopTimer()
			p = connected(n, pieceLen, bfs, r.Uint64())
			for k := range outstanding {
				outstanding[k] = outstanding[k][:0]
			}
			b.StartTimer()
		}
		k := r.IntN(peers)
		dst = p.Pick(bfs[k], max, nil, dst[:0])
		if queue == 0 {
			for _, b := range dst {
				deliver(b)
			}
			continue
		}
		outstanding[k] = append(outstanding[k], dst...)
		if over := len(outstanding[k]) - queue; over > 0 {
			for _, b := range outstanding[k][:over] {
				deliver(b)
			}
			outstanding[k] = append(outstanding[k][:0], outstanding[k][over:]...)
		}
	}
}

// BenchmarkPeerBitfield is a peer with 60% of 100,000 pieces connecting
// and leaving again, in a swarm of 200 such peers.
func BenchmarkPeerBitfield(b *testing.B) {
	p, bfs := swarm(100000, 256<<10, 200, 0.6, 6)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		f := bfs[i%len(bfs)]
		p.PeerLeft(f)
		p.PeerBitfield(f)
	}
}

// Pieces drifting through many availability levels must not leave every
// level holding a bucket the size of the torrent.
func TestBucketMemoryIsReleased(t *testing.T) {
	const n = 10000
	p := onePerPiece(n, 1)
	for range 30 {
		for i := range n {
			p.PeerHave(i) // one piece at a time
		}
		p.PeerBitfield(full(n)) // batch
	}
	total := 0
	for _, s := range p.buckets[PriorityNormal] {
		total += cap(s)
	}
	require.Len(t, p.buckets[PriorityNormal], 61)
	require.LessOrEqual(t, total, 4*n)
	checkInvariants(t, p)
}
