package v2hashes

import (
	"crypto/sha256"
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid/core/merkle"
	"github.com/braid-bt/braid/core/wire"
)

// content is deterministic file data of n bytes.
func content(seed string, n int) []byte {
	out := make([]byte, 0, n+sha256.Size)
	h := sha256.Sum256([]byte(seed))
	for len(out) < n {
		out = append(out, h[:]...)
		h = sha256.Sum256(h[:])
	}
	return out[:n]
}

// fullTree hashes data's 16 KiB blocks into its whole tree.
func fullTree(t testing.TB, data []byte) *merkle.Tree {
	var blocks []merkle.Hash
	for off := 0; off < len(data); off += merkle.BlockSize {
		blocks = append(blocks, merkle.BlockHash(data[off:min(off+merkle.BlockSize, len(data))]))
	}
	tree, err := merkle.NewTree(blocks)
	require.NoError(t, err)
	return tree
}

func rootTree(t testing.TB, full *merkle.Tree) *merkle.Tree {
	tr, err := merkle.NewTreeAt([]merkle.Hash{full.Root()}, full.Height(), full.Height())
	require.NoError(t, err)
	return tr
}

// roundTrip sends m through the wire codec as a peer would.
func roundTrip(t testing.TB, m wire.HashMsg) wire.HashMsg {
	enc := wire.AppendHashMsg(nil, &m)
	require.Equal(t, uint32(len(enc)-4), binary.BigEndian.Uint32(enc))
	got, err := wire.ParseHashMsg(wire.MsgType(enc[4]), enc[5:])
	require.NoError(t, err)
	return got
}

// A file of 1000 blocks at 64 KiB pieces (250 pieces): the whole piece
// layer is fetched with proofs to the root alone, from a seeder that knows
// the whole tree and from one that knows only the .torrent's piece layer;
// then a piece's block hashes are fetched and proved by its piece hash.
func TestFetchPieceLayerAndBlocks(t *testing.T) {
	const pieceLength = 64 << 10
	data := content("file", 1000*merkle.BlockSize-123)
	full := fullTree(t, data)
	layer, err := full.PieceLayer(pieceLength)
	require.NoError(t, err)
	require.Len(t, layer, 250)
	fromLayer, err := merkle.NewTreeAt(layer, 2, full.Height())
	require.NoError(t, err)

	for name, seeder := range map[string]*Responder{
		"whole tree":  NewResponder(full),
		"piece layer": NewResponder(fromLayer),
	} {
		t.Run(name, func(t *testing.T) {
			reqs, err := PieceLayerRequests(full.Root(), int64(len(data)), pieceLength)
			require.NoError(t, err)
			require.Len(t, reqs, 1)
			assert.Equal(t, uint32(256), reqs[0].Length, "padded to a power of two")
			known := rootTree(t, full)
			var got []merkle.Hash
			for _, req := range reqs {
				req = roundTrip(t, req)
				reply, err := seeder.Answer(&req)
				require.NoError(t, err)
				reply = roundTrip(t, reply)
				require.True(t, Same(&req, &reply))
				hashes, err := Verify(known, &reply)
				require.NoError(t, err)
				got = append(got, hashes...)
			}
			assert.Equal(t, layer, got[:len(layer)])
			for _, h := range got[len(layer):] {
				assert.Equal(t, merkle.PadHash(2), h, "beyond the last piece: padding")
			}

			// Now trusting the piece layer, fetch piece 7's block hashes.
			trusted, err := merkle.NewTreeAt(got[:len(layer)], 2, full.Height())
			require.NoError(t, err)
			req, ok, err := BlockRequest(full.Root(), int64(len(data)), pieceLength, 7)
			require.NoError(t, err)
			require.True(t, ok)
			reply, err := seeder.Answer(&req)
			if name == "piece layer" {
				require.ErrorIs(t, err, ErrRejected, "block hashes are below what it knows")
				assert.Equal(t, wire.HashReject, reply.Type)
				assert.True(t, Same(&req, &reply))
				return
			}
			require.NoError(t, err)
			blocks, err := Verify(trusted, &reply)
			require.NoError(t, err)
			require.Len(t, blocks, 4)
			for i, b := range blocks {
				off := (7*4 + i) * merkle.BlockSize
				assert.Equal(t, merkle.BlockHash(data[off:off+merkle.BlockSize]), b)
			}
		})
	}
}

