package metadata

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/braid-bt/braid/core/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ourExtID is the ut_metadata id our handshake names in these tests.
const ourExtID = 1

var ourHandshake = (&wire.ExtHandshake{M: map[string]int{"ut_metadata": ourExtID}}).Encode()

// sentMsg is one message the Phase sent, copied.
type sentMsg struct {
	to  PeerID
	msg wire.Message
}

type closedPeer struct {
	id     PeerID
	reason error
}

// recorder is the Phase's Out in tests: it keeps a copy of everything.
type recorder struct {
	sent    []sentMsg
	closed  []closedPeer
	info    []byte
	handoff []Handoff
	dones   int
}

func (r *recorder) Send(p PeerID, m *wire.Message) {
	c := *m
	c.Payload = bytes.Clone(m.Payload)
	c.Bitfield = bytes.Clone(m.Bitfield)
	r.sent = append(r.sent, sentMsg{p, c})
}

func (r *recorder) ClosePeer(p PeerID, reason error) {
	r.closed = append(r.closed, closedPeer{p, reason})
}

func (r *recorder) Done(info []byte, peers []Handoff) {
	r.dones++
	r.info, r.handoff = info, peers
}

func (r *recorder) closedIDs() []PeerID {
	var ids []PeerID
	for _, c := range r.closed {
		ids = append(ids, c.id)
	}
	return ids
}

func (r *recorder) handedOff() []PeerID {
	var ids []PeerID
	for _, h := range r.handoff {
		ids = append(ids, h.Peer)
	}
	return ids
}

// remote simulates one peer on the other end of a connection.
type remote struct {
	*server       // its ut_metadata side; nil: it does not speak ut_metadata
	extID    int  // the id it wants ut_metadata on
	extended bool // it speaks BEP 10
	got      []wire.Message
}

func peerWith(s *server, extID int) *remote { return &remote{server: s, extID: extID, extended: true} }

// handshake is its BEP 10 handshake: ut_metadata on extID with the size
// of its copy, if it has one.
func (r *remote) handshake() []byte {
	eh := wire.ExtHandshake{M: map[string]int{}}
	if r.server != nil {
		eh.M["ut_metadata"] = r.extID
		eh.MetadataSize = len(r.info)
	}
	return eh.Encode()
}

// swarm drives a Phase against remotes: what the Phase sends is delivered
// at once, and answers go back to it in the order they were made.
type swarm struct {
	t       *testing.T
	ph      *Phase
	rec     *recorder
	remotes map[PeerID]*remote
	now     time.Time
	seen    int // messages of rec.sent delivered
}

func newSwarm(t *testing.T, ih [20]byte) *swarm {
	rec := &recorder{}
	return &swarm{
		t: t, rec: rec, remotes: map[PeerID]*remote{}, now: t0,
		ph: NewPhase(ih, PhaseConfig{ExtHandshake: ourHandshake, ExtID: ourExtID}, rec),
	}
}

// connect adds a peer, which then sends its extension handshake. What
// the Phase sends waits for deliver.
func (s *swarm) connect(id PeerID, r *remote) {
	s.remotes[id] = r
	s.ph.AddPeer(id, r.extended, s.now)
	if r.extended {
		s.ph.Message(id, &wire.Message{Type: wire.Extended, ExtID: 0, Payload: r.handshake()}, s.now)
	}
}

// deliver hands the Phase's messages to the remotes until none is left,
// sending their answers back.
func (s *swarm) deliver() {
	for s.seen < len(s.rec.sent) {
		sm := s.rec.sent[s.seen]
		s.seen++
		r := s.remotes[sm.to]
		require.NotNil(s.t, r, "message to unknown peer %d", sm.to)
		r.got = append(r.got, sm.msg)
		if sm.msg.Type != wire.Extended || sm.msg.ExtID == 0 || r.server == nil {
			continue
		}
		require.Equal(s.t, uint8(r.extID), sm.msg.ExtID, "ut_metadata on the id peer %d asked for", sm.to)
		mm, err := wire.ParseMetadataMsg(sm.msg.Payload)
		require.NoError(s.t, err)
		if mm.Type != wire.MetadataRequest {
			continue
		}
		data, total, a := r.reply(mm.Piece)
		var answer wire.MetadataMsg
		switch a {
		case drop:
			continue
		case reject:
			answer = wire.MetadataMsg{Type: wire.MetadataReject, Piece: mm.Piece}
		case serve:
			answer = wire.MetadataMsg{Type: wire.MetadataData, Piece: mm.Piece, TotalSize: total, Data: data}
		}
		s.ph.Message(sm.to, &wire.Message{Type: wire.Extended, ExtID: ourExtID, Payload: wire.AppendMetadataMsg(nil, answer)}, s.now)
	}
}

