package wire

import (
	"bytes"
	"errors"
	"io"
	"math"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDefaultLimits(t *testing.T) {
	assert.Equal(t, MaxExtendedMessage, DefaultLimits(0).MaxMessage)
	assert.Equal(t, MaxExtendedMessage, DefaultLimits(1000).MaxMessage)
	assert.Equal(t, 1_250_001, DefaultLimits(10_000_000).MaxMessage)
	assert.Equal(t, 1_250_002, DefaultLimits(10_000_001).MaxMessage)
	if math.MaxInt > math.MaxUint32 {
		assert.Equal(t, uint64(math.MaxUint32), uint64(DefaultLimits(math.MaxInt).MaxMessage), "clamped to what a prefix can say")
	}
	assert.Equal(t, MaxExtendedMessage, DefaultLimits(-5).MaxMessage)
}

func TestReadMessageStream(t *testing.T) {
	msgs := []Message{
		{Type: Bitfield, Bitfield: []byte{0xf0}},
		{KeepAlive: true},
		{Type: Piece, Index: 1, Begin: 0, Length: BlockSize, Block: bytes.Repeat([]byte{7}, BlockSize)},
		{Type: Have, Index: 3},
		{Type: Extended, ExtID: 2, Payload: []byte("payload")},
	}
	var stream []byte
	for i := range msgs {
		stream = AppendMessage(stream, &msgs[i])
	}
	r := bytes.NewReader(stream)
	var buf []byte
	for i, want := range msgs {
		got, nb, err := ReadMessage(r, buf, DefaultLimits(8))
		require.NoError(t, err, "message %d", i)
		assert.Equal(t, want, got)
		buf = nb
	}
	_, _, err := ReadMessage(r, buf, DefaultLimits(8))
	assert.Equal(t, io.EOF, err, "clean end of stream is bare io.EOF")
}

func TestReadMessageReusesBuffer(t *testing.T) {
	m := Message{Type: Have, Index: 1}
	stream := AppendMessage(AppendMessage(nil, &m), &m)
	buf := make([]byte, 0, 128)
	r := bytes.NewReader(stream)
	_, nb, err := ReadMessage(r, buf, Limits{})
	require.NoError(t, err)
	assert.Same(t, &buf[:1][0], &nb[:1][0], "small message read into the given buffer")
	allocs := testing.AllocsPerRun(50, func() {
		r.Reset(stream)
		_, _, _ = ReadMessage(r, buf, Limits{})
	})
	assert.Zero(t, allocs)
}

func TestReadMessageKeepAlive(t *testing.T) {
	m, buf, err := ReadMessage(bytes.NewReader([]byte{0, 0, 0, 0}), nil, Limits{})
	require.NoError(t, err)
	assert.True(t, m.KeepAlive)
	assert.Empty(t, buf)
}

func TestReadMessageLimit(t *testing.T) {
	lim := Limits{MaxMessage: 100}
	at := append([]byte{0, 0, 0, 100, byte(Bitfield)}, make([]byte, 99)...)
	_, _, err := ReadMessage(bytes.NewReader(at), nil, lim)
	require.NoError(t, err, "exactly at the limit")

	over := append([]byte{0, 0, 0, 101, byte(Bitfield)}, make([]byte, 100)...)
	_, _, err = ReadMessage(bytes.NewReader(over), nil, lim)
	require.ErrorIs(t, err, ErrTooLong)
}

func TestReadMessageHugePrefixDoesNotAllocate(t *testing.T) {
	huge := []byte{0xff, 0xff, 0xff, 0xff, byte(Piece)}
	r := bytes.NewReader(huge)
	buf := make([]byte, 0, 16)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range 100 {
		r.Reset(huge)
		_, nb, err := ReadMessage(r, buf, DefaultLimits(math.MaxInt32))
		require.ErrorIs(t, err, ErrTooLong)
		require.Equal(t, 16, cap(nb), "buffer not grown")
	}
	runtime.ReadMemStats(&after)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(100<<10), "bytes allocated for 100 rejected prefixes")
}

func TestReadMessageTruncated(t *testing.T) {
	for _, in := range [][]byte{
		{0, 0},                       // inside the prefix
		{0, 0, 0, 5, 4, 0},           // inside the body
		{0, 0, 0, 13, byte(Request)}, // body missing
	} {
		_, _, err := ReadMessage(bytes.NewReader(in), nil, Limits{})
		assert.ErrorIs(t, err, io.ErrUnexpectedEOF, "%x", in)
	}
}

func TestReadMessageReaderError(t *testing.T) {
	boom := errors.New("boom")
	_, _, err := ReadMessage(io.MultiReader(bytes.NewReader([]byte{0, 0, 0, 5}), errReader{boom}), nil, Limits{})
	assert.ErrorIs(t, err, boom)
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func TestReadMessageSkipsUnknown(t *testing.T) {
	stream := []byte{0, 0, 0, 3, 99, 1, 2}
	stream = AppendMessage(stream, &Message{Type: Unchoke})
	r := bytes.NewReader(stream)
	m, buf, err := ReadMessage(r, nil, Limits{})
	require.ErrorIs(t, err, ErrUnknownMessage)
	assert.Equal(t, MsgType(99), m.Type)
	m, _, err = ReadMessage(r, buf, Limits{})
	require.NoError(t, err, "stream still in sync")
	assert.Equal(t, Unchoke, m.Type)
}

func TestReadMessageMalformedStaysInSync(t *testing.T) {
	stream := []byte{0, 0, 0, 2, byte(Have), 1}
	stream = AppendMessage(stream, &Message{Type: Choke})
	r := bytes.NewReader(stream)
	_, buf, err := ReadMessage(r, nil, Limits{})
	require.ErrorIs(t, err, ErrMalformed)
	m, _, err := ReadMessage(r, buf, Limits{})
	require.NoError(t, err)
	assert.Equal(t, Choke, m.Type)
}
