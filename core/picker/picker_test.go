package picker

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGeometry(t *testing.T) {
	tests := []struct {
		name              string
		n                 int
		pieceLen, total   int64
		wantBlocks        []int
		wantLastBlockLens []int // length of each piece's last block
		wantLastPiece     int64
	}{
		{"exact", 3, 2 * BlockSize, 6 * BlockSize, []int{2, 2, 2}, []int{BlockSize, BlockSize, BlockSize}, 2 * BlockSize},
		{"short last block", 3, 2 * BlockSize, 5*BlockSize + 100, []int{2, 2, 2}, []int{BlockSize, BlockSize, 100}, BlockSize + 100},
		{"short last piece one block", 3, 4 * BlockSize, 8*BlockSize + 1, []int{4, 4, 1}, []int{BlockSize, BlockSize, 1}, 1},
		{"piece not block multiple", 2, 20000, 35000, []int{2, 1}, []int{20000 - BlockSize, 15000}, 15000},
		{"single tiny piece", 1, 1 << 20, 10, []int{1}, []int{10}, 10},
		{"inconsistent total clamps", 2, BlockSize, 10 * BlockSize, []int{1, 1}, []int{BlockSize, BlockSize}, BlockSize},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := New(tc.n, tc.pieceLen, tc.total, rngOf(1))
			require.Equal(t, tc.wantLastPiece, p.PieceSize(tc.n-1))
			for i := range tc.n {
				require.Equal(t, tc.wantBlocks[i], p.NumBlocks(i), "piece %d", i)
			}
			p.PeerBitfield(full(tc.n))
			got := p.Pick(full(tc.n), 1000, nil, nil)
			covered := make([]int64, tc.n)
			for _, b := range got {
				require.Zero(t, b.Begin%BlockSize)
				require.Equal(t, covered[b.Piece], int64(b.Begin), "blocks of a piece come in order")
				covered[b.Piece] += int64(b.Length)
				if b.Begin/BlockSize == tc.wantBlocks[b.Piece]-1 {
					require.Equal(t, tc.wantLastBlockLens[b.Piece], b.Length)
				}
			}
			var sum int64
			for i := range tc.n {
				require.Equal(t, p.PieceSize(i), covered[i], "piece %d fully covered", i)
				sum += covered[i]
			}
			require.Equal(t, p.Left(), sum)
		})
	}
}

func TestRarestFirst(t *testing.T) {
	tests := []struct {
		name  string
		avail []int // pieces 0..3 are verified beforehand
		want  []int
	}{
		{"ascending", []int{0, 0, 0, 0, 1, 2, 3, 4}, []int{4, 5, 6, 7}},
		{"descending", []int{0, 0, 0, 0, 4, 3, 2, 1}, []int{7, 6, 5, 4}},
		{"mixed", []int{0, 0, 0, 0, 3, 1, 5, 2, 4}, []int{5, 7, 4, 8, 6}},
		{"unannounced last", []int{0, 0, 0, 0, 0, 2, 1}, []int{6, 5, 4}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := len(tc.avail)
			p := onePerPiece(n, 7)
			for i := range 4 {
				p.SetHave(i)
			}
			withAvail(p, tc.avail)
			require.Equal(t, tc.want, pickPieces(p, full(n), n))
		})
	}
}

func TestRarestTiesAreRandom(t *testing.T) {
	first := map[int]bool{}
	for seed := range uint64(10) {
		p := onePerPiece(40, seed)
		for i := range 4 {
			p.SetHave(i)
		}
		p.PeerBitfield(full(40))
		p.PeerHave(39) // the only piece that is not tied
		got := pickPieces(p, full(40), 40)
		require.Len(t, got, 36)
		require.NotEqual(t, 39, got[0], "piece 39 is the most common")
		require.Equal(t, 39, got[35], "piece 39 comes last")
		first[got[0]] = true

		again := onePerPiece(40, seed)
		for i := range 4 {
			again.SetHave(i)
		}
		again.PeerBitfield(full(40))
		again.PeerHave(39)
		require.Equal(t, got, pickPieces(again, full(40), 40), "same seed, same order")
	}
	require.Greater(t, len(first), 3, "ties broken differently by different seeds")
}