// run ticks once a second until the Phase is done or rounds pass.
func (s *swarm) run(rounds int) {
	for i := 0; i < rounds && !s.ph.Done(); i++ {
		s.now = s.now.Add(time.Second)
		s.ph.Tick(s.now)
		s.deliver()
	}
}

// requestsTo lists the pieces requested of a peer, in order.
func (s *swarm) requestsTo(id PeerID) []int {
	var pieces []int
	for _, sm := range s.rec.sent {
		if sm.to != id || sm.msg.Type != wire.Extended || sm.msg.ExtID == 0 {
			continue
		}
		if mm, err := wire.ParseMetadataMsg(sm.msg.Payload); err == nil && mm.Type == wire.MetadataRequest {
			pieces = append(pieces, mm.Piece)
		}
	}
	return pieces
}

func extMsg(id uint8, payload []byte) *wire.Message {
	return &wire.Message{Type: wire.Extended, ExtID: id, Payload: payload}
}

func TestPhaseFetchesFromHonestPeers(t *testing.T) {
	info, ih := testInfo(5*pieceSize + 10)
	s := newSwarm(t, ih)
	// Added out of id order: arrival order decides.
	s.ph.AddPeer(7, true, s.now)
	s.ph.AddPeer(3, true, s.now)
	s.ph.AddPeer(5, true, s.now)
	require.Len(t, s.rec.sent, 3)
	for i, id := range []PeerID{7, 3, 5} {
		assert.Equal(t, id, s.rec.sent[i].to)
		assert.Equal(t, *extMsg(0, ourHandshake), s.rec.sent[i].msg, "our handshake first")
	}
	assert.Equal(t, 3, s.ph.NumPeers())
	for _, id := range []PeerID{7, 3, 5} {
		s.remotes[id] = peerWith(honest(info), 10+id)
	}
	s.seen = len(s.rec.sent)
	// Handshakes arrive before any answer: each peer gets its share.
	for _, id := range []PeerID{5, 7, 3} {
		s.ph.Message(id, extMsg(0, s.remotes[id].handshake()), s.now)
	}
	assert.Equal(t, []int{0, 1}, s.requestsTo(5), "the first to offer ut_metadata is asked first")
	assert.Equal(t, []int{2, 3}, s.requestsTo(7))
	assert.Equal(t, []int{4, 5}, s.requestsTo(3))
	got, total := s.ph.Progress()
	assert.Equal(t, []int{0, 6}, []int{got, total})
	s.deliver()

	require.True(t, s.ph.Done())
	assert.Equal(t, 1, s.rec.dones)
	assert.Equal(t, info, s.rec.info)
	assert.Equal(t, []PeerID{7, 3, 5}, s.rec.handedOff(), "peers handed over in the order they came")
	for _, h := range s.rec.handoff {
		require.NotEmpty(t, h.Messages)
		assert.Equal(t, *extMsg(0, s.remotes[h.Peer].handshake()), h.Messages[0], "peer %d's handshake is replayed", h.Peer)
	}
	assert.Empty(t, s.rec.closed)

	// Finished: nothing more happens.
	n := len(s.rec.sent)
	s.ph.AddPeer(9, true, s.now)
	s.ph.Message(3, extMsg(ourExtID, wire.AppendMetadataMsg(nil, wire.MetadataMsg{Type: wire.MetadataRequest})), s.now)
	s.ph.Tick(s.now.Add(time.Minute))
	s.ph.RemovePeer(3, s.now)
	assert.Len(t, s.rec.sent, n)
	assert.Equal(t, 1, s.rec.dones)
}

