package session

import (
	"strings"
	"testing"

	"github.com/braid-bt/braid/core/bitfield"
	"github.com/braid-bt/braid/core/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAddPeerGreeting(t *testing.T) {
	const n = 10
	none := bitfield.New(n)
	some := bitfield.New(n)
	some.Set(3)
	some.Set(9)
	hs := []byte("d1:md11:ut_metadatai1eee")
	cases := []struct {
		name      string
		have      *bitfield.Bitfield
		fast, ext bool
		payload   []byte
		want      []wire.MsgType
	}{
		{"nothing, plain", none, false, false, hs, nil},
		{"nothing, fast", none, true, false, hs, []wire.MsgType{wire.HaveNone}},
		{"nothing, fast+ext", none, true, true, hs, []wire.MsgType{wire.Extended, wire.HaveNone}},
		{"some, plain", some, false, false, hs, []wire.MsgType{wire.Bitfield}},
		{"some, fast", some, true, false, hs, []wire.MsgType{wire.Bitfield}},
		{"all, fast+ext", fullHave(n), true, true, hs, []wire.MsgType{wire.Extended, wire.HaveAll}},
		{"all, plain", fullHave(n), false, false, hs, []wire.MsgType{wire.Bitfield}},
		{"ext without our payload", some, false, true, nil, []wire.MsgType{wire.Bitfield}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, n, 32<<10, tc.have, Config{ExtHandshake: tc.payload})
			h.add(1, tc.fast, tc.ext)
			assert.Equal(t, tc.want, h.out.sentTypes(1))
			for _, m := range h.out.sent(1, wire.Bitfield) {
				assert.Equal(t, tc.have.Bytes(), m.Bitfield)
			}
			for _, m := range h.out.sent(1, wire.Extended) {
				assert.Equal(t, uint8(0), m.ExtID)
				eh, err := wire.ParseExtHandshake(m.Payload)
				require.NoError(t, err)
				assert.Equal(t, map[string]int{"ut_metadata": 1, "upload_only": int(ExtUploadOnly), "lt_donthave": int(ExtDontHave)}, eh.M)
				assert.Equal(t, tc.have.All(), eh.UploadOnly, "a seed says upload_only")
			}
			assert.Equal(t, 1, h.s.Stats(h.now).Peers)
		})
	}
}

