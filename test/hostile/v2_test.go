package hostile

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid"
	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/core/wire"
	"github.com/braid-bt/braid/internal/testfixtures"
)

// makeV2Content is makeContent for a BitTorrent v2-only torrent: its
// pieces verify by SHA-256 Merkle hashes and its swarm is the truncated
// v2 info hash.
func makeV2Content(t testing.TB, name string, size int, pieceLen int64, seed uint64) *content {
	t.Helper()
	data := make([]byte, size)
	var key [32]byte
	key[0], key[1], key[2] = byte(seed), byte(seed>>8), 2
	_, _ = rand.NewChaCha8(key).Read(data)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o644))
	tb, err := testfixtures.V2Torrent(name, pieceLen, false, testfixtures.V2File{Path: []string{name}, Data: data})
	require.NoError(t, err)
	mi, err := metainfo.Parse(tb)
	require.NoError(t, err)
	require.False(t, mi.Info.HasV1())
	return &content{name: name, data: data, torrent: tb, ih: braid.InfoHash(mi.ShortInfoHashV2()), info: mi.Info, seedDir: dir}
}

// A v2 peer that sends one corrupt 16 KiB block in every piece it serves
// (the rest of each piece correct) fails the pieces' Merkle check, is
// banned as a v1 liar is, and the honest seeder's download completes
// byte for byte without a single further failure.
func TestV2CorruptBlockIsBanned(t *testing.T) {
	c := makeV2Content(t, "victim-v2.bin", 2<<20, 64<<10, 7)
	ih := [20]byte(c.ih)
	n := c.info.NumPieces()
	s := newScenario(t, c)
	h := connectHostile(t, s.addr(), ih, true, true)
	require.NoError(t, h.send(&wire.Message{Type: wire.Bitfield, Bitfield: fullBitfield(n)}, &wire.Message{Type: wire.Unchoke}))
	var corrupted atomic.Int64 // pieces the liar sent a corrupt block of
	go func() {
		for {
			m, ok := h.next(30*time.Second, isType(wire.Request))
			if !ok {
				return
			}
			off := c.info.PieceOffset(int(m.Index)) + int64(m.Begin)
			blk := append([]byte(nil), c.data[off:off+int64(m.Length)]...)
			if m.Begin == wire.BlockSize { // the second block of every piece
				blk[100] ^= 0xff
				corrupted.Add(1)
			}
			if h.send(&wire.Message{Type: wire.Piece, Index: m.Index, Begin: m.Begin, Block: blk}) != nil {
				return
			}
		}
	}()
	took := h.requireClosed(20*time.Second, "v2 peer sending a corrupt block in every piece")
	fails := stat[int](t, s.victim, c.ih, "hash_fails")
	t.Logf("banned after %v: %d hash failures", took.Round(time.Millisecond), fails)
	require.GreaterOrEqual(t, fails, 1)
	require.Zero(t, stat[braid.Pieces](t, s.victim, c.ih, "pieces").Have, "no corrupt piece may verify")

	again := newHostile(t, dialHostile(t, s.addr()))
	require.NoError(t, again.sendHandshake(ih, true, true))
	_ = again.readHandshake(dropWithin)
	again.requireClosed(dropWithin, "reconnect from a banned address")

	s.honestCompletes()
	// Pieces of the liar's still being hashed when it was banned may fail
	// after; the honest seeder's data never does.
	require.LessOrEqual(t, int64(stat[int](t, s.victim, c.ih, "hash_fails")), corrupted.Load(), "the honest seeder's data never fails")
}