func TestPhaseBansThePeerSendingABadCopy(t *testing.T) {
	info, ih := testInfo(6 * pieceSize)
	s := newSwarm(t, ih)
	liar := &server{info: info, corrupt: true}
	s.connect(1, peerWith(liar, 3))
	s.connect(2, peerWith(honest(info), 4))
	s.connect(3, peerWith(honest(info), 5))
	s.deliver()
	s.run(200)

	require.True(t, s.ph.Done())
	assert.Equal(t, info, s.rec.info)
	require.Equal(t, []PeerID{1}, s.rec.closedIDs(), "only the liar is closed")
	assert.ErrorIs(t, s.rec.closed[0].reason, ErrBanned)
	assert.Equal(t, []PeerID{2, 3}, s.rec.handedOff())
}

func TestPhaseRejectingPeerStaysConnected(t *testing.T) {
	info, ih := testInfo(4 * pieceSize)
	s := newSwarm(t, ih)
	s.connect(1, peerWith(&server{info: info, act: func(int) answer { return reject }}, 2))
	s.deliver()
	require.Equal(t, []int{0, 1}, s.requestsTo(1))
	s.run(3)
	assert.Equal(t, []int{0, 1}, s.requestsTo(1), "a peer that refused is left alone for a while")
	assert.False(t, s.ph.Done())

	s.connect(2, peerWith(honest(info), 2))
	s.deliver()
	s.run(60)
	require.True(t, s.ph.Done())
	assert.Equal(t, info, s.rec.info)
	assert.Empty(t, s.rec.closed)
	assert.Equal(t, []PeerID{1, 2}, s.rec.handedOff())
}

func TestPhaseReplaysEarlyMessages(t *testing.T) {
	info, ih := testInfo(100)
	s := newSwarm(t, ih)
	s.ph.AddPeer(1, true, s.now) // speaks BEP 10 but not ut_metadata
	s.ph.AddPeer(2, false, s.now)
	s.remotes[1], s.remotes[2] = &remote{extended: true}, &remote{}

	bf := []byte{0x80, 0x00}
	hs := s.remotes[1].handshake()
	for _, m := range []*wire.Message{
		{Type: wire.Bitfield, Bitfield: bf},
		{Type: wire.Have, Index: 9},
		extMsg(0, hs),
		{Type: wire.Unchoke},
		{Type: wire.Bitfield, Bitfield: []byte{0x01, 0x40}}, // ORed into the first
		{KeepAlive: true},
		{Type: wire.Interested},
		{Type: wire.Have, Index: 3},
		{Type: wire.Choke},
		{Type: wire.Port, Port: 6881},
		{Type: wire.Unchoke},
	} {
		s.ph.Message(1, m, s.now)
	}
	// The caller reuses its buffers: what is replayed is a copy.
	bf[0], hs[0] = 0xff, 'x'
	s.ph.Message(2, &wire.Message{Type: wire.HaveNone}, s.now)
	s.ph.Message(2, &wire.Message{Type: wire.HaveAll}, s.now)
	s.ph.Message(2, &wire.Message{Type: wire.Have, Index: 1}, s.now)
	s.ph.Message(2, &wire.Message{Type: wire.NotInterested}, s.now)
	s.ph.Message(42, &wire.Message{Type: wire.HaveAll}, s.now) // unknown: ignored

	s.connect(3, peerWith(honest(info), 1))
	s.deliver()
	require.True(t, s.ph.Done())
	assert.Empty(t, s.rec.closed)
	require.Equal(t, []PeerID{1, 2, 3}, s.rec.handedOff())
	assert.Equal(t, []wire.Message{
		*extMsg(0, s.remotes[1].handshake()),
		{Type: wire.Bitfield, Bitfield: []byte{0x81, 0x40}},
		{Type: wire.Have, Index: 9},
		{Type: wire.Have, Index: 3},
		{Type: wire.Unchoke},
		{Type: wire.Interested},
	}, s.rec.handoff[0].Messages)
	assert.Equal(t, []wire.Message{
		{Type: wire.HaveAll},
		{Type: wire.Have, Index: 1},
		{Type: wire.NotInterested},
	}, s.rec.handoff[1].Messages, "HaveAll wins over HaveNone")
	assert.Equal(t, []wire.Message{*extMsg(0, s.remotes[3].handshake())}, s.rec.handoff[2].Messages)
	assert.Empty(t, s.remotes[2].got, "no extension handshake to a peer without BEP 10")
	assert.Empty(t, s.requestsTo(1), "no requests to a peer without ut_metadata")
}

