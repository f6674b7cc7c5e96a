package wire

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/anacrolix/torrent/bencode"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMetadataMsgRoundTrip(t *testing.T) {
	full := bytes.Repeat([]byte{0xab}, MetadataPieceSize)
	tests := map[string]struct {
		m   MetadataMsg
		enc string
	}{
		"request":    {MetadataMsg{Type: MetadataRequest, Piece: 0}, "d8:msg_typei0e5:piecei0ee"},
		"reject":     {MetadataMsg{Type: MetadataReject, Piece: 7}, "d8:msg_typei2e5:piecei7ee"},
		"data full":  {MetadataMsg{Type: MetadataData, Piece: 0, TotalSize: 20000, Data: full}, "d8:msg_typei1e5:piecei0e10:total_sizei20000ee" + string(full)},
		"data last":  {MetadataMsg{Type: MetadataData, Piece: 1, TotalSize: 20000, Data: full[:20000-MetadataPieceSize]}, "d8:msg_typei1e5:piecei1e10:total_sizei20000ee" + string(full[:3616])},
		"data tiny":  {MetadataMsg{Type: MetadataData, Piece: 0, TotalSize: 1, Data: []byte("d")}, "d8:msg_typei1e5:piecei0e10:total_sizei1eed"},
		"last piece": {MetadataMsg{Type: MetadataRequest, Piece: maxMetadataPieces - 1}, "d8:msg_typei0e5:piecei4095ee"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			enc := AppendMetadataMsg([]byte("prefix"), tc.m)
			require.Equal(t, "prefix"+tc.enc, string(enc))
			got, err := ParseMetadataMsg(enc[len("prefix"):])
			require.NoError(t, err)
			assert.Equal(t, tc.m, got)
		})
	}
}

func TestParseMetadataMsgLenient(t *testing.T) {
	data := bytes.Repeat([]byte{'x'}, 100)
	// Unsorted keys, an unknown key, total_size on a request.
	m, err := ParseMetadataMsg(append([]byte("d5:piecei0e8:msg_typei1e10:total_sizei100e3:fooli1eee"), data...))
	require.NoError(t, err)
	assert.Equal(t, MetadataMsg{Type: MetadataData, Piece: 0, TotalSize: 100, Data: data}, m)

	m, err = ParseMetadataMsg([]byte("d8:msg_typei0e5:piecei3e10:total_sizei5ee"))
	require.NoError(t, err)
	assert.Equal(t, MetadataMsg{Type: MetadataRequest, Piece: 3}, m)
}

func TestParseMetadataMsgAliases(t *testing.T) {
	payload := AppendMetadataMsg(nil, MetadataMsg{Type: MetadataData, TotalSize: 3, Data: []byte("abc")})
	m, err := ParseMetadataMsg(payload)
	require.NoError(t, err)
	payload[len(payload)-1] = 'z'
	assert.Equal(t, "abz", string(m.Data))
}

func TestParseMetadataMsgUnknownType(t *testing.T) {
	m, err := ParseMetadataMsg([]byte("d8:msg_typei3e3:new4:dataee0123"))
	require.ErrorIs(t, err, ErrUnknownMessage)
	assert.Equal(t, MetadataMsgType(3), m.Type)
	assert.Equal(t, "unknown(3)", m.Type.String())
}

