package interop

import (
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid/core/merkle"
	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/core/v2hashes"
	"github.com/braid-bt/braid/core/wire"
)

// hashServer is a minimal v2 seeder for one connection: it has every
// piece, serves blocks from the content and answers hash requests with a
// core/v2hashes Responder over the files' whole trees.
type hashServer struct {
	m        *metainfo.MetaInfo
	dir      string // holds the torrent's files (dir/name/...)
	resp     *v2hashes.Responder
	answered atomic.Int64 // hashes messages sent
	rejected atomic.Int64 // hash rejects sent
}

func newHashServer(t *testing.T, m *metainfo.MetaInfo, dir string) *hashServer {
	t.Helper()
	s := &hashServer{m: m, dir: dir, resp: v2hashes.NewResponder()}
	for _, f := range m.Info.FilesV2 {
		if f.Length == 0 {
			continue
		}
		data, err := os.ReadFile(s.path(f.Path))
		require.NoError(t, err)
		var blocks []merkle.Hash
		for off := 0; off < len(data); off += merkle.BlockSize {
			blocks = append(blocks, merkle.BlockHash(data[off:min(off+merkle.BlockSize, len(data))]))
		}
		tree, err := merkle.NewTree(blocks)
		require.NoError(t, err)
		require.Equal(t, f.PiecesRoot, tree.Root())
		s.resp.Add(tree)
	}
	return s
}

func (s *hashServer) path(p []string) string {
	if !s.m.Info.MultiFile {
		return filepath.Join(s.dir, s.m.Info.Name)
	}
	return filepath.Join(append([]string{s.dir, s.m.Info.Name}, p...)...)
}

// block reads length bytes at offset off of the torrent's stream (a v2
// piece lies in one file; padding reads as zeros).
func (s *hashServer) block(off int64, length int) ([]byte, error) {
	out := make([]byte, length)
	for _, f := range s.m.Info.Files {
		if f.Padding || off < f.Offset || off >= f.Offset+f.Length {
			continue
		}
		fh, err := os.Open(s.path(f.Path))
		if err != nil {
			return nil, err
		}
		defer fh.Close()
		n, err := fh.ReadAt(out[:min(int64(length), f.Offset+f.Length-off)], off-f.Offset)
		if err != nil && !(errors.Is(err, io.EOF) && n > 0) {
			return nil, err
		}
	}
	return out, nil
}

var errNoHandshake = errors.New("no plaintext handshake")

// serve runs the peer side of one connection until it closes.
func (s *hashServer) serve(conn net.Conn) error {
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(90 * time.Second)); err != nil {
		return err
	}
	h, err := wire.ReadHandshake(conn)
	if err != nil {
		return errNoHandshake // libtorrent tries an encrypted (MSE) connection first
	}
	if h.InfoHash != s.m.ShortInfoHashV2() {
		return errors.New("handshake for another torrent")
	}
	mine := wire.Handshake{InfoHash: h.InfoHash}
	copy(mine.PeerID[:], "-BR0000-hashserver00")
	mine.SetFast()
	mine.Reserved[7] |= 0x10 // BEP 52
	out := mine.Append(nil)
	out = wire.AppendMessage(out, &wire.Message{Type: wire.HaveAll})
	out = wire.AppendMessage(out, &wire.Message{Type: wire.Unchoke})
	if _, err := conn.Write(out); err != nil {
		return err
	}
	var buf []byte
	for {
		var m wire.Message
		m, buf, err = wire.ReadMessage(conn, buf, wire.DefaultLimits(s.m.Info.NumPieces()))
		switch {
		case err == io.EOF, errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET):
			return nil // the leecher hung up
		case err != nil && !errors.Is(err, wire.ErrUnknownMessage):
			return err
		}
		out = out[:0]
		switch m.Type {
		case wire.Request:
			b, err := s.block(int64(m.Index)*s.m.Info.PieceLength+int64(m.Begin), int(m.Length))
			if err != nil {
				return err
			}
			out = wire.AppendMessage(out, &wire.Message{Type: wire.Piece, Index: m.Index, Begin: m.Begin, Block: b})
		case wire.HashRequest:
			req, err := wire.ParseHashMsg(m.Type, m.Payload)
			if err != nil {
				return err
			}
			reply, err := s.resp.Answer(&req)
			if err != nil {
				s.rejected.Add(1)
			} else {
				s.answered.Add(1)
			}
			out = wire.AppendHashMsg(out, &reply)
		}
		if len(out) > 0 {
			if _, err := conn.Write(out); err != nil {
				return err
			}
		}
	}
}

// TestLibtorrentVerifiesServedHashes gives libtorrent 2.0 a v2 torrent
// without its piece layers, so it must fetch every piece layer by hash
// requests, from a peer that answers them with core/v2hashes and
// core/wire: libtorrent completes only if those hashes prove out against
// the pieces roots and the data against them.
func TestLibtorrentVerifiesServedHashes(t *testing.T) {
	parallel(t)
	c := createdV2Content.get(t)
	braidPath(t)
	requireClient(t, libtorrent)
	work := t.TempDir()
	full := filepath.Join(work, "full.torrent")
	m := braidCreateProtocol(t, "v2", c.dir(), full, 16*kib)
	require.GreaterOrEqual(t, len(m.PieceLayers), 2)

	// The same info dict without "piece layers".
	data, err := os.ReadFile(full)
	require.NoError(t, err)
	var top map[string]bencode.Bytes
	require.NoError(t, bencode.Unmarshal(data, &top))
	delete(top, "piece layers")
	stripped, err := bencode.Marshal(top)
	require.NoError(t, err)
	torrent := filepath.Join(work, "nolayers.torrent")
	require.NoError(t, os.WriteFile(torrent, stripped, 0o644))
	bare, err := metainfo.Parse(stripped)
	require.Error(t, err, "Braid requires piece layers in a .torrent")
	require.Nil(t, bare)

	srv := newHashServer(t, m, c.parent)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	served := make(chan error, 1)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return // closed by the cleanup
			}
			go func() {
				if err := srv.serve(conn); !errors.Is(err, errNoHandshake) {
					select {
					case served <- err:
					default:
					}
				}
			}()
		}
	}()

	lt := startLeecher(t, libtorrent, torrent, filepath.Join(work, "lt"), peerOpts{dial: []string{ln.Addr().String()}})
	recordTiming(t, "libtorrent fetched piece layers and data", lt.waitComplete(t, 60*time.Second))
	c.requireMatch(t, "libtorrent", filepath.Join(work, "lt"))
	select {
	case err := <-served:
		require.NoError(t, err, "the serving side")
	case <-time.After(10 * time.Second):
		t.Fatal("libtorrent kept the connection open after completing")
	}
	t.Logf("hashes messages answered: %d, rejected: %d", srv.answered.Load(), srv.rejected.Load())
	require.GreaterOrEqual(t, srv.answered.Load(), int64(len(m.PieceLayers)), "a piece layer per file spanning pieces, asked for and answered")
	require.Zero(t, srv.rejected.Load(), "libtorrent asked only for what exists")
}