func TestPhaseBoundsEarlyHaves(t *testing.T) {
	info, ih := testInfo(100)
	s := newSwarm(t, ih)
	s.ph.AddPeer(1, false, s.now)
	s.remotes[1] = &remote{}
	for i := range MaxEarlyMessages + 100 {
		s.ph.Message(1, &wire.Message{Type: wire.Have, Index: uint32(i)}, s.now)
	}
	s.connect(2, peerWith(honest(info), 1))
	s.deliver()
	require.True(t, s.ph.Done())
	msgs := s.rec.handoff[0].Messages
	require.Len(t, msgs, MaxEarlyMessages)
	for i, m := range msgs {
		require.Equal(t, wire.Message{Type: wire.Have, Index: uint32(i)}, m, "the first ones, in order")
	}
}

func TestPhaseClosesProtocolBreakers(t *testing.T) {
	info, ih := testInfo(2 * pieceSize)
	tests := []struct {
		name     string
		extended bool
		msg      *wire.Message
	}{
		{"garbage extension handshake", true, extMsg(0, []byte("garbage"))},
		{"extension handshake with a bad field", true, extMsg(0, []byte("d1:pi70000ee"))},
		{"extended message without BEP 10", false, extMsg(0, (&wire.ExtHandshake{}).Encode())},
		{"malformed ut_metadata message", true, extMsg(ourExtID, []byte("d8:msg_typei0ee"))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSwarm(t, ih)
			s.connect(1, peerWith(honest(info), 2))
			require.Equal(t, []int{0, 1}, s.requestsTo(1))
			s.ph.AddPeer(2, tc.extended, s.now)
			s.remotes[2] = &remote{extended: tc.extended}
			s.ph.Message(2, tc.msg, s.now)
			require.Equal(t, []PeerID{2}, s.rec.closedIDs())
			assert.ErrorIs(t, s.rec.closed[0].reason, ErrProtocol)
			assert.Equal(t, 1, s.ph.NumPeers())

			s.ph.Message(2, &wire.Message{Type: wire.HaveAll}, s.now) // already closed: ignored
			s.deliver()
			require.True(t, s.ph.Done())
			assert.Equal(t, []PeerID{1}, s.rec.handedOff())
			assert.Len(t, s.rec.closed, 1)
		})
	}
}

func TestPhaseRejectsMetadataRequests(t *testing.T) {
	_, ih := testInfo(3 * pieceSize)
	s := newSwarm(t, ih)
	req := wire.AppendMetadataMsg(nil, wire.MetadataMsg{Type: wire.MetadataRequest, Piece: 2})
	s.ph.AddPeer(1, true, s.now)
	s.ph.Message(1, extMsg(ourExtID, req), s.now)
	require.Len(t, s.rec.sent, 1, "no handshake yet: no id to answer on")

	s.ph.Message(1, extMsg(0, (&wire.ExtHandshake{M: map[string]int{"ut_metadata": 9}}).Encode()), s.now)
	s.ph.Message(1, extMsg(ourExtID, req), s.now)
	require.Len(t, s.rec.sent, 2)
	reject := wire.AppendMetadataMsg(nil, wire.MetadataMsg{Type: wire.MetadataReject, Piece: 2})
	assert.Equal(t, sentMsg{1, *extMsg(9, reject)}, s.rec.sent[1])

	// Unknown ut_metadata message types are ignored (BEP 9).
	s.ph.Message(1, extMsg(ourExtID, []byte("d8:msg_typei7e5:piecei0ee")), s.now)
	assert.Len(t, s.rec.sent, 2)
	assert.Empty(t, s.rec.closed)
}

func TestPhaseRemovedPeersRequestsGoToOthers(t *testing.T) {
	info, ih := testInfo(2 * pieceSize)
	s := newSwarm(t, ih)
	s.connect(1, peerWith(&server{info: info, act: func(int) answer { return drop }}, 2))
	s.connect(2, peerWith(honest(info), 2))
	s.deliver()
	require.Equal(t, []int{0, 1}, s.requestsTo(1))
	require.Empty(t, s.requestsTo(2), "every piece is out")

	s.ph.RemovePeer(1, s.now)
	s.ph.RemovePeer(1, s.now) // twice: ignored
	assert.Equal(t, []int{0, 1}, s.requestsTo(2), "asked at once, not at the next tick")
	s.deliver()
	require.True(t, s.ph.Done())
	assert.Equal(t, []PeerID{2}, s.rec.handedOff())
	assert.Empty(t, s.rec.closed, "a removed peer is not closed again")
}