// Piece layers longer than one request come in chunks of 512, the last
// one shorter, each proved alone.
func TestPieceLayerChunks(t *testing.T) {
	const pieceLength = merkle.BlockSize
	data := content("long", 1300*merkle.BlockSize+5) // 1301 pieces of one block
	full := fullTree(t, data)
	reqs, err := PieceLayerRequests(full.Root(), int64(len(data)), pieceLength)
	require.NoError(t, err)
	var lengths []uint32
	for _, r := range reqs {
		lengths = append(lengths, r.Length)
	}
	assert.Equal(t, []uint32{512, 512, 512}, lengths, "the last chunk of 277 pads to 512")
	seeder := NewResponder(full)
	known := rootTree(t, full)
	var got []merkle.Hash
	for _, req := range reqs {
		reply, err := seeder.Answer(&req)
		require.NoError(t, err)
		hashes, err := Verify(known, &reply)
		require.NoError(t, err)
		got = append(got, hashes...)
	}
	assert.Equal(t, full.Layer(0), got[:1301])

	// 513 pieces: the lone last hash is a single-hash request, as
	// libtorrent sends it, with ProofLayers+1 uncles.
	data = content("odd", 513*merkle.BlockSize)
	full = fullTree(t, data)
	reqs, err = PieceLayerRequests(full.Root(), int64(len(data)), pieceLength)
	require.NoError(t, err)
	require.Len(t, reqs, 2)
	assert.Equal(t, uint32(1), reqs[1].Length)
	reply, err := NewResponder(full).Answer(&reqs[1])
	require.NoError(t, err)
	assert.Equal(t, 1+full.Height(), reply.NumHashes())
	hashes, err := Verify(rootTree(t, full), &reply)
	require.NoError(t, err)
	assert.Equal(t, full.Layer(0)[512:], hashes)
}

// Small files: one block, exactly one piece, and a piece's blocks of a
// file of at most one piece proved by the root.
func TestSmallFiles(t *testing.T) {
	const pieceLength = 64 << 10
	one := content("one", 100)
	reqs, err := PieceLayerRequests(merkle.Hash{}, int64(len(one)), pieceLength)
	require.NoError(t, err)
	assert.Nil(t, reqs, "no piece layer")
	_, ok, err := BlockRequest(merkle.Hash{}, int64(len(one)), pieceLength, 0)
	require.NoError(t, err)
	assert.False(t, ok, "a one-block file is its own proof")

	piece := content("piece", pieceLength)
	full := fullTree(t, piece)
	req, ok, err := BlockRequest(full.Root(), pieceLength, pieceLength, 0)
	require.NoError(t, err)
	require.True(t, ok)
	reply, err := NewResponder(full).Answer(&req)
	require.NoError(t, err)
	blocks, err := Verify(rootTree(t, full), &reply)
	require.NoError(t, err)
	assert.Equal(t, full.Layer(0), blocks)
	_, _, err = BlockRequest(full.Root(), pieceLength, pieceLength, 1)
	assert.ErrorIs(t, err, merkle.ErrInvalid)
}

func TestAnswerRejects(t *testing.T) {
	data := content("r", 40*merkle.BlockSize) // height 6
	full := fullTree(t, data)
	seeder := NewResponder(full)
	ok := wire.HashMsg{Type: wire.HashRequest, Root: full.Root(), BaseLayer: 0, Index: 8, Length: 8, ProofLayers: 5}
	_, err := seeder.Answer(&ok)
	require.NoError(t, err)
	for name, mod := range map[string]func(m *wire.HashMsg){
		"unknown root":        func(m *wire.HashMsg) { m.Root[0] ^= 1 },
		"index past layer":    func(m *wire.HashMsg) { m.Index = 64 },
		"unaligned index":     func(m *wire.HashMsg) { m.Index = 4 },
		"wider than layer":    func(m *wire.HashMsg) { m.BaseLayer, m.Index, m.Length, m.ProofLayers = 4, 0, 8, 0 },
		"proof past the root": func(m *wire.HashMsg) { m.ProofLayers = 6 },
		"base at root":        func(m *wire.HashMsg) { m.BaseLayer, m.Index, m.Length, m.ProofLayers = 6, 0, 1, 0 },
		"not a request":       func(m *wire.HashMsg) { m.Type = wire.Hashes },
	} {
		req := ok
		mod(&req)
		reply, err := seeder.Answer(&req)
		require.ErrorIs(t, err, ErrRejected, name)
		assert.Equal(t, wire.HashReject, reply.Type, name)
		assert.True(t, Same(&req, &reply), name)
		assert.Nil(t, reply.Hashes, name)
	}
}

