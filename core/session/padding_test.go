package session

import (
	"crypto/sha1"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/core/picker"
	"github.com/braid-bt/braid/core/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Blocks wholly inside BEP 47 padding are never requested: the session
// writes their zeros itself, and the pieces still verify and complete.
func TestPaddingBlocksAreNotRequested(t *testing.T) {
	const kib = 1024
	const pieceLen = 64 * kib // 4 blocks
	// a | pad1 (to the piece boundary) | b | pad2 (to the end).
	sizes := []int64{20 * kib, 44 * kib, 80 * kib, 48 * kib}
	info := &metainfo.Info{Name: "padded", PieceLength: pieceLen, MultiFile: true}
	var data []byte
	rng := rand.New(rand.NewPCG(5, 6))
	for i, n := range sizes {
		f := metainfo.File{Path: []string{string(rune('a' + i))}, Length: n, Offset: int64(len(data)), Padding: i%2 == 1}
		info.Files = append(info.Files, f)
		chunk := make([]byte, n)
		if !f.Padding {
			for k := range chunk {
				chunk[k] = byte(rng.Uint32())
			}
		}
		data = append(data, chunk...)
	}
	info.Length = int64(len(data))
	for off := int64(0); off < info.Length; off += pieceLen {
		info.Pieces = append(info.Pieces, sha1.Sum(data[off:min(off+pieceLen, info.Length)]))
	}
	out := &fakeOut{}
	h := &harness{t: t, s: New(info, nil, Config{Rand: rand.New(rand.NewPCG(3, 4))}, out, t0), out: out, info: info, data: data, now: t0}

	require.Equal(t, int64(100*kib), h.s.Stats(h.now).Left, "padding counted as left to download")
	h.seedPeer(1, false)
	// Piece 0: blocks 2 and 3 lie in pad1 (block 1 straddles a and pad1);
	// piece 2: blocks 1..3 lie in pad2.
	zero := map[picker.Block]bool{
		{Piece: 0, Begin: 32 * kib, Length: 16 * kib}: true, {Piece: 0, Begin: 48 * kib, Length: 16 * kib}: true,
		{Piece: 2, Begin: 16 * kib, Length: 16 * kib}: true, {Piece: 2, Begin: 32 * kib, Length: 16 * kib}: true,
		{Piece: 2, Begin: 48 * kib, Length: 16 * kib}: true,
	}
	reqs := reqBlocks(h.out.sent(1, wire.Request))
	require.Len(t, reqs, 12-len(zero), "requests: %v", reqs)
	for _, b := range reqs {
		assert.False(t, zero[b], "requested %v, which is padding", b)
	}
	written := map[picker.Block]bool{}
	for _, c := range h.out.kinds("write") {
		b := picker.Block{Piece: c.Piece, Begin: c.Begin, Length: c.Length}
		written[b] = true
		assert.Equal(t, make([]byte, c.Length), c.Data, "zero fill %v", b)
	}
	assert.Equal(t, zero, written, "the padding blocks were not written as zeros")

	// The real blocks arrive: every piece is handed to the hasher once,
	// verifies, and the torrent completes.
	h.out.reset()
	for _, b := range reqs {
		h.block(1, b)
	}
	hashed := h.out.kinds("hash")
	require.Len(t, hashed, 3)
	for _, c := range hashed {
		if c.Piece != 2 {
			h.s.PieceHashed(c.Piece, true, nil, h.now)
		}
	}
	// Piece 2 fails once (a bad copy of its real block, say): its
	// padding is filled again, only the real block is asked for again.
	h.out.reset()
	h.hashedBad(2)
	h.advance(time.Second)
	h.s.Tick(h.now)
	again := reqBlocks(h.out.sent(1, wire.Request))
	require.Equal(t, []picker.Block{{Piece: 2, Begin: 0, Length: 16 * kib}}, again)
	assert.Len(t, h.out.kinds("write"), 3, "padding of the failed piece not filled again")
	h.out.reset()
	h.block(1, again[0])
	require.Len(t, h.out.kinds("hash"), 1)
	h.s.PieceHashed(2, true, nil, h.now)
	assert.True(t, h.s.Complete())
	assert.Zero(t, h.s.Stats(h.now).Left)
}
