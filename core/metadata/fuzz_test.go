package metadata

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/braid-bt/braid/core/wire"
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

// FuzzPhase drives a Phase with arbitrary peers and messages: it must
// never panic, talk only to live peers, finish at most once and only with
// the right bytes, and hand over exactly the live peers in arrival order.
func FuzzPhase(f *testing.F) {
	f.Add([]byte{0, 1, 1, 2, 1, 0, 4, 1, 0, 4, 1, 1, 7, 0})
	f.Add([]byte{0, 1, 0, 0, 2, 1, 2, 1, 2, 4, 2, 0, 5, 1, 3, 3, 6, 1, 9, 1, 2, 0})
	f.Add([]byte{0, 1, 0, 0, 2, 1, 6, 2, 2, 5, 2, 2, 1, 0, 3, 1, 0, 3, 1, 1, 3, 1, 2}) // done
	info, ih := testInfo(2*pieceSize + 77)
	handshakes := [][]byte{
		(&wire.ExtHandshake{M: map[string]int{"ut_metadata": 3}, MetadataSize: len(info)}).Encode(),
		(&wire.ExtHandshake{M: map[string]int{"ut_metadata": 4}, MetadataSize: len(info) + 1}).Encode(),
		(&wire.ExtHandshake{M: map[string]int{"ut_metadata": 0}}).Encode(),
		[]byte("garbage"),
	}
	f.Fuzz(func(t *testing.T, ops []byte) {
		rec := &recorder{}
		ph := NewPhase(ih, PhaseConfig{ExtHandshake: ourHandshake, ExtID: ourExtID}, rec)
		now := t0
		var live []PeerID
		next := func() int {
			if len(ops) == 0 {
				return 0
			}
			b := ops[0]
			ops = ops[1:]
			return int(b)
		}
		for len(ops) > 0 && rec.dones == 0 {
			op, p := next()%8, PeerID(next()%4)
			sent, closed := len(rec.sent), len(rec.closed)
			switch op {
			case 0:
				ph.AddPeer(p, next()%2 == 0, now)
				live = slices.DeleteFunc(live, func(id PeerID) bool { return id == p })
				live = append(live, p)
			case 1:
				ph.RemovePeer(p, now)
				live = slices.DeleteFunc(live, func(id PeerID) bool { return id == p })
			case 2:
				ph.Message(p, extMsg(0, handshakes[next()%len(handshakes)]), now)
			case 3, 4: // a piece, honest or garbled
				piece := next() % 4
				data, total, err := Piece(info, min(piece, 2))
				if err != nil || op == 4 {
					data = append([]byte{byte(next())}, data...)
				}
				mm := wire.MetadataMsg{Type: wire.MetadataData, Piece: piece, TotalSize: total, Data: data}
				ph.Message(p, extMsg(ourExtID, wire.AppendMetadataMsg(nil, mm)), now)
			case 5:
				typ := wire.MetadataMsgType(next() % 4)
				ph.Message(p, extMsg(ourExtID, wire.AppendMetadataMsg(nil, wire.MetadataMsg{Type: typ, Piece: next() % 4})), now)
			case 6:
				types := []wire.MsgType{wire.Bitfield, wire.Have, wire.HaveAll, wire.HaveNone, wire.Unchoke, wire.Interested}
				ph.Message(p, &wire.Message{Type: types[next()%len(types)], Index: uint32(next()), Bitfield: []byte{byte(next())}}, now)
			case 7:
				now = now.Add(time.Duration(next()) * 100 * time.Millisecond)
				ph.Tick(now)
			}
			for _, c := range rec.closed[closed:] {
				if !slices.Contains(live, c.id) {
					t.Fatalf("closed peer %d, not connected", c.id)
				}
				live = slices.DeleteFunc(live, func(id PeerID) bool { return id == c.id })
			}
			for _, s := range rec.sent[sent:] {
				if !slices.Contains(live, s.to) && !slices.ContainsFunc(rec.closed[closed:], func(c closedPeer) bool { return c.id == s.to }) {
					t.Fatalf("message to peer %d, not connected", s.to)
				}
			}
			if ph.NumPeers() != len(live) && rec.dones == 0 {
				t.Fatalf("%d peers, want %d", ph.NumPeers(), len(live))
			}
		}
		if rec.dones > 1 {
			t.Fatalf("done %d times", rec.dones)
		}
		if rec.dones == 1 {
			if !bytes.Equal(rec.info, info) {
				t.Fatal("done with the wrong bytes")
			}
			if got := rec.handedOff(); !slices.Equal(got, live) {
				t.Fatalf("handed over %v, want %v", got, live)
			}
			n := len(rec.sent)
			ph.Tick(now.Add(time.Hour))
			ph.AddPeer(9, true, now)
			if len(rec.sent) != n {
				t.Fatal("a finished phase still sends")
			}
		}
	})
}