// A liar's hashes never verify: every flipped bit, a wrong root, a
// proof that stops below what is known, and a reply of the wrong size.
func TestVerifyRejectsLies(t *testing.T) {
	data := content("lie", 100*merkle.BlockSize)
	full := fullTree(t, data)
	known := rootTree(t, full)
	req := wire.HashMsg{Type: wire.HashRequest, Root: full.Root(), BaseLayer: 0, Index: 32, Length: 16, ProofLayers: 6}
	reply, err := NewResponder(full).Answer(&req)
	require.NoError(t, err)
	_, err = Verify(known, &reply)
	require.NoError(t, err)
	for i := range reply.NumHashes() {
		bad := reply
		bad.Hashes = append([]byte(nil), reply.Hashes...)
		bad.Hashes[i*merkle.HashSize+3] ^= 0x10
		_, err := Verify(known, &bad)
		require.ErrorIs(t, err, ErrBadHashes, "hash %d flipped", i)
	}
	other := reply
	other.Root[5] ^= 1
	_, err = Verify(known, &other)
	assert.ErrorIs(t, err, ErrBadHashes, "another file's root")

	short := req
	short.ProofLayers = 2 // stops at layer 5, below the root-only tree
	sreply, err := NewResponder(full).Answer(&short)
	require.NoError(t, err)
	_, err = Verify(known, &sreply)
	assert.ErrorIs(t, err, ErrBadHashes)
	_, err = Verify(full, &sreply)
	assert.NoError(t, err, "the whole tree knows the node it stops at")

	cut := reply
	cut.Hashes = reply.Hashes[:len(reply.Hashes)-merkle.HashSize]
	_, err = Verify(known, &cut)
	assert.ErrorIs(t, err, ErrBadHashes)
	cut.Hashes = reply.Hashes[:len(reply.Hashes)-1]
	_, err = Verify(known, &cut)
	assert.ErrorIs(t, err, ErrBadHashes)
	_, err = Verify(known, &req)
	assert.ErrorIs(t, err, ErrBadHashes, "a request is not an answer")
	_, err = Verify(nil, &reply)
	assert.ErrorIs(t, err, ErrBadHashes)
}

func TestResponderKeepsTheFullerTree(t *testing.T) {
	full := fullTree(t, content("k", 64*merkle.BlockSize))
	top := rootTree(t, full)
	r := NewResponder(top)
	got, _ := r.Tree(full.Root())
	assert.Same(t, top, got)
	r.Add(full)
	got, _ = r.Tree(full.Root())
	assert.Same(t, full, got)
	r.Add(top)
	got, _ = r.Tree(full.Root())
	assert.Same(t, full, got, "a part does not replace the whole")
}

func FuzzAnswerVerify(f *testing.F) {
	f.Add(uint16(40), uint8(0), uint32(8), uint8(3), uint8(5), uint16(0))
	f.Add(uint16(513), uint8(0), uint32(512), uint8(0), uint8(9), uint16(7)) // 513 % 600 blocks: a lone last leaf
	f.Add(uint16(1), uint8(0), uint32(0), uint8(0), uint8(0), uint16(1))
	f.Add(uint16(1000), uint8(2), uint32(64), uint8(6), uint8(7), uint16(300))
	f.Fuzz(func(t *testing.T, blocks uint16, base uint8, index uint32, lengthLog, proof uint8, flip uint16) {
		n := int(blocks)%600 + 1
		full := fullTree(t, content("fuzz", n*merkle.BlockSize))
		req := wire.HashMsg{Type: wire.HashRequest, Root: full.Root(), BaseLayer: uint32(base % 64),
			Index: index, Length: uint32(1) << (lengthLog % 14), ProofLayers: uint32(proof % 64)}
		reply, err := NewResponder(full).Answer(&req)
		if err != nil {
			require.ErrorIs(t, err, ErrRejected)
			require.Equal(t, wire.HashReject, reply.Type)
			return
		}
		reply = roundTrip(t, reply)
		hashes, err := Verify(full, &reply)
		require.NoError(t, err, "an honest answer verifies against the whole tree")
		require.Len(t, hashes, int(req.Length))
		bad := reply
		bad.Hashes = append([]byte(nil), reply.Hashes...)
		i := int(flip) % len(bad.Hashes)
		bad.Hashes[i] ^= 0x80
		_, err = Verify(full, &bad)
		require.ErrorIs(t, err, ErrBadHashes, "flipped byte %d", i)
	})
}
