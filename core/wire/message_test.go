package wire

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sampleMessages holds one message of every type Braid speaks, as
// ParseMessage returns them.
func sampleMessages() map[string]Message {
	block := bytes.Repeat([]byte{0xab}, 100)
	return map[string]Message{
		"keepalive":      {KeepAlive: true},
		"choke":          {Type: Choke},
		"unchoke":        {Type: Unchoke},
		"interested":     {Type: Interested},
		"not_interested": {Type: NotInterested},
		"have":           {Type: Have, Index: 0x01020304},
		"bitfield":       {Type: Bitfield, Bitfield: []byte{0xff, 0x80}},
		"bitfield_empty": {Type: Bitfield, Bitfield: []byte{}},
		"request":        {Type: Request, Index: 7, Begin: 16384, Length: 16384},
		"request_big":    {Type: Request, Index: 1, Begin: 0, Length: 1 << 20},
		"piece":          {Type: Piece, Index: 3, Begin: 32768, Length: 100, Block: block},
		"piece_empty":    {Type: Piece, Index: 3, Begin: 0, Length: 0, Block: []byte{}},
		"cancel":         {Type: Cancel, Index: 9, Begin: 0, Length: 16384},
		"port":           {Type: Port, Port: 6881},
		"suggest":        {Type: Suggest, Index: 42},
		"have_all":       {Type: HaveAll},
		"have_none":      {Type: HaveNone},
		"reject":         {Type: Reject, Index: 1, Begin: 2, Length: 3},
		"allowed_fast":   {Type: AllowedFast, Index: 0xffffffff},
		"extended":       {Type: Extended, ExtID: 3, Payload: []byte("d1:ai1ee")},
		"extended_empty": {Type: Extended, ExtID: 0, Payload: []byte{}},
	}
}

func TestRoundTripEveryType(t *testing.T) {
	for name, m := range sampleMessages() {
		t.Run(name, func(t *testing.T) {
			enc := AppendMessage(nil, &m)
			require.GreaterOrEqual(t, len(enc), 4)
			assert.Equal(t, uint32(len(enc)-4), binary.BigEndian.Uint32(enc), "length prefix")
			got, err := ParseMessage(enc[4:])
			require.NoError(t, err)
			assert.Equal(t, m, got)
			if !m.KeepAlive {
				assert.Equal(t, byte(m.Type), enc[4], "type byte")
			}
		})
	}
}

func TestEncodingVectors(t *testing.T) {
	tests := []struct {
		m    Message
		want []byte
	}{
		{Message{KeepAlive: true}, []byte{0, 0, 0, 0}},
		{Message{Type: Interested}, []byte{0, 0, 0, 1, 2}},
		{Message{Type: Have, Index: 0x01020304}, []byte{0, 0, 0, 5, 4, 1, 2, 3, 4}},
		{Message{Type: Request, Index: 1, Begin: 0x4000, Length: 0x4000},
			[]byte{0, 0, 0, 13, 6, 0, 0, 0, 1, 0, 0, 0x40, 0, 0, 0, 0x40, 0}},
		{Message{Type: Piece, Index: 2, Begin: 3, Block: []byte{9, 8}},
			[]byte{0, 0, 0, 11, 7, 0, 0, 0, 2, 0, 0, 0, 3, 9, 8}},
		{Message{Type: Port, Port: 0x1ae1}, []byte{0, 0, 0, 3, 9, 0x1a, 0xe1}},
		{Message{Type: HaveAll}, []byte{0, 0, 0, 1, 0x0e}},
		{Message{Type: Extended, ExtID: 1, Payload: []byte("x")}, []byte{0, 0, 0, 3, 20, 1, 'x'}},
	}
	for _, tt := range tests {
		t.Run(tt.m.Type.String(), func(t *testing.T) {
			prefix := []byte("keep")
			got := AppendMessage(prefix, &tt.m)
			assert.Equal(t, append([]byte("keep"), tt.want...), got, "appends after existing bytes")
		})
	}
}