func TestProtocolViolations(t *testing.T) {
	const n = 10 // 10 pieces of 32 KiB: bitfield is 2 bytes
	bf := func(b ...byte) wire.Message { return wire.Message{Type: wire.Bitfield, Bitfield: b} }
	typ := func(t wire.MsgType) wire.Message { return wire.Message{Type: t} }
	idx := func(t wire.MsgType, i uint32) wire.Message { return wire.Message{Type: t, Index: i} }
	req := func(t wire.MsgType, i, b, l uint32) wire.Message {
		return wire.Message{Type: t, Index: i, Begin: b, Length: l}
	}
	piece := func(i, b uint32, l int) wire.Message {
		return wire.Message{Type: wire.Piece, Index: i, Begin: b, Block: make([]byte, l), Length: uint32(l)}
	}
	ext := func(id uint8, p string) wire.Message {
		return wire.Message{Type: wire.Extended, ExtID: id, Payload: []byte(p)}
	}
	cases := []struct {
		name      string
		fast, ext bool
		msgs      []wire.Message
		bad       bool
	}{
		{"bitfield ok", false, false, []wire.Message{bf(0xff, 0xc0)}, false},
		// aria2 re-sends bitfields mid-connection: an update, not an error.
		{"bitfield twice", false, false, []wire.Message{bf(0x80, 0x00), bf(0xff, 0xc0)}, false},
		{"bitfield after have", false, false, []wire.Message{idx(wire.Have, 1), bf(0xff, 0xc0)}, false},
		{"bitfield after interested", false, false, []wire.Message{typ(wire.Interested), bf(0xff, 0xc0)}, false},
		{"second bitfield malformed", false, false, []wire.Message{bf(0x80, 0x00), bf(0xff, 0xe0)}, true},
		{"bitfield after ext handshake", false, true, []wire.Message{ext(0, "de"), bf(0xff, 0xc0)}, false},
		{"bitfield after port", false, false, []wire.Message{{Type: wire.Port, Port: 6881}, bf(0xff, 0xc0)}, false},
		{"bitfield short", false, false, []wire.Message{bf(0xff)}, true},
		{"bitfield long", false, false, []wire.Message{bf(0xff, 0xc0, 0)}, true},
		{"bitfield spare bits", false, false, []wire.Message{bf(0xff, 0xe0)}, true},
		{"have all without fast", false, false, []wire.Message{typ(wire.HaveAll)}, true},
		{"have none without fast", false, false, []wire.Message{typ(wire.HaveNone)}, true},
		{"have all fast", true, false, []wire.Message{typ(wire.HaveAll)}, false},
		// aria2 sends HAVE_ALL mid-connection when it completes.
		{"have none then have all", true, false, []wire.Message{typ(wire.HaveNone), typ(wire.HaveAll)}, false},
		{"bitfield then have all", true, false, []wire.Message{bf(0x80, 0x00), typ(wire.HaveAll)}, false},
		{"have all twice", true, false, []wire.Message{typ(wire.HaveAll), typ(wire.HaveAll)}, false},
		{"have all then have none", true, false, []wire.Message{typ(wire.HaveAll), typ(wire.HaveNone)}, false},
		{"have none then have", true, false, []wire.Message{typ(wire.HaveNone), idx(wire.Have, 9)}, false},
		{"have last", false, false, []wire.Message{idx(wire.Have, 9)}, false},
		{"have out of range", false, false, []wire.Message{idx(wire.Have, 10)}, true},
		{"have huge", false, false, []wire.Message{idx(wire.Have, 1<<31)}, true},
		{"reject without fast", false, false, []wire.Message{req(wire.Reject, 0, 0, 16384)}, true},
		{"reject unknown, fast", true, false, []wire.Message{req(wire.Reject, 0, 0, 16384)}, false},
		{"allowed fast without fast", false, false, []wire.Message{idx(wire.AllowedFast, 1)}, true},
		{"allowed fast out of range", true, false, []wire.Message{idx(wire.AllowedFast, 99)}, false},
		{"suggest without fast", false, false, []wire.Message{idx(wire.Suggest, 1)}, true},
		{"extended without ext", false, false, []wire.Message{ext(1, "x")}, true},
		{"bad ext handshake", false, true, []wire.Message{ext(0, "not bencode")}, true},
		{"ext handshake ok", false, true, []wire.Message{ext(0, "d1:v4:test4:reqqi7ee")}, false},
		{"piece index out of range", false, false, []wire.Message{piece(10, 0, 16)}, true},
		{"piece past end", false, false, []wire.Message{piece(9, 32768-8, 16)}, true},
		{"piece unrequested", false, false, []wire.Message{piece(1, 0, 16384)}, false},
		{"request zero length", false, false, []wire.Message{req(wire.Request, 0, 0, 0)}, true},
		{"request too long", false, false, []wire.Message{req(wire.Request, 0, 0, 128<<10+1)}, true},
		{"request past end", false, false, []wire.Message{req(wire.Request, 9, 16384, 16385)}, true},
		{"request index out of range", false, false, []wire.Message{req(wire.Request, 10, 0, 16384)}, true},
		{"request huge begin", false, false, []wire.Message{req(wire.Request, 0, 1<<32-1, 16384)}, true},
		{"request ok but not ours", false, false, []wire.Message{req(wire.Request, 0, 0, 16384)}, false},
		{"cancel unknown", false, false, []wire.Message{req(wire.Cancel, 0, 0, 16384)}, false},
		{"unknown type", false, false, []wire.Message{{Type: 99, Payload: []byte{1}}}, false},
		{"keep-alive", false, false, []wire.Message{{KeepAlive: true, Type: wire.HaveAll}}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, n, 32<<10, nil, Config{})
			h.add(1, tc.fast, tc.ext)
			for _, m := range tc.msgs {
				h.msg(1, m)
			}
			err := h.out.closed(1)
			if !tc.bad {
				require.NoError(t, err)
				assert.Equal(t, 1, h.s.Stats(h.now).Peers)
				return
			}
			require.ErrorIs(t, err, ErrProtocol)
			assert.Equal(t, 0, h.s.Stats(h.now).Peers)
			// The session forgot it: more messages do nothing.
			h.out.reset()
			h.msg(1, idx(wire.Have, 99))
			assert.Empty(t, h.out.calls)
		})
	}
}

