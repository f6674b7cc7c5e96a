package v2hashes

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid/core/merkle"
	"github.com/braid-bt/braid/core/wire"
)

// pieceBlocks hashes the real 16 KiB blocks of each of n pieces of data
// from piece first, pieces of pieceLength bytes.
func pieceBlocks(data []byte, pieceLength int64, first, n int64) [][]merkle.Hash {
	out := make([][]merkle.Hash, 0, n)
	for p := first; p < first+n; p++ {
		var hs []merkle.Hash
		end := min(int64(len(data)), (p+1)*pieceLength)
		for off := p * pieceLength; off < end; off += merkle.BlockSize {
			hs = append(hs, merkle.BlockHash(data[off:min(off+merkle.BlockSize, end)]))
		}
		out = append(out, hs)
	}
	return out
}

// blockSeeder answers req as Braid does for a torrent known from its
// piece layer: from the piece layer alone, or from the block hashes of
// the pieces BlockPieces names, hashed from data.
func blockSeeder(t testing.TB, r *Responder, data []byte, pieceLength int64, req *wire.HashMsg) (wire.HashMsg, error) {
	first, n, below, err := r.BlockPieces(req)
	if err != nil || !below {
		return r.Answer(req)
	}
	return r.AnswerBlocks(req, pieceBlocks(data, pieceLength, first, n))
}

// Requests below a known piece layer (the block hashes libtorrent asks
// for after a piece fails, and others) are answered from the pieces'
// block hashes exactly as a seeder knowing the whole tree answers them,
// and each answer proves out against the piece layer.
func TestAnswerBlocksMatchesWholeTree(t *testing.T) {
	const pieceLength = 64 << 10 // 4 blocks, piece layer 2
	data := content("blocks", 1000*merkle.BlockSize-123)
	full := fullTree(t, data)
	layer, err := full.PieceLayer(pieceLength)
	require.NoError(t, err)
	fromLayer, err := merkle.NewTreeAt(layer, 2, full.Height())
	require.NoError(t, err)
	seeder := NewResponder(fromLayer)
	whole := NewResponder(full)
	root := full.Root()
	height := full.Height()

	var reqs []wire.HashMsg
	for _, p := range []int64{0, 1, 100, 249} {
		req, ok, err := BlockRequest(root, int64(len(data)), pieceLength, p)
		require.NoError(t, err)
		require.True(t, ok)
		reqs = append(reqs, req)
		// libtorrent's form: proof layers up from the piece layer too.
		lt := req
		lt.ProofLayers = 2*2 - 1
		reqs = append(reqs, lt)
	}
	reqs = append(reqs,
		wire.HashMsg{Type: wire.HashRequest, Root: root, BaseLayer: 0, Index: 16, Length: 16, ProofLayers: 6},  // four pieces
		wire.HashMsg{Type: wire.HashRequest, Root: root, BaseLayer: 1, Index: 6, Length: 2, ProofLayers: 3},    // inside a piece, layer 1
		wire.HashMsg{Type: wire.HashRequest, Root: root, BaseLayer: 0, Index: 1, Length: 1, ProofLayers: 0},    // one block, its sibling
		wire.HashMsg{Type: wire.HashRequest, Root: root, BaseLayer: 0, Index: 1016, Length: 8, ProofLayers: 4}, // past the file's end
		wire.HashMsg{Type: wire.HashRequest, Root: root, BaseLayer: 0, Index: 0, Length: 1024, ProofLayers: 9}, // every piece
	)
	for _, req := range reqs {
		req = roundTrip(t, req)
		want, err := whole.Answer(&req)
		require.NoError(t, err, "%+v", req)
		got, err := blockSeeder(t, seeder, data, pieceLength, &req)
		require.NoError(t, err, "%+v", req)
		require.Equal(t, want, got, "%+v", req)
		if req.BaseLayer == 0 && req.Length == 4 {
			hashes, err := Verify(fromLayer, &got)
			require.NoError(t, err)
			require.Equal(t, pieceBlocks(data, pieceLength, int64(req.Index/4), 1)[0], hashes[:len(pieceBlocks(data, pieceLength, int64(req.Index/4), 1)[0])])
		}
		top, l, i, err := Request(&got).ProofTop(height, decode(got.Hashes))
		require.NoError(t, err)
		node, err := full.Node(l, i)
		require.NoError(t, err)
		require.Equal(t, node, top, "%+v", req)
	}
}

func decode(b []byte) []merkle.Hash {
	out := make([]merkle.Hash, len(b)/merkle.HashSize)
	for i := range out {
		copy(out[i][:], b[i*merkle.HashSize:])
	}
	return out
}