func TestInProgressFirst(t *testing.T) {
	p := New(10, 4*BlockSize, 40*BlockSize, rngOf(3))
	for i := range 4 {
		p.SetHave(i)
	}
	withAvail(p, []int{0, 0, 0, 0, 2, 3, 3, 3, 3, 3})
	got := p.Pick(full(10), 2, nil, nil)
	require.Equal(t, []Block{{4, 0, BlockSize}, {4, BlockSize, BlockSize}}, got)

	// Piece 9 becomes the rarest, yet piece 4 is finished first.
	p.PeerBitfield(bf(10, 4, 5, 6, 7, 8))
	p.PeerBitfield(bf(10, 4, 5, 6, 7, 8))
	got = p.Pick(full(10), 3, nil, nil)
	require.Equal(t, []Block{{4, 2 * BlockSize, BlockSize}, {4, 3 * BlockSize, BlockSize}, {9, 0, BlockSize}}, got)

	// A peer lacking the in-progress piece starts a new one instead.
	got = p.Pick(bf(10, 5), 1, nil, nil)
	require.Equal(t, []Block{{5, 0, BlockSize}}, got)

	// Among pieces in progress, the higher priority goes first.
	p.SetPiecePriority(5, PriorityHigh)
	got = p.Pick(full(10), 2, nil, nil)
	require.Equal(t, []Block{{5, BlockSize, BlockSize}, {5, 2 * BlockSize, BlockSize}}, got)
}

func TestRandomFirstPieces(t *testing.T) {
	avail := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	firsts := map[int]bool{}
	for seed := range uint64(12) {
		p := onePerPiece(len(avail), seed)
		withAvail(p, avail)
		firsts[pickPieces(p, full(16), 1)[0]] = true
	}
	require.Greater(t, len(firsts), 3, "first pieces are random, not rarest")

	p := onePerPiece(len(avail), 5)
	withAvail(p, avail)
	p.SetPiecePriority(12, PriorityHigh)
	got := pickPieces(p, full(16), 1)
	require.Equal(t, []int{12}, got, "random mode still honours priority")
	for i := range 3 {
		complete(t, p, got[0])
		got = pickPieces(p, full(16), 1)
		require.Len(t, got, 1, "pick %d", i)
	}
	complete(t, p, got[0])
	require.Equal(t, 4, p.NumHave())
	// With four pieces verified, the rarest remaining piece comes first.
	rest := []int{}
	for i := range 16 {
		if !p.Have(i) {
			rest = append(rest, i)
		}
	}
	require.Equal(t, rest, pickPieces(p, full(16), 16))
}

func TestPriorities(t *testing.T) {
	tests := []struct {
		name  string
		prio  map[int]Priority
		avail []int
		want  []int
	}{
		{"high before rarer normal", map[int]Priority{7: PriorityHigh}, []int{0, 0, 0, 0, 1, 2, 3, 5}, []int{7, 4, 5, 6}},
		{"now before high", map[int]Priority{6: PriorityHigh, 7: PriorityNow}, []int{0, 0, 0, 0, 1, 2, 3, 4}, []int{7, 6, 4, 5}},
		{"low after commoner normal", map[int]Priority{4: PriorityLow}, []int{0, 0, 0, 0, 1, 2, 3, 5}, []int{5, 6, 7, 4}},
		{"high, normal, low", map[int]Priority{4: PriorityLow, 5: PriorityLow, 7: PriorityHigh}, []int{0, 0, 0, 0, 1, 2, 3, 5}, []int{7, 6, 4, 5}},
		{"none skipped", map[int]Priority{4: PriorityNone, 6: PriorityNone}, []int{0, 0, 0, 0, 1, 2, 3, 4}, []int{5, 7}},
		{"all none", map[int]Priority{4: PriorityNone, 5: PriorityNone}, []int{0, 0, 0, 0, 1, 2}, nil},
		{"clamped", map[int]Priority{4: -3, 5: 100}, []int{0, 0, 0, 0, 1, 2}, []int{5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := len(tc.avail)
			p := onePerPiece(n, 11)
			for i := range 4 {
				p.SetHave(i)
			}
			withAvail(p, tc.avail)
			for i, pr := range tc.prio {
				p.SetPiecePriority(i, pr)
			}
			var got []int
			for _, b := range p.Pick(full(n), n, nil, nil) {
				got = append(got, b.Piece)
			}
			require.Equal(t, tc.want, got)
		})
	}
}

