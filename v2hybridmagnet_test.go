//go:build !js

package braid_test

import (
	"context"
	"encoding/hex"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid"
	"github.com/braid-bt/braid/core/wire"
)

// A btih-only magnet of a hybrid torrent starts in the v1 swarm alone;
// once its metadata shows a hybrid it joins the v2 swarm too: it is found
// by the truncated v2 hash (the API and a peer's handshake in that
// swarm, answered in it with BEP 52's upgrade bit), and reports its v2
// hash and protocol.
func TestBtihMagnetOfHybridJoinsV2Swarm(t *testing.T) {
	fx, mi := makeV2Fixture(t, 32<<10, true, 100_000, 7000)
	seeder := newTestClient(t, fx.srcDir)
	st, err := seeder.DownloadBytes(context.Background(), fx.torrent)
	require.NoError(t, err)
	waitDone(t, st, 30*time.Second)

	dst := t.TempDir()
	leecher := newTestClient(t, dst)
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

	c, err := net.Dial("tcp", leecher.ListenAddr())
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	hs := wire.Handshake{InfoHash: short, PeerID: [20]byte{'v', '2', 'p', 'e', 'e', 'r'}}
	hs.SetExtended()
	_, err = c.Write(hs.Append(nil))
	require.NoError(t, err)
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var buf [wire.HandshakeLen]byte
	_, err = io.ReadFull(c, buf[:])
	require.NoError(t, err, "a handshake in the v2 swarm is answered")
	theirs, err := wire.ParseHandshake(buf[:])
	require.NoError(t, err)
	require.Equal(t, short, theirs.InfoHash)
	require.NotZero(t, theirs.Reserved[7]&0x10, "the v2 upgrade bit")
}
