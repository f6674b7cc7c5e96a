package wire

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPieceHotPathDoesNotAllocate: per received block, reading a Piece
// message into the connection's reused buffer and parsing it allocate
// nothing; per sent block, framing the header into a reused slice does not
// either.
func TestPieceHotPathDoesNotAllocate(t *testing.T) {
	block := bytes.Repeat([]byte{0xab}, BlockSize)
	one := AppendMessage(nil, &Message{Type: Piece, Index: 7, Begin: 2 * BlockSize, Block: block})
	stream := bytes.Repeat(one, 4)
	r := bytes.NewReader(stream)
	buf := make([]byte, 0, len(one)) // the pooled per-connection buffer
	lim := DefaultLimits(100000)

	var m Message
	var err error
	allocs := testing.AllocsPerRun(500, func() {
		if r.Len() == 0 {
			r.Reset(stream)
		}
		m, buf, err = ReadMessage(r, buf, lim)
	})
	require.NoError(t, err)
	require.Zero(t, allocs, "ReadMessage of a Piece into a buffer of enough capacity")
	require.Equal(t, Piece, m.Type)
	require.Equal(t, uint32(7), m.Index)
	require.Equal(t, uint32(2*BlockSize), m.Begin)
	require.Equal(t, block, m.Block)

	hdr := make([]byte, 0, PieceHeaderLen)
	allocs = testing.AllocsPerRun(500, func() {
		hdr = AppendPieceHeader(hdr[:0], 7, 2*BlockSize, BlockSize)
	})
	require.Zero(t, allocs, "AppendPieceHeader into a reused slice")
	require.Equal(t, one[:PieceHeaderLen], hdr)
}

// TestControlMessagesDoNotAllocate: the per-block control messages
// (REQUEST, HAVE, CANCEL, and the fast-extension REJECT) parse and frame
// without allocating.
func TestControlMessagesDoNotAllocate(t *testing.T) {
	msgs := []Message{
		{Type: Request, Index: 3, Begin: BlockSize, Length: BlockSize},
		{Type: Cancel, Index: 3, Begin: BlockSize, Length: BlockSize},
		{Type: Have, Index: 99999},
		{Type: Reject, Index: 3, Begin: 0, Length: BlockSize},
	}
	for _, want := range msgs {
		t.Run(want.Type.String(), func(t *testing.T) {
			body := AppendMessage(nil, &want)[4:]
			dst := make([]byte, 0, 64)
			var got Message
			var err error
			allocs := testing.AllocsPerRun(500, func() {
				got, err = ParseMessage(body)
				dst = AppendMessage(dst[:0], &got)
			})
			require.NoError(t, err)
			require.Zero(t, allocs)
			require.Equal(t, want, got)
			require.Equal(t, body, dst[4:])
		})
	}
}
