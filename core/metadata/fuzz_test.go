package metadata

import (
	"testing"
	"time"
)

// FuzzFetcher drives a Fetcher with arbitrary peer behaviour: it must
// never panic, keep its per-peer limit, and only finish with the right
// bytes.
func FuzzFetcher(f *testing.F) {
	f.Add([]byte{0, 1, 3, 2, 1, 3, 4, 5})
	f.Add([]byte{0, 0, 0, 9, 0, 1, 0, 1, 2, 0, 2, 1, 3, 0, 0, 3, 1, 0, 4, 2, 0})
	info, ih := testInfo(2*pieceSize + 77)
	f.Fuzz(func(t *testing.T, ops []byte) {
		sizes := []int{len(info), len(info), 0, 1, pieceSize, MaxSize, MaxSize + 1, len(info) - 1}
		fe := NewFetcher(ih)
		now := t0
		next := func() int {
			if len(ops) == 0 {
				return 0
			}
			b := ops[0]
			ops = ops[1:]
			return int(b)
		}
		for len(ops) > 0 {
			op, p := next()%6, next()%4
			switch op {
			case 0:
				fe.AddPeer(p, sizes[next()%len(sizes)])
			case 1:
				fe.RemovePeer(p)
			case 2:
				fe.Next(p, now)
			case 3, 4: // honest or garbled data for a piece, maybe with a lying size
				piece := next()%4 - 1
				data, total, err := Piece(info, max(piece, 0))
				if err != nil {
					data, total = nil, len(info)
				}
				if op == 4 {
					data = append([]byte{byte(next())}, data...)
					total = sizes[next()%len(sizes)]
				}
				fe.Received(p, piece, total, data, now)
			case 5:
				fe.Rejected(p, next()%4)
			}
			now = now.Add(time.Duration(next()) * 100 * time.Millisecond)
			for _, pr := range fe.peers {
				if len(pr.outstanding) > MaxOutstanding {
					t.Fatalf("%d outstanding requests at one peer", len(pr.outstanding))
				}
			}
			got, total := fe.Progress()
			if got < 0 || got > total {
				t.Fatalf("progress %d of %d", got, total)
			}
		}
		if fe.Done() && string(fe.Info()) != string(info) {
			t.Fatal("done with the wrong bytes")
		}
	})
}
