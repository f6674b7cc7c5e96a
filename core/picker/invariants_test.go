package picker

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// checkInvariants recomputes everything the picker keeps incrementally and
// compares.
func checkInvariants(t *testing.T, p *Picker) {
	t.Helper()
	var (
		wantedMissing, verified int
		left                    int64
		inLoc                   [numPrio][4]int
	)
	for i := range p.pieces {
		ps := &p.pieces[i]
		nb := p.NumBlocks(i)
		base := i * p.bpp
		if ps.done {
			verified++
		} else {
			var req, rec int32
			for b := range nb {
				st := p.blocks[base+b]
				if st&blockReceived != 0 {
					require.Equal(t, blockReceived, st, "piece %d block %d: received blocks keep no count", i, b)
					rec++
				} else if st != 0 {
					req++
				}
				if int32(b) < ps.hint {
					require.NotZero(t, st, "piece %d block %d below hint %d", i, b, ps.hint)
				}
			}
			require.Equal(t, req, ps.requested, "piece %d requested", i)
			require.Equal(t, rec, ps.received, "piece %d received", i)
			if ps.prio > PriorityNone {
				wantedMissing++
				left += p.PieceSize(i)
			}
		}
		require.Equal(t, p.desired(int32(i)), ps.loc, "piece %d location", i)
		needBit := p.need[i>>3]&(0x80>>(i&7)) != 0
		require.Equal(t, !ps.done && ps.prio > PriorityNone && ps.received < int32(nb), needBit, "piece %d need", i)
		if ps.loc == locBucket {
			require.Equal(t, int32(i), p.buckets[ps.prio][ps.avail][ps.pos], "piece %d bucket slot", i)
		}
		if ps.loc != locNone {
			require.Greater(t, ps.prio, PriorityNone)
			inLoc[ps.prio][ps.loc]++
		}
		require.GreaterOrEqual(t, ps.avail, int32(0))
	}
	require.Equal(t, verified, p.verified)
	require.Equal(t, wantedMissing, p.wantedMissing)
	require.Equal(t, left, p.left)
	for pr := range numPrio {
		n := 0
		for a, s := range p.buckets[pr] {
			n += len(s)
			if a >= 1 && a < p.lo[pr] {
				require.Empty(t, s, "bucket %d below lo %d", a, p.lo[pr])
			}
		}
		require.Equal(t, n, p.bucketed[pr])
		require.Equal(t, inLoc[pr][locBucket], n)
		require.Equal(t, inLoc[pr][locOpen], walk(t, p, p.open[pr], Priority(pr), locOpen))
		require.Equal(t, inLoc[pr][locClosed], walk(t, p, p.closed[pr], Priority(pr), locClosed))
	}
}

func walk(t *testing.T, p *Picker, l list, pr Priority, loc uint8) int {
	n := 0
	prev := int32(-1)
	for i := l.head; i >= 0; i = p.pieces[i].next {
		require.Equal(t, prev, p.pieces[i].pos, "back link of %d", i)
		require.Equal(t, loc, p.pieces[i].loc)
		require.Equal(t, pr, p.pieces[i].prio)
		prev = i
		n++
		require.LessOrEqual(t, n, len(p.pieces), "list cycle")
	}
	require.Equal(t, prev, l.tail)
	return n
}