// Endgame covers low-priority pieces too: a torrent whose missing pieces
// are all low still gets duplicate requests once each block is requested.
func TestEndgameWithLowPieces(t *testing.T) {
	p := onePerPiece(4, 3)
	p.SetHave(0)
	for i := 1; i < 4; i++ {
		p.SetPiecePriority(i, PriorityLow)
	}
	withAvail(p, []int{1, 1, 1, 1})
	first := p.Pick(full(4), 3, nil, nil)
	require.Len(t, first, 3)
	require.True(t, p.Endgame(), "every low block is requested")
	again := p.Pick(full(4), 3, nil, nil)
	require.Len(t, again, 3, "endgame hands out the low blocks again")
}

func TestNoneStopsInProgressPiece(t *testing.T) {
	p := New(6, 4*BlockSize, 24*BlockSize, rngOf(2))
	for i := range 4 {
		p.SetHave(i)
	}
	p.PeerBitfield(full(6))
	got := p.Pick(bf(6, 4), 2, nil, nil)
	require.Len(t, got, 2)
	p.SetPiecePriority(4, PriorityNone)
	require.Empty(t, p.Pick(bf(6, 4), 4, nil, nil))
	require.False(t, p.InterestedIn(bf(6, 4)))
	// Data already requested is still accepted.
	_, wanted := p.Received(got[0])
	require.True(t, wanted)
	// Back to Normal: the remaining blocks are picked.
	p.SetPiecePriority(4, PriorityNormal)
	require.Equal(t, []Block{{4, 2 * BlockSize, BlockSize}, {4, 3 * BlockSize, BlockSize}}, p.Pick(bf(6, 4), 4, nil, nil))
}

func TestFailedReturnsBlocks(t *testing.T) {
	p := New(5, 3*BlockSize, 15*BlockSize, rngOf(4))
	p.PeerBitfield(full(5))
	has := bf(5, 2)
	blocks := p.Pick(has, 10, nil, nil)
	require.Len(t, blocks, 3)
	for k, b := range blocks {
		done, wanted := p.Received(b)
		require.True(t, wanted)
		require.Equal(t, k == 2, done)
	}
	require.False(t, p.InterestedIn(has), "fully received piece awaits its hash")
	require.Empty(t, p.Pick(has, 10, nil, nil))
	p.Failed(2)
	require.False(t, p.Have(2))
	require.True(t, p.InterestedIn(has))
	require.Equal(t, blocks, p.Pick(has, 10, nil, nil))
	for _, b := range blocks {
		p.Received(b)
	}
	p.Verified(2)
	p.Failed(2) // too late: verified pieces stay verified
	require.True(t, p.Have(2))
	require.Empty(t, p.Pick(has, 10, nil, nil))
}

func TestReceived(t *testing.T) {
	p := New(6, 2*BlockSize, 10*BlockSize+5, rngOf(5))
	p.PeerBitfield(full(6))
	p.SetPiecePriority(4, PriorityNone)
	p.Verified(3)
	got := p.Pick(bf(6, 0), 1, nil, nil)
	require.Equal(t, []Block{{0, 0, BlockSize}}, got)

	tests := []struct {
		name       string
		b          Block
		wanted     bool
		pieceDone  bool
		afterwards bool // received again
	}{
		{"requested", Block{0, 0, BlockSize}, true, false, false},
		{"duplicate", Block{0, 0, BlockSize}, false, false, false},
		{"unsolicited wanted", Block{0, BlockSize, BlockSize}, true, true, false},
		{"after piece done", Block{0, BlockSize, BlockSize}, false, false, false},
		{"verified piece", Block{3, 0, BlockSize}, false, false, false},
		{"unwanted piece", Block{4, 0, BlockSize}, false, false, false},
		{"misaligned", Block{1, 100, BlockSize}, false, false, false},
		{"wrong length", Block{1, 0, 100}, false, false, false},
		{"past piece end", Block{1, 2 * BlockSize, BlockSize}, false, false, false},
		{"negative begin", Block{1, -BlockSize, BlockSize}, false, false, false},
		{"piece out of range", Block{6, 0, BlockSize}, false, false, false},
		{"negative piece", Block{-1, 0, BlockSize}, false, false, false},
		{"short last block", Block{5, 0, 5}, true, true, false},
		{"last block wrong length", Block{5, 0, BlockSize}, false, false, false},
		{"past short piece", Block{5, BlockSize, 5}, false, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			done, wanted := p.Received(tc.b)
			assert.Equal(t, tc.wanted, wanted)
			assert.Equal(t, tc.pieceDone, done)
		})
	}
	// None of the invalid blocks disturbed the counters.
	require.False(t, p.InterestedIn(bf(6, 0, 3, 4, 5)))
	require.True(t, p.InterestedIn(bf(6, 1)))
}

