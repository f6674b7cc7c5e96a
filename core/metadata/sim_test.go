package metadata

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRandomSwarms fetches from random mixes of honest, flaky, silent and
// lying peers. With one honest peer the fetch must finish, and no honest
// peer may ever be banned.
func TestRandomSwarms(t *testing.T) {
	for seed := range uint64(300) {
		r := rand.New(rand.NewPCG(seed, 99))
		info, ih := testInfo(1 + r.IntN(12*pieceSize))
		f := NewFetcher(ih)
		servers := map[PeerID]*server{}
		liars := map[PeerID]bool{}
		n := 1 + r.IntN(6)
		honestAt := r.IntN(n)
		for id := range n {
			s := &server{info: info}
			pDrop, pReject := r.Float64()*0.4, r.Float64()*0.4
			s.act = func(int) answer {
				switch x := r.Float64(); {
				case x < pDrop:
					return drop
				case x < pDrop+pReject:
					return reject
				}
				return serve
			}
			if id != honestAt && r.IntN(3) == 0 {
				s.corrupt = true
				liars[id] = true
			}
			if id != honestAt && r.IntN(5) == 0 { // lies about the size, and so the data
				s.info, _ = testInfo(1 + r.IntN(12*pieceSize))
				liars[id] = true
			}
			servers[id] = s
			f.AddPeer(id, len(s.info))
		}
		now := t0
		res := run(t, f, servers, &now, 3000)
		require.True(t, f.Done(), "seed %d: not done after %d rounds, liars %v, honest %d size %d\n%s", seed, res.rounds, liars, honestAt, len(info), f.dump())
		require.Equal(t, info, f.Info(), "seed %d", seed)
		for id := range servers {
			if !liars[id] {
				require.False(t, f.Banned(id), "seed %d: honest peer %d banned", seed, id)
			}
		}
	}
}