func TestParseMetadataMsgErrors(t *testing.T) {
	dataMsg := func(piece, total, n int) string {
		return "d8:msg_typei1e5:piecei" + strconv.Itoa(piece) + "e10:total_sizei" + strconv.Itoa(total) + "ee" + strings.Repeat("x", n)
	}
	tests := map[string]struct {
		payload string
		want    error
	}{
		"empty":                {"", ErrMalformed},
		"not a dict":           {"li1ee", ErrMalformed},
		"bad bencode":          {"d8:msg_typei0e5:piecei0e", ErrMalformed},
		"no msg_type":          {"d5:piecei0ee", ErrMalformed},
		"msg_type string":      {"d8:msg_type1:05:piecei0ee", ErrMalformed},
		"msg_type negative":    {"d8:msg_typei-1e5:piecei0ee", ErrMalformed},
		"msg_type huge":        {"d8:msg_typei256e5:piecei0ee", ErrMalformed},
		"msg_type overflow":    {"d8:msg_typei99999999999999999999e5:piecei0ee", ErrMalformed},
		"no piece":             {"d8:msg_typei0ee", ErrMalformed},
		"piece negative":       {"d8:msg_typei0e5:piecei-1ee", ErrMalformed},
		"piece beyond max":     {"d8:msg_typei2e5:piecei4096ee", ErrMalformed},
		"request trailing":     {"d8:msg_typei0e5:piecei0eex", ErrMalformed},
		"reject trailing":      {"d8:msg_typei2e5:piecei0eexyz", ErrMalformed},
		"data no total":        {"d8:msg_typei1e5:piecei0eexyz", ErrMalformed},
		"data zero total":      {dataMsg(0, 0, 0), ErrMalformed},
		"data negative total":  {dataMsg(0, -5, 0), ErrMalformed},
		"data total too large": {dataMsg(0, MaxMetadataSize+1, 16384), ErrMalformed},
		"data piece past end":  {dataMsg(2, 20000, 100), ErrMalformed},
		"data short":           {dataMsg(0, 20000, 16383), ErrMalformed},
		"data short last":      {dataMsg(1, 20000, 3615), ErrMalformed},
		"data long last":       {dataMsg(1, 20000, 3617), ErrMalformed},
		"data empty":           {dataMsg(0, 20000, 0), ErrMalformed},
		"data over a piece":    {dataMsg(0, 40000, MetadataPieceSize+1), ErrTooLong},
		"payload too long":     {dataMsg(0, 40000, MetadataPieceSize+maxMetadataHeader), ErrTooLong},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			m, err := ParseMetadataMsg([]byte(tc.payload))
			require.ErrorIs(t, err, tc.want)
			assert.Equal(t, MetadataMsg{}, m)
		})
	}
}

func TestMetadataPieceLen(t *testing.T) {
	tests := []struct {
		total, piece, want int
		ok                 bool
	}{
		{1, 0, 1, true},
		{MetadataPieceSize, 0, MetadataPieceSize, true},
		{MetadataPieceSize, 1, 0, false},
		{MetadataPieceSize + 1, 1, 1, true},
		{MetadataPieceSize + 1, -1, 0, false},
		{0, 0, 0, false},
		{-1, 0, 0, false},
	}
	for _, tc := range tests {
		n, ok := MetadataPieceLen(tc.total, tc.piece)
		assert.Equal(t, tc.ok, ok, "%+v", tc)
		assert.Equal(t, tc.want, n, "%+v", tc)
	}
}

func FuzzParseMetadataMsg(f *testing.F) {
	for _, m := range sampleMetadataMsgs() {
		f.Add(AppendMetadataMsg(nil, m))
	}
	f.Add([]byte("d8:msg_typei3ee"))
	f.Fuzz(func(t *testing.T, payload []byte) {
		m, err := ParseMetadataMsg(payload)
		if errors.Is(err, ErrUnknownMessage) {
			if m.Type <= MetadataReject {
				t.Fatalf("known type %v reported unknown", m.Type)
			}
			return
		}
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLong) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if len(m.Data) > MetadataPieceSize || m.Piece < 0 || m.Piece >= maxMetadataPieces {
			t.Fatalf("out of bounds: piece %d, %d bytes", m.Piece, len(m.Data))
		}
		enc := AppendMetadataMsg(nil, m)
		var generic map[string]interface{}
		if err := bencode.Unmarshal(enc, &generic); err != nil && !errors.As(err, new(bencode.ErrUnusedTrailingBytes)) {
			t.Fatalf("AppendMetadataMsg gave invalid bencode %q: %v", enc, err)
		}
		m2, err := ParseMetadataMsg(enc)
		if err != nil {
			t.Fatalf("re-parse of %q: %v", enc, err)
		}
		if m.Type != m2.Type || m.Piece != m2.Piece || m.TotalSize != m2.TotalSize || !bytes.Equal(m.Data, m2.Data) {
			t.Fatalf("re-parse %+v, want %+v", m2, m)
		}
	})
}

func sampleMetadataMsgs() map[string]MetadataMsg {
	return map[string]MetadataMsg{
		"request":   {Type: MetadataRequest, Piece: 1},
		"reject":    {Type: MetadataReject, Piece: 0},
		"data":      {Type: MetadataData, Piece: 0, TotalSize: 10, Data: []byte("d4:name1:xe")[:10]},
		"data_last": {Type: MetadataData, Piece: 1, TotalSize: MetadataPieceSize + 3, Data: []byte("abc")},
	}
}
