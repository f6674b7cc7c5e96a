//go:build !js

package braid_test

import (
	"context"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid"
	"github.com/braid-bt/braid/core/merkle"
	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/core/v2hashes"
	"github.com/braid-bt/braid/core/wire"
)

// A btih-only magnet of a hybrid torrent starts in the v1 swarm alone;
// once its metadata shows a hybrid it joins the v2 swarm too: it is found
// by the truncated v2 hash (the API and a peer's handshake in that
// swarm, answered in it with BEP 52's upgrade bit), and reports its v2
// hash and protocol. It fetches the piece layers the magnet lacks from a
// v2 peer, serves them, and keeps them in its record.
func TestBtihMagnetOfHybridJoinsV2Swarm(t *testing.T) {
	fx, mi := makeV2Fixture(t, 32<<10, true, 200_000, 7000)
	// A capped seeder: the download takes a while, as in a real swarm,
	// so the layers are asked for while it is connected.
	seeder, err := braid.New(braid.Config{DataDir: fx.srcDir, StateDir: t.TempDir(), ListenAddr: "127.0.0.1:0",
		NoDHT: true, UploadRate: 100 << 10})
	require.NoError(t, err)
	t.Cleanup(func() { _ = seeder.Close() })
	st, err := seeder.DownloadBytes(context.Background(), fx.torrent)
	require.NoError(t, err)
	waitDone(t, st, 30*time.Second)

	dst, state := t.TempDir(), t.TempDir()
	cfg := braid.Config{DataDir: dst, StateDir: state, ListenAddr: "127.0.0.1:0", NoDHT: true}
	if os.Getenv("BRAID_TEST_LOG") != "" {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	leecher, err := braid.New(cfg)
	require.NoError(t, err)
	magnet := "magnet:?xt=urn:btih:" + hex.EncodeToString(mi.InfoHash[:]) + "&dn=content"
	lt, err := leecher.Download(context.Background(), magnet, braid.WithPeers(seeder.ListenAddr()))
	require.NoError(t, err)
	short := mi.ShortInfoHashV2()
	_, err = leecher.Stats(braid.InfoHash(short), "name")
	require.ErrorIs(t, err, braid.ErrTorrentNotFound, "not in the v2 swarm before its metadata")
	waitDone(t, lt, 30*time.Second)
	requireSameFiles(t, fx, dst)

	stats, err := leecher.Stats(braid.InfoHash(short), "protocol", "info_hash_v2")
	require.NoError(t, err, "found by the truncated v2 hash")
	require.Equal(t, "hybrid", stats["protocol"])
	require.Equal(t, hex.EncodeToString(mi.InfoHashV2[:]), stats["info_hash_v2"])

	// The magnet brought no piece layers: they were fetched from the
	// seeder (a v2 peer), and are served to a peer of the v2 swarm.
	f := mi.Info.FilesV2[0]
	require.Greater(t, f.Length, mi.Info.PieceLength)
	require.Eventually(t, func() bool { return servesPieceLayer(t, leecher.ListenAddr(), short, mi) }, 20*time.Second, 200*time.Millisecond,
		"the hybrid magnet's piece layers were fetched and are served")

	// Its record keeps them: a restart with no peer serves them at once.
	require.NoError(t, leecher.Close())
	again, err := braid.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = again.Close() })
	rt, err := again.Download(context.Background(), magnet)
	require.NoError(t, err)
	require.Equal(t, braid.RecordOK, rt.RecordStatus())
	waitDone(t, rt, 30*time.Second)
	require.Equal(t, mi.Info.NumPieces(), rt.CheckResult().Valid)
	require.True(t, servesPieceLayer(t, again.ListenAddr(), short, mi), "layers from the record")
}

// servesPieceLayer dials addr in the v2 swarm (the truncated v2 hash),
// checks the answer carries the v2 bit, asks for the first file's piece
// layer and reports whether the answer proves out against its root.
func servesPieceLayer(t *testing.T, addr string, short [20]byte, mi *metainfo.MetaInfo) bool {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer c.Close()
	hs := wire.Handshake{InfoHash: short, PeerID: [20]byte{'v', '2', 'p', 'e', 'e', 'r'}}
	hs.SetExtended()
	_, err = c.Write(hs.Append(nil))
	require.NoError(t, err)
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	var buf [wire.HandshakeLen]byte
	_, err = io.ReadFull(c, buf[:])
	require.NoError(t, err, "a handshake in the v2 swarm is answered")
	theirs, err := wire.ParseHandshake(buf[:])
	require.NoError(t, err)
	require.Equal(t, short, theirs.InfoHash)
	require.NotZero(t, theirs.Reserved[7]&0x10, "the v2 upgrade bit")

	f := mi.Info.FilesV2[0]
	reqs, err := v2hashes.PieceLayerRequests(f.PiecesRoot, f.Length, mi.Info.PieceLength)
	require.NoError(t, err)
	_, err = c.Write(wire.AppendHashMsg(nil, &reqs[0]))
	require.NoError(t, err)
	var rb []byte
	for {
		var m wire.Message
		m, rb, err = wire.ReadMessage(c, rb, wire.DefaultLimits(0))
		if err != nil && !errors.Is(err, wire.ErrUnknownMessage) {
			return false
		}
		if m.Type != wire.Hashes && m.Type != wire.HashReject {
			continue
		}
		hm, err := wire.ParseHashMsg(m.Type, m.Payload)
		require.NoError(t, err)
		if hm.Type == wire.HashReject {
			return false
		}
		height := v2hashes.TreeHeight(f.Length)
		known, err := merkle.NewTreeAt([]merkle.Hash{f.PiecesRoot}, height, height)
		require.NoError(t, err)
		hashes, err := v2hashes.Verify(known, &hm)
		require.NoError(t, err)
		layer := mi.PieceLayers[f.PiecesRoot]
		require.Equal(t, layer, hashes[:len(layer)])
		return true
	}
}