func TestUnrequest(t *testing.T) {
	p := New(8, 2*BlockSize, 16*BlockSize, rngOf(6))
	for i := range 4 {
		p.SetHave(i)
	}
	withAvail(p, []int{0, 0, 0, 0, 1, 2, 2, 2})
	first := p.Pick(full(8), 1, nil, nil)
	require.Equal(t, []Block{{4, 0, BlockSize}}, first)
	p.Unrequest(first[0])
	p.Unrequest(first[0]) // extra cancels are harmless
	p.Unrequest(Block{4, 1, 1})
	require.Equal(t, first, p.Pick(full(8), 1, nil, nil), "piece 4 is untouched and rarest again")

	// A block requested twice (endgame) is free only after both go away.
	p2 := New(1, 2*BlockSize, 2*BlockSize, rngOf(6))
	p2.PeerBitfield(full(1))
	a := p2.Pick(full(1), 2, nil, nil)
	require.True(t, p2.Endgame())
	b := p2.Pick(full(1), 1, nil, nil)
	require.Equal(t, a[:1], b)
	p2.Unrequest(a[0])
	require.True(t, p2.Endgame())
	p2.Unrequest(b[0])
	require.False(t, p2.Endgame())
	require.Equal(t, a[:1], p2.Pick(full(1), 2, func(Block) bool { return true }, nil), "fresh blocks ignore skip")
}

func TestEndgame(t *testing.T) {
	p := New(6, 2*BlockSize, 12*BlockSize, rngOf(8))
	for i := range 4 {
		p.SetHave(i)
	}
	p.PeerBitfield(bf(6, 4))
	p.PeerBitfield(bf(6, 4))
	require.False(t, p.Endgame())
	a := p.Pick(bf(6, 4), 10, nil, nil)
	require.Len(t, a, 2)
	// Piece 5 is wanted but nobody has it: it does not hold endgame back.
	require.True(t, p.Endgame())

	outstanding := map[Block]bool{a[0]: true}
	skip := func(b Block) bool { return outstanding[b] }
	b := p.Pick(bf(6, 4), 10, skip, nil)
	require.Equal(t, a[1:], b, "skip vetoes a block the peer already asked for")

	// Blocks requested once go before blocks requested twice.
	c := p.Pick(bf(6, 4), 1, nil, nil)
	require.Equal(t, a[:1], c)
	c = p.Pick(bf(6, 4), 10, nil, nil)
	require.Equal(t, a, c)

	done, wanted := p.Received(a[0])
	require.True(t, wanted)
	require.False(t, done)
	_, wanted = p.Received(a[0])
	require.False(t, wanted, "the duplicate's data is not wanted")
	require.Equal(t, a[1:], p.Pick(bf(6, 4), 10, nil, nil), "received blocks are never picked")

	// Once someone announces piece 5, endgame ends.
	p.PeerHave(5)
	require.False(t, p.Endgame())
	p.Received(a[1])
	p.Verified(4)
	require.Empty(t, p.Pick(bf(6, 4), 10, nil, nil), "verified pieces are never picked")
}

func TestEndgameTransitionNoDuplicatesInOneCall(t *testing.T) {
	p := New(5, 2*BlockSize, 10*BlockSize, rngOf(9))
	for i := range 4 {
		p.SetHave(i)
	}
	p.PeerBitfield(full(5))
	other := p.Pick(full(5), 1, nil, nil)
	got := p.Pick(full(5), 10, nil, nil)
	// The fresh second block, then the first block as a duplicate; the fresh
	// block is not repeated though endgame started within this call.
	require.Equal(t, []Block{{4, BlockSize, BlockSize}, other[0]}, got)
}