func TestPhaseTickAsksAgainAfterTimeout(t *testing.T) {
	info, ih := testInfo(pieceSize)
	s := newSwarm(t, ih)
	silent := &server{info: info, act: func(int) answer { return drop }}
	s.connect(1, peerWith(silent, 2))
	s.deliver()
	require.Equal(t, []int{0}, s.requestsTo(1))
	s.run(int(RequestTimeout/time.Second) - 1)
	assert.Equal(t, []int{0}, s.requestsTo(1))
	silent.act = nil // it answers now
	s.run(1)
	assert.Equal(t, []int{0, 0}, s.requestsTo(1), "the timed-out request is made again")
	require.True(t, s.ph.Done())
}

func TestPhaseStopsAskingAPeerThatWithdrawsUTMetadata(t *testing.T) {
	info, ih := testInfo(pieceSize)
	s := newSwarm(t, ih)
	s.connect(1, peerWith(&server{info: info, act: func(int) answer { return drop }}, 2))
	s.deliver()
	require.Equal(t, []int{0}, s.requestsTo(1))
	s.ph.Message(1, extMsg(0, (&wire.ExtHandshake{M: map[string]int{"ut_metadata": 0}}).Encode()), s.now)
	s.run(3 * int(RequestTimeout/time.Second))
	assert.Equal(t, []int{0}, s.requestsTo(1))
	assert.False(t, s.ph.Done())
	got, total := s.ph.Progress()
	assert.Equal(t, []int{0, 1}, []int{got, total})
}

// TestPhaseRandomSwarms runs swarms of honest, flaky, rejecting and lying
// peers, each twice: the fetch finishes, no honest peer is closed, and the
// same events give the same messages in the same order.
func TestPhaseRandomSwarms(t *testing.T) {
	for seed := range uint64(100) {
		a, b := randomSwarm(t, seed), randomSwarm(t, seed)
		require.True(t, a.ph.Done(), "seed %d", seed)
		require.Equal(t, a.rec.sent, b.rec.sent, "seed %d: same messages", seed)
		require.Equal(t, a.rec.closedIDs(), b.rec.closedIDs(), "seed %d", seed)
		require.Equal(t, a.rec.handedOff(), b.rec.handedOff(), "seed %d", seed)
	}
}

func randomSwarm(t *testing.T, seed uint64) *swarm {
	r := rand.New(rand.NewPCG(seed, 5))
	info, ih := testInfo(1 + r.IntN(8*pieceSize))
	s := newSwarm(t, ih)
	n := 2 + r.IntN(6)
	honestAt := r.IntN(n)
	liars := map[PeerID]bool{}
	ids := r.Perm(100)[:n]
	for i, id := range ids {
		srv := &server{info: info}
		pDrop, pReject := r.Float64()*0.3, r.Float64()*0.3
		srv.act = func(int) answer {
			switch x := r.Float64(); {
			case x < pDrop:
				return drop
			case x < pDrop+pReject:
				return reject
			}
			return serve
		}
		if i != honestAt && r.IntN(3) == 0 {
			srv.corrupt = true
			liars[id] = true
		}
		s.connect(id, peerWith(srv, 1+r.IntN(255)))
		if r.IntN(3) == 0 {
			s.ph.Message(id, &wire.Message{Type: wire.Have, Index: uint32(r.IntN(50))}, s.now)
		}
	}
	s.deliver()
	s.run(3000)
	require.True(t, s.ph.Done(), "seed %d", seed)
	require.Equal(t, info, s.rec.info)
	for _, c := range s.rec.closed {
		require.True(t, liars[c.id], "seed %d: honest peer %d closed: %v", seed, c.id, c.reason)
		require.ErrorIs(t, c.reason, ErrBanned)
	}
	want := slices.DeleteFunc(slices.Clone(ids), func(id int) bool { return slices.Contains(s.rec.closedIDs(), id) })
	require.Equal(t, want, s.rec.handedOff(), "seed %d: the others, in arrival order", seed)
	return s
}