// A file of at most one piece is known by its root alone: its block
// hashes are the whole tree below it.
func TestAnswerBlocksOfSmallFile(t *testing.T) {
	const pieceLength = 256 << 10
	data := content("small", 3*merkle.BlockSize+5) // 4 blocks, height 2
	full := fullTree(t, data)
	seeder := NewResponder(rootTree(t, full))
	req, ok, err := BlockRequest(full.Root(), int64(len(data)), pieceLength, 0)
	require.NoError(t, err)
	require.True(t, ok)
	first, n, below, err := seeder.BlockPieces(&req)
	require.NoError(t, err)
	require.True(t, below)
	require.Equal(t, [2]int64{0, 1}, [2]int64{first, n})
	got, err := seeder.AnswerBlocks(&req, pieceBlocks(data, pieceLength, 0, 1))
	require.NoError(t, err)
	want, err := NewResponder(full).Answer(&req)
	require.NoError(t, err)
	require.Equal(t, want, got)
	hashes, err := Verify(rootTree(t, full), &got)
	require.NoError(t, err)
	require.Equal(t, full.Layer(0), hashes)
}

// Block hashes that do not hash to the known piece hash (data changed
// on disk) or of the wrong pieces are never served: the answer is the
// hash reject.
func TestAnswerBlocksRejectsStaleData(t *testing.T) {
	const pieceLength = 64 << 10
	data := content("stale", 40*merkle.BlockSize)
	full := fullTree(t, data)
	layer, err := full.PieceLayer(pieceLength)
	require.NoError(t, err)
	fromLayer, err := merkle.NewTreeAt(layer, 2, full.Height())
	require.NoError(t, err)
	seeder := NewResponder(fromLayer)
	req, _, err := BlockRequest(full.Root(), int64(len(data)), pieceLength, 3)
	require.NoError(t, err)
	blocks := pieceBlocks(data, pieceLength, 3, 1)
	blocks[0][2][0] ^= 1
	reply, err := seeder.AnswerBlocks(&req, blocks)
	require.ErrorIs(t, err, ErrRejected)
	require.Equal(t, wire.HashReject, reply.Type)
	require.True(t, Same(&reply, &req))

	_, err = seeder.AnswerBlocks(&req, pieceBlocks(data, pieceLength, 3, 2))
	require.ErrorIs(t, err, ErrRejected, "two pieces given for one")
	_, err = seeder.AnswerBlocks(&req, pieceBlocks(data, pieceLength, 4, 1))
	require.ErrorIs(t, err, ErrRejected, "another piece's blocks")
	_, err = seeder.AnswerBlocks(&req, [][]merkle.Hash{nil})
	require.ErrorIs(t, err, ErrRejected, "no blocks")

	// A request the piece layer answers needs no blocks.
	reqs, err := PieceLayerRequests(full.Root(), int64(len(data)), pieceLength)
	require.NoError(t, err)
	_, n, below, err := seeder.BlockPieces(&reqs[0])
	require.NoError(t, err)
	require.False(t, below)
	require.Zero(t, n)
	unknown := req
	unknown.Root = [32]byte{9}
	_, _, _, err = seeder.BlockPieces(&unknown)
	require.ErrorIs(t, err, ErrRejected)
}

// FuzzAnswerBlocks: any request a peer sends is answered from block
// hashes exactly as the whole tree answers it, or rejected by both; it
// never panics and never names more pieces than its range covers.
func FuzzAnswerBlocks(f *testing.F) {
	f.Add(uint32(0), uint32(0), uint32(4), uint32(1))
	f.Add(uint32(0), uint32(16), uint32(16), uint32(6))
	f.Add(uint32(1), uint32(6), uint32(2), uint32(3))
	f.Add(uint32(0), uint32(60), uint32(4), uint32(3))
	f.Add(uint32(2), uint32(0), uint32(16), uint32(1))
	const pieceLength = 64 << 10
	data := content("fuzz", 50*merkle.BlockSize-7)
	full := fullTree(f, data)
	layer, err := full.PieceLayer(pieceLength)
	require.NoError(f, err)
	fromLayer, err := merkle.NewTreeAt(layer, 2, full.Height())
	require.NoError(f, err)
	seeder := NewResponder(fromLayer)
	whole := NewResponder(full)
	f.Fuzz(func(t *testing.T, base, index, length, proof uint32) {
		req := wire.HashMsg{Type: wire.HashRequest, Root: full.Root(), BaseLayer: base, Index: index, Length: length, ProofLayers: proof}
		want, wantErr := whole.Answer(&req)
		first, n, below, err := seeder.BlockPieces(&req)
		if err != nil {
			require.Error(t, wantErr)
			return
		}
		if below {
			require.LessOrEqual(t, n, int64(length))
			require.True(t, n == 0 || first+n <= int64(len(layer)))
		}
		got, err := blockSeeder(t, seeder, data, pieceLength, &req)
		if wantErr != nil {
			require.Error(t, err)
			return
		}
		require.NoError(t, err)
		require.Equal(t, want, got)
	})
}