func TestDoneLeft(t *testing.T) {
	const n = 6
	p := New(n, 2*BlockSize, 11*BlockSize, rngOf(10))
	full := int64(2 * BlockSize)
	require.Equal(t, int64(11*BlockSize), p.Left())
	p.SetPiecePriority(0, PriorityNone)
	p.SetPiecePriority(5, PriorityNone)
	require.Equal(t, 4*full, p.Left())
	require.False(t, p.Wanted(0))
	require.True(t, p.Wanted(1))
	p.SetPiecePriority(1, PriorityHigh)
	require.Equal(t, 4*full, p.Left(), "priority changes among wanted levels do not change Left")
	for _, i := range []int{1, 2, 3} {
		p.Verified(i)
		require.False(t, p.Done())
	}
	p.Verified(3)
	require.Equal(t, full, p.Left())
	p.Verified(4)
	require.False(t, p.Wanted(4), "verified")
	require.False(t, p.Wanted(n), "out of range")
	require.True(t, p.Done())
	require.Zero(t, p.Left())
	require.False(t, p.Endgame())

	p.SetPiecePriority(5, PriorityNormal)
	require.False(t, p.Done())
	require.Equal(t, int64(BlockSize), p.Left(), "the short last piece")
	p.SetPiecePriority(4, PriorityNone)
	require.Equal(t, int64(BlockSize), p.Left(), "verified pieces do not count")
	p.SetHave(5)
	require.True(t, p.Done())
	require.Equal(t, 5, p.NumHave())
	require.True(t, p.Have(5))
	require.False(t, p.Have(0))
	require.False(t, p.Have(-1))
	require.False(t, p.Have(n))
}

func TestAvailability(t *testing.T) {
	p := onePerPiece(10, 12)
	a := bf(10, 1, 3, 9)
	b := full(10)
	p.PeerBitfield(a)
	p.PeerBitfield(b)
	p.PeerHave(3)
	p.PeerHave(-1)
	p.PeerHave(10)
	p.PeerBitfield(nil)
	p.PeerBitfield(bf(4, 0, 1, 2, 3)) // shorter: counted for its pieces
	p.PeerBitfield(bf(12, 10, 11))    // longer: bits past the torrent ignored
	want := []int{2, 3, 2, 4, 1, 1, 1, 1, 1, 2}
	for i, w := range want {
		require.Equal(t, w, p.Availability(i), "piece %d", i)
	}
	p.PeerLeft(b)
	p.PeerLeft(b) // more departures than arrivals never go negative
	p.PeerLeft(a)
	want = []int{0, 0, 0, 1, 0, 0, 0, 0, 0, 0}
	for i, w := range want {
		require.Equal(t, w, p.Availability(i), "piece %d", i)
	}
	// The order follows the updated availability; unannounced pieces last.
	for i := range 4 {
		p.SetHave(6 + i)
	}
	p.PeerHave(5)
	p.PeerHave(5)
	p.PeerHave(5)
	p.PeerHave(4)
	got := pickPieces(p, full(10), 10)
	require.Len(t, got, 6)
	require.ElementsMatch(t, []int{3, 4}, got[:2])
	require.Equal(t, 5, got[2])
	require.ElementsMatch(t, []int{0, 1, 2}, got[3:])
}

func TestInterestedIn(t *testing.T) {
	p := onePerPiece(100, 13)
	require.False(t, p.InterestedIn(nil))
	require.False(t, p.InterestedIn(bf(100)))
	require.True(t, p.InterestedIn(bf(100, 99)))
	require.True(t, p.InterestedIn(bf(100, 3)))
	p.Verified(99)
	require.False(t, p.InterestedIn(bf(100, 99)))
	p.SetPiecePriority(70, PriorityNone)
	require.False(t, p.InterestedIn(bf(100, 70, 99)))
	require.True(t, p.InterestedIn(bf(100, 69, 99)))
}