func TestExtendedMessages(t *testing.T) {
	h := newHarness(t, 4, 32<<10, nil, Config{})
	h.add(1, false, true)
	assert.Nil(t, h.s.PeerExtHandshake(1))
	eh := wire.ExtHandshake{M: map[string]int{"ut_metadata": 3}, V: "Braid\x01Test 1.0", ReqQ: 77}
	h.msg(1, wire.Message{Type: wire.Extended, ExtID: 0, Payload: eh.Encode()})
	got := h.s.PeerExtHandshake(1)
	require.NotNil(t, got)
	assert.Equal(t, 3, got.M["ut_metadata"])
	ps := h.peerStats(1)
	assert.Equal(t, "BraidTest 1.0", ps.Client, "control characters are dropped")
	assert.Equal(t, 77, h.s.peers[1].reqq)

	h.msg(1, wire.Message{Type: wire.Extended, ExtID: 1, Payload: []byte("d8:msg_typei0e5:piecei0ee")})
	exts := h.out.kinds("ext")
	require.Len(t, exts, 1)
	assert.Equal(t, uint8(1), exts[0].ExtID)
	assert.Equal(t, []byte("d8:msg_typei0e5:piecei0ee"), exts[0].Data)
}

func TestClientName(t *testing.T) {
	assert.Equal(t, "uTorrent 3.5", clientName("uTorrent 3.5"))
	assert.Equal(t, "ab?", clientName("a\x00b\xff"))
	assert.Equal(t, "xyz", clientName(string(make([]byte, 500))+"xyz"), "NULs dropped before truncation")
	assert.Len(t, clientName(strings.Repeat("x", 500)), maxClientName)
	s := clientName("é" + string([]byte{'a'}) + "ééééééééééééééééééééééééééééééééééééééééé")
	assert.LessOrEqual(t, len(s), maxClientName)
}

func TestHostOf(t *testing.T) {
	cases := map[string]string{
		"1.2.3.4:6881":       "1.2.3.4",
		"[2001:db8::1]:6881": "2001:db8::1",
		"2001:db8::1":        "2001:db8::1",
		"webrtc-peer-abc":    "webrtc-peer-abc",
		"host.example:80":    "host.example",
		"[bad":               "[bad",
		"":                   "",
	}
	for in, want := range cases {
		assert.Equal(t, want, hostOf(in), in)
	}
}

func TestUnknownPeerIgnored(t *testing.T) {
	h := newHarness(t, 4, 32<<10, nil, Config{})
	h.msg(42, wire.Message{Type: wire.Interested})
	h.s.RemovePeer(42, h.now)
	h.s.RemovePeer(42, h.now)
	assert.Empty(t, h.out.calls)
	h.add(1, false, false)
	h.s.RemovePeer(1, h.now)
	h.s.RemovePeer(1, h.now)
	assert.Equal(t, 0, h.s.Stats(h.now).Peers)
	assert.Empty(t, h.out.kinds("close"), "RemovePeer does not ask the engine to close")
}

// TestRepeatedBitfieldAddsPieces: a later bitfield announces new pieces the
// way HAVEs would (aria2 does this), and we become interested.
func TestRepeatedBitfieldAddsPieces(t *testing.T) {
	h := newHarness(t, 10, 32<<10, nil, Config{})
	h.add(1, false, false)
	h.msg(1, wire.Message{Type: wire.Bitfield, Bitfield: []byte{0, 0}})
	require.Zero(t, h.s.Peers(h.now)[0].Progress)
	require.Empty(t, h.out.sent(1, wire.Interested))
	h.msg(1, wire.Message{Type: wire.Bitfield, Bitfield: []byte{0xc0, 0}})
	require.InDelta(t, 0.2, h.s.Peers(h.now)[0].Progress, 1e-9)
	require.NotEmpty(t, h.out.sent(1, wire.Interested))
}

// aria2 announces its completion with HAVE_ALL mid-connection: the peer
// becomes a seed we are interested in and request from, not a violator.
func TestHaveAllMidConnectionMakesASeed(t *testing.T) {
	h := newHarness(t, 10, 32<<10, nil, Config{})
	h.partialPeer(1, true) // fast, has nothing yet, unchokes us
	require.False(t, h.peerStats(1).Seed)
	assert.Empty(t, h.out.sent(1, wire.Request))
	h.typ(1, wire.HaveAll)
	require.NoError(t, h.out.closed(1))
	ps := h.peerStats(1)
	assert.True(t, ps.Seed)
	assert.True(t, ps.AmInterested)
	assert.NotEmpty(t, h.out.sent(1, wire.Request), "no requests to the new seed")
	h.typ(1, wire.HaveNone) // changes nothing
	require.NoError(t, h.out.closed(1))
	assert.True(t, h.peerStats(1).Seed)
}
