package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sampleRoot() (r [HashSize]byte) {
	for i := range r {
		r[i] = byte(i + 1)
	}
	return r
}

// hashBytes returns n distinct 32-byte hashes, concatenated.
func hashBytes(n int) []byte {
	b := make([]byte, n*HashSize)
	for i := range n {
		binary.BigEndian.PutUint32(b[i*HashSize:], uint32(i+1))
		b[i*HashSize+31] = 0xee
	}
	return b
}

func sampleHashMsgs() map[string]HashMsg {
	root := sampleRoot()
	return map[string]HashMsg{
		"request_piece_layer": {Type: HashRequest, Root: root, BaseLayer: 2, Index: 512, Length: 512, ProofLayers: 9},
		"request_one":         {Type: HashRequest, Root: root, BaseLayer: 0, Index: 7, Length: 1, ProofLayers: 3},
		"request_max":         {Type: HashRequest, Root: root, BaseLayer: 0, Index: 0, Length: MaxHashRequestLength, ProofLayers: MaxHashLayer},
		"reject":              {Type: HashReject, Root: root, BaseLayer: 1, Index: 4, Length: 4, ProofLayers: 0},
		// Length 4, 3 proof layers: 2 implied by the base, 2 uncles... 3-(2-1) = 2.
		"hashes_uncles": {Type: Hashes, Root: root, BaseLayer: 0, Index: 4, Length: 4, ProofLayers: 3, Hashes: hashBytes(6)},
		// Length 8, 1 proof layer: implied, no uncles.
		"hashes_implied": {Type: Hashes, Root: root, BaseLayer: 3, Index: 8, Length: 8, ProofLayers: 1, Hashes: hashBytes(8)},
		// Length 1 needs ProofLayers+1 uncles, as libtorrent counts.
		"hashes_single": {Type: Hashes, Root: root, BaseLayer: 0, Index: 5, Length: 1, ProofLayers: 2, Hashes: hashBytes(4)},
	}
}

// TestHashMsgLayout checks the bytes against BEP 52 and libtorrent 2.0's
// write_hash_request / write_hashes: length prefix, id, 32-byte pieces
// root, then base layer, index, length and proof layers as big-endian
// 32-bit integers, then (hashes only) the hashes.
func TestHashMsgLayout(t *testing.T) {
	root := sampleRoot()
	want := []byte{0, 0, 0, 49, 21}
	want = append(want, root[:]...)
	want = append(want, 0, 0, 0, 2, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 0, 9)
	m := HashMsg{Type: HashRequest, Root: root, BaseLayer: 2, Index: 512, Length: 512, ProofLayers: 9}
	assert.Equal(t, want, AppendHashMsg(nil, &m))

	hs := hashBytes(6)
	h := HashMsg{Type: Hashes, Root: root, Index: 4, Length: 4, ProofLayers: 3, Hashes: hs}
	enc := AppendHashMsg(nil, &h)
	require.Len(t, enc, 4+1+48+6*32)
	assert.Equal(t, uint32(1+48+6*32), binary.BigEndian.Uint32(enc))
	assert.Equal(t, byte(22), enc[4])
	assert.Equal(t, root[:], enc[5:37])
	assert.Equal(t, []byte{0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 3}, enc[37:53])
	assert.Equal(t, hs, enc[53:])

	r := HashMsg{Type: HashReject, Root: root, BaseLayer: 2, Index: 512, Length: 512, ProofLayers: 9}
	rej := AppendHashMsg(nil, &r)
	assert.Equal(t, append([]byte{0, 0, 0, 49, 23}, want[5:]...), rej)
}

func TestHashMsgRoundTrip(t *testing.T) {
	for name, m := range sampleHashMsgs() {
		t.Run(name, func(t *testing.T) {
			enc := AppendHashMsg(nil, &m)
			require.Equal(t, len(enc)-4, int(binary.BigEndian.Uint32(enc)))
			got, err := ParseHashMsg(MsgType(enc[4]), enc[5:])
			require.NoError(t, err)
			assert.Equal(t, m, got)
			// The generic reader frames it and hands the payload over.
			msg, _, err := ReadMessage(bytes.NewReader(enc), nil, DefaultLimits(0))
			require.ErrorIs(t, err, ErrUnknownMessage)
			assert.Equal(t, m.Type, msg.Type)
			again, err := ParseHashMsg(msg.Type, msg.Payload)
			require.NoError(t, err)
			assert.Equal(t, m, again)
			if m.Type == Hashes {
				for i := range got.NumHashes() {
					assert.Equal(t, [HashSize]byte(m.Hashes[i*HashSize:]), got.HashAt(i))
				}
			}
		})
	}
}

