package picker

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPeerHaveDoesNotAllocate: a HAVE moves one piece up an availability
// level. Once the levels' buckets have grown, that allocates nothing.
func TestPeerHaveDoesNotAllocate(t *testing.T) {
	p, _ := swarm(20000, 256<<10, 50, 0.6, 7)
	r := rand.New(rand.NewPCG(7, 7))
	have := func() { p.PeerHave(r.IntN(20000)) }
	for range 20000 { // warm up: buckets reach their working capacity
		have()
	}
	allocs := testing.AllocsPerRun(5000, have)
	require.Zero(t, allocs)
	checkInvariants(t, p)
}

// BenchmarkPeerHave is one HAVE for a random piece of 100,000, in a swarm
// of 200 peers holding 60% each.
func BenchmarkPeerHave(b *testing.B) {
	p, _ := swarm(100000, 256<<10, 200, 0.6, 8)
	r := rand.New(rand.NewPCG(8, 8))
	b.ReportAllocs()
	for b.Loop() {
		p.PeerHave(r.IntN(100000))
	}
}
