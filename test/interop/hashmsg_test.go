package interop

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid/core/merkle"
	"github.com/braid-bt/braid/core/v2hashes"
	"github.com/braid-bt/braid/core/wire"
)

// hashMsgConn is a bare peer-wire connection to a v2 swarm, for checking the
// BEP 52 hash messages byte for byte against another client.
type hashMsgConn struct {
	t    *testing.T
	conn net.Conn
	buf  []byte
}

// dialHashMsgPeer connects to addr and handshakes on the v2 swarm (the truncated
// v2 info hash, BEP 52's reserved bit), announcing no pieces.
func dialHashMsgPeer(t *testing.T, addr string, infoHash [20]byte) *hashMsgConn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	require.NoError(t, conn.SetDeadline(time.Now().Add(60*time.Second)))
	h := wire.Handshake{InfoHash: infoHash}
	copy(h.PeerID[:], "-BR0000-hashmsgtest0")
	h.SetFast()
	h.Reserved[7] |= 0x10 // BEP 52: v2 capable
	_, err = conn.Write(h.Append(nil))
	require.NoError(t, err)
	got, err := wire.ReadHandshake(conn)
	require.NoError(t, err, "libtorrent's handshake")
	require.Equal(t, infoHash, got.InfoHash)
	_, err = conn.Write(wire.AppendMessage(nil, &wire.Message{Type: wire.HaveNone}))
	require.NoError(t, err)
	return &hashMsgConn{t: t, conn: conn}
}

// ask sends a hash request and returns the hashes or hash reject message
// that answers it, skipping the peer's other messages.
func (c *hashMsgConn) ask(req wire.HashMsg) wire.HashMsg {
	c.t.Helper()
	_, err := c.conn.Write(wire.AppendHashMsg(nil, &req))
	require.NoError(c.t, err)
	for {
		var m wire.Message
		m, c.buf, err = wire.ReadMessage(c.conn, c.buf, wire.DefaultLimits(0))
		if err != nil && !errors.Is(err, wire.ErrUnknownMessage) {
			require.NoError(c.t, err, "reading libtorrent's messages")
		}
		if m.Type != wire.Hashes && m.Type != wire.HashReject {
			continue
		}
		reply, err := wire.ParseHashMsg(m.Type, m.Payload)
		require.NoError(c.t, err, "libtorrent's %s message", m.Type)
		if v2hashes.Same(&req, &reply) {
			return reply
		}
	}
}

// TestHashMessagesWithLibtorrent asks a libtorrent 2.0 seeder of a v2
// torrent for every piece layer with hash requests built by
// core/v2hashes and encoded by core/wire: libtorrent must answer each
// with hashes that Verify proves against the pieces root alone and that
// equal the .torrent's piece layers; a piece's block hashes, proved by its
// piece-layer hash; and a request outside a tree, or for a root of no
// file, must get a hash reject naming it.
func TestHashMessagesWithLibtorrent(t *testing.T) {
	parallel(t)
	c := createdV2Content.get(t)
	braidPath(t)
	requireClient(t, libtorrent)
	work := t.TempDir()
	seedDir := filepath.Join(work, "seed")
	c.copyTo(t, seedDir)
	torrent := filepath.Join(work, "v2.torrent")
	const pieceLength = 32 * kib
	m := braidCreateProtocol(t, "v2", filepath.Join(seedDir, contentName), torrent, pieceLength)
	// --recheck: libtorrent hashes the data, so it knows every block hash.
	port := freePort(t)
	script := filepath.Join(suite.repoRoot, "test", "interop", "peers", "lt_peer.py")
	seeder := startProc(t, "libtorrent-seed", "", systemPython, "-u", script, "seed", torrent, seedDir, "--listen", loopback(port), "--recheck")
	seeder.requireEvent(t, "libtorrent seeding", 60*time.Second, func(e event) bool { return e.Type == "progress" && e.State == "seeding" })
	conn := dialHashMsgPeer(t, loopback(port), m.ShortInfoHashV2())

	layers := 0
	for _, f := range m.Info.FilesV2 {
		want := m.PieceLayers[f.PiecesRoot]
		if want == nil {
			continue
		}
		h := v2hashes.TreeHeight(f.Length)
		known, err := merkle.NewTreeAt([]merkle.Hash{f.PiecesRoot}, h, h)
		require.NoError(t, err)
		reqs, err := v2hashes.PieceLayerRequests(f.PiecesRoot, f.Length, pieceLength)
		require.NoError(t, err)
		var got []merkle.Hash
		for _, req := range reqs {
			reply := conn.ask(req)
			require.Equal(t, wire.Hashes, reply.Type, "libtorrent rejected %+v for %v", req, f.Path)
			hashes, err := v2hashes.Verify(known, &reply)
			require.NoError(t, err, "libtorrent's hashes for %v", f.Path)
			got = append(got, hashes...)
		}
		require.Equal(t, want, got[:len(want)], "piece layer of %v", f.Path)
		layers++
	}
	require.GreaterOrEqual(t, layers, 2, "files spanning pieces")

	// A range past the end of a tree is refused with a reject naming it.
	f := m.Info.FilesV2[len(m.Info.FilesV2)-1] // z.bin, 65 pieces: a layer of 128 slots
	require.NotNil(t, m.PieceLayers[f.PiecesRoot], "%v spans pieces", f.Path)
	bad := wire.HashMsg{Type: wire.HashRequest, Root: f.PiecesRoot, BaseLayer: 1, Index: 1 << 20, Length: 2, ProofLayers: 0}
	reply := conn.ask(bad)
	require.Equal(t, wire.HashReject, reply.Type, "%+v", reply)
	unknown := wire.HashMsg{Type: wire.HashRequest, Root: [32]byte{1}, BaseLayer: 1, Index: 0, Length: 2}
	reply = conn.ask(unknown)
	require.Equal(t, wire.HashReject, reply.Type, "a root of no file")

	// Block hashes of one piece, proved by its piece-layer hash (libtorrent
	// knows them: it hashed the data; in seed mode it would refuse).
	data, err := os.ReadFile(filepath.Join(c.dir(), "z.bin"))
	require.NoError(t, err)
	req, ok, err := v2hashes.BlockRequest(f.PiecesRoot, f.Length, pieceLength, 3)
	require.NoError(t, err)
	require.True(t, ok)
	reply = conn.ask(req)
	require.Equal(t, wire.Hashes, reply.Type, "block hashes of piece 3")
	layer, err := merkle.NewTreeAt(m.PieceLayers[f.PiecesRoot], 1, v2hashes.TreeHeight(f.Length))
	require.NoError(t, err)
	blocks, err := v2hashes.Verify(layer, &reply)
	require.NoError(t, err)
	require.Len(t, blocks, pieceLength/merkle.BlockSize)
	for i, b := range blocks {
		off := 3*pieceLength + i*merkle.BlockSize
		require.Equal(t, merkle.BlockHash(data[off:off+merkle.BlockSize]), b, fmt.Sprintf("block %d", i))
	}
}