func TestHashMsgNumUncles(t *testing.T) {
	for _, c := range []struct {
		length, proof uint32
		want          int
	}{
		{1, 0, 1}, {1, 5, 6}, {2, 0, 0}, {2, 1, 1}, {4, 1, 0}, {4, 2, 1},
		{512, 8, 0}, {512, 9, 1}, {512, 20, 12}, {8192, 12, 0}, {8192, 13, 1},
	} {
		m := HashMsg{Length: c.length, ProofLayers: c.proof}
		assert.Equal(t, c.want, m.NumUncles(), "length %d proof layers %d", c.length, c.proof)
	}
}

func TestHashMsgRejects(t *testing.T) {
	root := sampleRoot()
	req := func(base, index, length, proof uint32) []byte {
		m := HashMsg{Type: HashRequest, Root: root, BaseLayer: base, Index: index, Length: length, ProofLayers: proof}
		return AppendHashMsg(nil, &m)[5:]
	}
	hashes := func(length, proof uint32, n int) []byte {
		m := HashMsg{Type: Hashes, Root: root, Length: length, ProofLayers: proof, Hashes: hashBytes(n)}
		return AppendHashMsg(nil, &m)[5:]
	}
	for _, c := range []struct {
		name    string
		t       MsgType
		payload []byte
	}{
		{"empty", HashRequest, nil},
		{"short header", HashRequest, req(0, 0, 2, 0)[:47]},
		{"request trailing byte", HashRequest, append(req(0, 0, 2, 0), 0)},
		{"reject trailing hash", HashReject, append(req(0, 0, 2, 0), hashBytes(1)...)},
		{"length zero", HashRequest, req(0, 0, 0, 0)},
		{"length three", HashRequest, req(0, 0, 3, 0)},
		{"length over limit", HashRequest, req(0, 0, 2*MaxHashRequestLength, 0)},
		{"length huge", HashReject, req(0, 0, 1<<31, 0)},
		{"base layer over limit", HashRequest, req(MaxHashLayer+1, 0, 2, 0)},
		{"proof layers over limit", HashRequest, req(0, 0, 2, 0xffffffff)},
		{"hashes missing one", Hashes, hashes(4, 3, 5)},
		{"hashes one extra", Hashes, hashes(4, 3, 7)},
		{"hashes none", Hashes, hashes(2, 0, 0)},
		{"hashes partial hash", Hashes, hashes(2, 0, 2)[:48+63]},
		{"not a hash type", Request, req(0, 0, 2, 0)},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseHashMsg(c.t, c.payload)
			require.ErrorIs(t, err, ErrMalformed)
		})
	}
}

func TestHashMsgNames(t *testing.T) {
	assert.Equal(t, "hash_request", HashRequest.String())
	assert.Equal(t, "hashes", Hashes.String())
	assert.Equal(t, "hash_reject", HashReject.String())
}

func TestHashMsgFitsDefaultLimit(t *testing.T) {
	assert.Less(t, MaxHashesPayload+1, DefaultLimits(0).MaxMessage)
}

func FuzzHashMessages(f *testing.F) {
	for _, m := range sampleHashMsgs() {
		enc := AppendHashMsg(nil, &m)
		f.Add(enc[4], enc[5:])
	}
	f.Add(byte(HashRequest), []byte{})
	f.Add(byte(Hashes), bytes.Repeat([]byte{0xff}, HashMsgHeaderLen+HashSize))
	f.Fuzz(func(t *testing.T, typ byte, payload []byte) {
		m, err := ParseHashMsg(MsgType(typ), payload)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error not malformed: %v", err)
			}
			return
		}
		if m.Length == 0 || m.Length > MaxHashRequestLength || m.Length&(m.Length-1) != 0 {
			t.Fatalf("accepted length %d", m.Length)
		}
		if m.Type == Hashes && len(m.Hashes) != m.NumHashes()*HashSize {
			t.Fatalf("%d bytes of hashes for %d hashes", len(m.Hashes), m.NumHashes())
		}
		if len(payload) > MaxHashesPayload {
			t.Fatalf("accepted a payload of %d bytes, limit %d", len(payload), MaxHashesPayload)
		}
		enc := AppendHashMsg(nil, &m)
		if enc[4] != typ || !bytes.Equal(enc[5:], payload) {
			t.Fatalf("re-encoding %+v differs from the payload", m)
		}
	})
}
