package session

import (
	"errors"
	"testing"
	"time"

	"github.com/braid-bt/braid/core/bitfield"
	"github.com/braid-bt/braid/core/picker"
	"github.com/braid-bt/braid/core/wire"
)

// FuzzMessages drives a session with hostile message sequences from two
// peers (one with BEP 6 and BEP 10, one plain) mixed with ticks, hash
// results, priority changes and reconnections, and checks its invariants
// after every step. Input: records of [op][len hi][len lo][body].
func FuzzMessages(f *testing.F) {
	f.Add([]byte{})
	f.Add(fuzzOps(
		fuzzMsg(1, wire.Message{Type: wire.HaveAll}),
		fuzzMsg(1, wire.Message{Type: wire.Unchoke}),
		[]byte{opDeliver, 0, 1, 1}, []byte{opDeliver, 0, 1, 1}, []byte{opTick, 0, 0},
		[]byte{opHashed, 0, 2, 0, 1},
		fuzzMsg(2, wire.Message{Type: wire.Bitfield, Bitfield: []byte{0xf8}}),
		fuzzMsg(2, wire.Message{Type: wire.Interested}),
		fuzzMsg(2, wire.Message{Type: wire.Request, Index: 0, Begin: 0, Length: 16384}),
	))
	f.Add(fuzzOps(
		fuzzMsg(1, wire.Message{Type: wire.Extended, Payload: []byte("d11:upload_onlyi1ee")}),
		fuzzMsg(1, wire.Message{Type: wire.Bitfield, Bitfield: []byte{0xf8}}),
		fuzzMsg(1, wire.Message{Type: wire.Unchoke}),
		fuzzMsg(1, wire.Message{Type: wire.Extended, ExtID: ExtDontHave, Payload: []byte{0, 0, 0, 2}}),
		fuzzMsg(2, wire.Message{Type: wire.Extended, ExtID: ExtUploadOnly, Payload: []byte{1}}),
		[]byte{opHashed, 0, 2, 0, 1},
	))
	info, _ := testData(5, 32<<10, 3000)
	f.Fuzz(func(t *testing.T, data []byte) {
		have := bitfield.New(5)
		have.Set(0)
		out := &nopOut{}
		now := t0
		s := New(info, have, Config{UploadSlots: 1}, out, now)
		addPeers := func() {
			s.AddPeer(1, PeerInfo{Addr: "1.1.1.1:1", Fast: true, Extended: true}, now)
			s.AddPeer(2, PeerInfo{Addr: "2.2.2.2:2"}, now)
		}
		addPeers()
		block := make([]byte, wire.BlockSize)
		for len(data) >= 3 {
			op, n := data[0], int(data[1])<<8|int(data[2])
			data = data[3:]
			body := data[:min(n, len(data))]
			data = data[len(body):]
			id := PeerID(op&1 + 1)
			switch op >> 1 % 8 {
			case 0:
				now = now.Add(time.Duration(len(body)+1) * time.Second)
				s.Tick(now)
			case 1:
				if len(body) >= 2 {
					s.PieceHashed(int(body[0])%7-1, body[1]&1 == 1, nil, now)
				}
				for _, piece := range out.hashed {
					s.PieceHashed(piece, len(body)%2 == 0, nil, now)
				}
				out.hashed = out.hashed[:0]
			case 2:
				if p := s.peers[id]; p != nil && len(p.reqs) > 0 {
					r := p.reqs[len(body)%len(p.reqs)].b
					m := wire.Message{Type: wire.Piece, Index: uint32(r.Piece), Begin: uint32(r.Begin), Block: block[:r.Length]}
					s.Message(id, &m, now)
				}
			case 3:
				addPeers()
			case 4:
				if len(body) >= 2 {
					s.SetFilePriority(0, picker.Priority(body[1]%4))
					s.SetPiecePriority(int(body[0])%6, picker.Priority(body[1]%5)-1)
				}
			case 5:
				if len(body) > 0 && body[0] == 0xff {
					s.Stop(now)
				}
				s.RemovePeer(id, now)
			default:
				m, err := wire.ParseMessage(body)
				if err != nil && !errors.Is(err, wire.ErrUnknownMessage) {
					continue
				}
				s.Message(id, &m, now)
			}
			checkInvariants(t, s)
		}
	})
}

// Fuzz input ops (op>>1; the low bit picks the peer).
const (
	opTick    = 0 << 1
	opHashed  = 1 << 1
	opDeliver = 2 << 1
	opMessage = 6 << 1
)

func fuzzMsg(id PeerID, m wire.Message) []byte {
	b := wire.AppendMessage(nil, &m)[4:]
	return append([]byte{opMessage | byte(id-1), byte(len(b) >> 8), byte(len(b))}, b...)
}

func fuzzOps(ops ...[]byte) []byte {
	var out []byte
	for _, o := range ops {
		out = append(out, o...)
	}
	return out
}

func checkInvariants(t *testing.T, s *Session) {
	t.Helper()
	unchoked, regular := 0, 0
	for _, p := range s.order {
		if s.peers[p.id] != p || p.gone {
			t.Fatalf("peer %d: order and map disagree", p.id)
		}
		if !p.amChoking {
			unchoked++
		}
		if p.regular {
			regular++
		}
		if got := s.countWanted(p.has); got != p.wantCount {
			t.Fatalf("peer %d: wantCount %d, recount %d", p.id, p.wantCount, got)
		}
		if want := !s.stopped && p.wantCount > 0; want != p.amInterested {
			t.Fatalf("peer %d: interested %v, should be %v", p.id, p.amInterested, want)
		}
		if len(p.reqs) > s.cfg.MaxQueue {
			t.Fatalf("peer %d: %d requests", p.id, len(p.reqs))
		}
		seen := map[picker.Block]bool{}
		for _, r := range p.reqs {
			if seen[r.b] {
				t.Fatalf("peer %d: block %v requested twice", p.id, r.b)
			}
			seen[r.b] = true
			if s.have.Has(r.b.Piece) {
				t.Fatalf("peer %d: outstanding request for verified piece %d", p.id, r.b.Piece)
			}
		}
		if s.stopped && (len(p.reqs) > 0 || !p.amChoking) {
			t.Fatalf("peer %d: active after Stop", p.id)
		}
	}
	if unchoked > s.cfg.UploadSlots+1 || regular > s.cfg.UploadSlots {
		t.Fatalf("%d unchoked, %d regular", unchoked, regular)
	}
	if len(s.order) != len(s.peers) {
		t.Fatalf("%d in order, %d in map", len(s.order), len(s.peers))
	}
	st := s.Stats(s.now)
	if st.PiecesHave != s.have.Count() || st.Left < 0 || st.WantedLeft < 0 {
		t.Fatalf("stats: %+v", st)
	}
}