func TestParseMalformedLengths(t *testing.T) {
	fixed := map[MsgType]int{
		Choke: 1, Unchoke: 1, Interested: 1, NotInterested: 1, HaveAll: 1, HaveNone: 1,
		Have: 5, Suggest: 5, AllowedFast: 5,
		Request: 13, Cancel: 13, Reject: 13,
		Port: 3,
	}
	for typ, n := range fixed {
		for _, l := range []int{1, n - 1, n + 1, n + 4, 100} {
			if l == n || l < 1 {
				continue
			}
			body := make([]byte, l)
			body[0] = byte(typ)
			_, err := ParseMessage(body)
			assert.ErrorIs(t, err, ErrMalformed, "%s with %d-byte body", typ, l)
		}
		body := make([]byte, n)
		body[0] = byte(typ)
		_, err := ParseMessage(body)
		assert.NoError(t, err, "%s with exact %d-byte body", typ, n)
	}
	for _, l := range []int{1, 2, 8} {
		body := make([]byte, l)
		body[0] = byte(Piece)
		_, err := ParseMessage(body)
		assert.ErrorIs(t, err, ErrMalformed, "piece with %d-byte body", l)
	}
	_, err := ParseMessage([]byte{byte(Extended)})
	assert.ErrorIs(t, err, ErrMalformed, "extended without id")
}

func TestParseUnknownTypes(t *testing.T) {
	for _, typ := range []byte{10, 11, 12, 18, 19, 21, 22, 23, 255} {
		body := []byte{typ, 1, 2, 3}
		m, err := ParseMessage(body)
		require.ErrorIs(t, err, ErrUnknownMessage, "type %d", typ)
		assert.NotErrorIs(t, err, ErrMalformed)
		assert.Equal(t, MsgType(typ), m.Type)
		assert.Equal(t, []byte{1, 2, 3}, m.Payload)
		assert.Equal(t, append([]byte{0, 0, 0, 4}, body...), AppendMessage(nil, &m), "unknown types re-encode verbatim")
	}
}

func TestParseAliasesBody(t *testing.T) {
	body := []byte{byte(Piece), 0, 0, 0, 1, 0, 0, 0, 0, 'a', 'b'}
	m, err := ParseMessage(body)
	require.NoError(t, err)
	body[9] = 'z'
	assert.Equal(t, []byte("zb"), m.Block)
	assert.Equal(t, uint32(2), m.Length)
}

func TestAppendPieceHeader(t *testing.T) {
	block := bytes.Repeat([]byte{1, 2, 3}, 5000)
	m := Message{Type: Piece, Index: 11, Begin: 16384, Block: block}
	hdr := AppendPieceHeader(nil, 11, 16384, len(block))
	require.Len(t, hdr, PieceHeaderLen)
	assert.Equal(t, AppendMessage(nil, &m), append(hdr, block...))
}

func TestAppendMessageNoAllocs(t *testing.T) {
	block := make([]byte, BlockSize)
	dst := make([]byte, 0, BlockSize+64)
	for _, m := range []Message{
		{Type: Piece, Index: 1, Begin: 2, Block: block},
		{Type: Request, Index: 1, Begin: 2, Length: BlockSize},
		{Type: Have, Index: 5},
		{Type: Extended, ExtID: 1, Payload: block[:100]},
	} {
		allocs := testing.AllocsPerRun(100, func() {
			dst = AppendMessage(dst[:0], &m)
		})
		assert.Zero(t, allocs, "%s", m.Type)
	}
	allocs := testing.AllocsPerRun(100, func() {
		dst = AppendPieceHeader(dst[:0], 1, 2, BlockSize)
	})
	assert.Zero(t, allocs, "piece header")
}

func TestMsgTypeString(t *testing.T) {
	assert.Equal(t, "have_all", HaveAll.String())
	assert.Equal(t, "extended", Extended.String())
	assert.Equal(t, "unknown(99)", MsgType(99).String())
}