func TestEmptyAndHostileArguments(t *testing.T) {
	for _, n := range []int{0, -5} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			p := New(n, 0, 0, nil)
			require.True(t, p.Done())
			require.Zero(t, p.Left())
			require.Empty(t, p.Pick(full(1), 10, nil, nil))
			p.SetHave(0)
			p.Verified(1)
			p.Failed(0)
			p.SetPiecePriority(0, PriorityHigh)
			p.Unrequest(Block{0, 0, BlockSize})
			_, wanted := p.Received(Block{0, 0, BlockSize})
			require.False(t, wanted)
		})
	}
	p := onePerPiece(3, 1)
	p.PeerBitfield(full(3))
	require.Empty(t, p.Pick(nil, 10, nil, nil))
	require.Empty(t, p.Pick(full(3), 0, nil, nil))
	require.Empty(t, p.Pick(full(3), -1, nil, nil))
	dst := []Block{{9, 9, 9}}
	require.Equal(t, []Block{{9, 9, 9}}, p.Pick(bf(3), 5, nil, dst), "dst prefix is kept")
	require.Len(t, p.Pick(full(3), 5, nil, dst), 4)
}

func TestPickUrgentSecondCopies(t *testing.T) {
	// Eight pieces of two blocks; everyone has everything.
	p := New(8, 2*BlockSize, 16*BlockSize, rngOf(11))
	p.PeerBitfield(full(8))
	p.PeerBitfield(full(8))
	require.Empty(t, p.PickUrgent(full(8), 4, nil, nil), "no piece is urgent")

	// Peer A asks for a whole piece, which then becomes urgent (a reader
	// waits for it); another piece is asked for at normal priority.
	a := p.Pick(full(8), 2, nil, nil)
	p.SetPiecePriority(a[0].Piece, PriorityNow)
	urgent := a[0].Piece
	other := p.Pick(full(8), 2, nil, nil)
	require.NotEqual(t, urgent, other[0].Piece)
	require.False(t, p.Endgame())

	// Peer B gets second copies of the urgent blocks only.
	b := p.PickUrgent(full(8), 4, nil, nil)
	require.Equal(t, a, b)
	// Nobody gets a third copy.
	require.Empty(t, p.PickUrgent(full(8), 4, nil, nil))

	// A peer without the piece gets nothing.
	p2 := New(8, 2*BlockSize, 16*BlockSize, rngOf(12))
	p2.PeerBitfield(full(8))
	p2.SetPiecePriority(5, PriorityNow)
	a = p2.Pick(full(8), 2, nil, nil)
	require.Equal(t, 5, a[0].Piece, "urgent pieces are picked first")
	require.Empty(t, p2.PickUrgent(bf(8, 1, 2), 4, nil, nil))
	require.Equal(t, a, p2.PickUrgent(full(8), 4, nil, nil))

	// Blocks just picked for this peer (dst) are not repeated; skip vetoes.
	p3 := New(8, 2*BlockSize, 16*BlockSize, rngOf(13))
	p3.PeerBitfield(full(8))
	p3.SetPiecePriority(5, PriorityNow)
	mine := p3.Pick(full(8), 3, nil, nil) // piece 5 and one block of another
	require.Len(t, mine, 3)
	require.Equal(t, mine, p3.PickUrgent(full(8), 4, nil, mine))
	got := p3.PickUrgent(full(8), 4, func(b Block) bool { return b == mine[0] }, nil)
	require.Equal(t, mine[1:2], got)

	// A received block is never copied.
	p3.Received(mine[0])
	require.Empty(t, p3.PickUrgent(full(8), 4, nil, nil))
}

// Lost undoes Verified: the piece is wanted and pickable again, counts
// and left follow, and the picker's invariants hold.
func TestLostPieceIsPickedAgain(t *testing.T) {
	p := New(4, 2*BlockSize, 8*BlockSize, rngOf(1))
	for i := range 4 {
		p.Verified(i)
	}
	require.True(t, p.Done())
	require.Zero(t, p.Left())
	p.Lost(2)
	p.Lost(2) // twice: no-op
	p.Lost(7) // out of range: no-op
	checkInvariants(t, p)
	assert.False(t, p.Done())
	assert.False(t, p.Have(2))
	assert.Equal(t, 3, p.NumHave())
	assert.Equal(t, int64(2*BlockSize), p.Left())
	p.PeerBitfield(full(4))
	got := p.Pick(full(4), 10, nil, nil)
	require.Len(t, got, 2)
	for _, b := range got {
		assert.Equal(t, 2, b.Piece)
	}
	for _, b := range got {
		p.Received(b)
	}
	p.Verified(2)
	assert.True(t, p.Done())
	checkInvariants(t, p)
}
