package interop

import (
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/core/wire"
)

// stripPieceLayers writes the .torrent at src without its "piece layers"
// to dst: a client given it must fetch every piece layer by BEP 52 hash
// requests before it can verify a file longer than a piece.
func stripPieceLayers(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	require.NoError(t, err)
	var top map[string]bencode.Bytes
	require.NoError(t, bencode.Unmarshal(data, &top))
	require.Contains(t, top, "piece layers")
	delete(top, "piece layers")
	stripped, err := bencode.Marshal(top)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(dst, stripped, 0o644))
	_, err = metainfo.Parse(stripped)
	require.Error(t, err, "Braid requires piece layers in a .torrent")
}

// TestLibtorrentFetchesPieceLayersFromBraid: libtorrent 2.0 is given a
// v2-only torrent without its piece layers and `braid seed` as its only
// peer: it completes only if Braid answers its hash requests with piece
// layers that prove out against the pieces roots.
func TestLibtorrentFetchesPieceLayersFromBraid(t *testing.T) {
	parallel(t)
	c := smallContent(t)
	braidPath(t)
	requireClient(t, libtorrent)
	s := v2Setup(t, c, "v2", viaPeer, 256*kib)
	data, err := os.ReadFile(s.torrent)
	require.NoError(t, err)
	m, err := metainfo.Parse(data)
	require.NoError(t, err)
	require.NotEmpty(t, m.PieceLayers, "some file spans pieces")
	bare := filepath.Join(s.work, "nolayers.torrent")
	stripPieceLayers(t, s.torrent, bare)

	b := startBraid(t, "braid-seed", "seed", s.torrent, braidOpts{dir: s.seedDir, stateDir: filepath.Join(s.work, "state")})
	waitBraidSeeding(t, b, c.total, 60*time.Second)
	relay := newHashCountingRelay(t, braidAddr(t, b))
	dlDir := filepath.Join(s.work, "dl")
	lt := startLeecher(t, libtorrent, bare, dlDir, peerOpts{dial: []string{relay.addr}})
	recordTiming(t, "libtorrent fetched piece layers from braid", lt.waitComplete(t, downloadTimeout(libtorrent)))
	c.requireMatch(t, "libtorrent", dlDir)
	t.Logf("braid sent %d hashes messages, %d hash rejects", relay.hashes.Load(), relay.rejects.Load())
	// libtorrent can complete a file without its layer by hashing it
	// whole: only the count shows the layers came from Braid.
	require.GreaterOrEqual(t, relay.hashes.Load(), int64(len(m.PieceLayers)), "a piece layer per file spanning pieces, answered by braid")
	require.Zero(t, relay.rejects.Load(), "braid had every layer libtorrent asked for")
}

// hashCountingRelay passes plaintext BitTorrent connections to a peer and
// counts the BEP 52 hashes and hash reject messages the peer sends back.
// An encrypted (MSE) connection is closed, so the client dials again in
// plaintext (libtorrent does).
type hashCountingRelay struct {
	addr            string
	hashes, rejects atomic.Int64
	blockHashes     atomic.Int64 // hashes messages of base layer 0
}

func newHashCountingRelay(t *testing.T, target string) *hashCountingRelay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	r := &hashCountingRelay{addr: ln.Addr().String()}
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			go r.relay(in, target)
		}
	}()
	return r
}

func (r *hashCountingRelay) relay(in net.Conn, target string) {
	defer in.Close()
	_ = in.SetDeadline(time.Now().Add(2 * time.Minute))
	hs := make([]byte, wire.HandshakeLen)
	if _, err := io.ReadFull(in, hs); err != nil || hs[0] != 19 || string(hs[1:20]) != "BitTorrent protocol" {
		return // MSE: the client retries in plaintext
	}
	out, err := net.DialTimeout("tcp", target, 10*time.Second)
	if err != nil {
		return
	}
	defer out.Close()
	_ = out.SetDeadline(time.Now().Add(2 * time.Minute))
	if _, err := out.Write(hs); err != nil {
		return
	}
	go func() { _, _ = io.Copy(out, in); out.Close() }()
	if _, err := io.CopyN(in, out, wire.HandshakeLen); err != nil {
		return
	}
	var buf []byte
	for {
		var m wire.Message
		m, buf, err = wire.ReadMessage(out, buf, wire.DefaultLimits(0))
		if err != nil && !errors.Is(err, wire.ErrUnknownMessage) {
			return
		}
		switch m.Type {
		case wire.Hashes:
			r.hashes.Add(1)
			if hm, err := wire.ParseHashMsg(m.Type, m.Payload); err == nil && hm.BaseLayer == 0 {
				r.blockHashes.Add(1)
			}
		case wire.HashReject:
			r.rejects.Add(1)
		}
		if _, err := in.Write(wire.AppendMessage(nil, &m)); err != nil {
			return
		}
	}
}
