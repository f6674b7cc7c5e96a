//go:build !js

package braid_test

import (
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid"
	"github.com/braid-bt/braid/core/wire"
	"github.com/braid-bt/braid/tracker"
	"github.com/braid-bt/braid/transport/webrtc"
)

// startSignalTracker runs Braid's tracker on loopback and returns its
// WebSocket (signalling) URL.
func startSignalTracker(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	urls := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- tracker.ListenAndServe(ctx, "127.0.0.1:0", "", tracker.ServerConfig{Interval: 15 * time.Second},
			func(httpURL, _ string) { urls <- httpURL })
	}()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case u := <-urls:
		return "ws://" + strings.TrimPrefix(u, "http://")
	case err := <-done:
		t.Fatalf("tracker: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("tracker did not start")
	}
	return ""
}

// transportClient makes a client whose transports the test picks.
func transportClient(t *testing.T, dataDir string, edit func(*braid.Config)) *braid.Client {
	t.Helper()
	cfg := braid.Config{
		DataDir: dataDir, StateDir: filepath.Join(t.TempDir(), "state"),
		ListenAddr: "127.0.0.1:0", NoDHT: true, RTCLoopback: true, TrackerMinInterval: time.Second,
	}
	if os.Getenv("BRAID_TEST_LOG") != "" {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	edit(&cfg)
	c, err := braid.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func peersBy(t *testing.T, c *braid.Client, ih braid.InfoHash) map[string]int {
	t.Helper()
	st, err := c.Stats(ih, "peers_by_transport")
	require.NoError(t, err)
	return st["peers_by_transport"].(map[string]int)
}

// Two Braid nodes with no TCP listener find each other through the
// WebSocket tracker and exchange the torrent over a WebRTC data channel.
func TestWebRTCOnlySwarm(t *testing.T) {
	ws := startSignalTracker(t)
	fx := makeFixture(t, 32<<10, 700_000, 300_001)
	rtcOnly := func(c *braid.Config) { c.NoListen = true; c.WSTrackers = []string{ws} }
	seeder := transportClient(t, fx.srcDir, rtcOnly)
	st, err := seeder.DownloadBytes(context.Background(), fx.torrent)
	require.NoError(t, err)
	waitDone(t, st, 30*time.Second)

	dir := t.TempDir()
	leecher := transportClient(t, dir, rtcOnly)
	lt, err := leecher.DownloadBytes(context.Background(), fx.torrent)
	require.NoError(t, err)
	waitDone(t, lt, 60*time.Second)
	// The leecher had no listener, no peer addresses and only a WebSocket
	// tracker: every byte came over a data channel.
	requireSameFiles(t, fx, dir)
	stats, err := leecher.Stats(fx.ih, "trackers")
	require.NoError(t, err)
	trs := stats["trackers"].([]braid.TrackerInfo)
	require.Len(t, trs, 1)
	require.Equal(t, ws, trs[0].URL)
	require.Empty(t, trs[0].Error)
	require.False(t, trs[0].LastAnnounce.IsZero(), "the WebSocket tracker answered")
}

// A node that only dials ws:// peer URLs downloads from a node listening
// for the peer wire over WebSocket: no tracker at all.
func TestWebSocketPeer(t *testing.T) {
	fx := makeFixture(t, 32<<10, 3_000_000)
	seeder := transportClient(t, fx.srcDir, func(c *braid.Config) {
		c.WSListenAddr, c.NoWebRTC = "127.0.0.1:0", true
		c.UploadRate = 1 << 20 // slow enough to watch the connection
	})
	require.True(t, strings.HasPrefix(seeder.WSURL(), "ws://127.0.0.1:"), seeder.WSURL())
	st, err := seeder.DownloadBytes(context.Background(), fx.torrent)
	require.NoError(t, err)
	waitDone(t, st, 30*time.Second)

	dir := t.TempDir()
	leecher := transportClient(t, dir, func(c *braid.Config) { c.NoListen = true; c.NoWebRTC = true })
	lt, err := leecher.DownloadBytes(context.Background(), fx.torrent, braid.WithPeers(seeder.WSURL()))
	require.NoError(t, err)
	// Seeder and leecher stay connected only while one still needs data:
	// look at the transport while the download runs.
	seen := map[string]int{}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		for k, v := range peersBy(t, leecher, fx.ih) {
			seen[k] = max(seen[k], v)
		}
		if isDone(lt) {
			break
		}
	}
	waitDone(t, lt, time.Second)
	requireSameFiles(t, fx, dir)
	require.Equal(t, 1, seen["websocket"], "transports seen: %v", seen)
}

// The bridge: a TCP-only seeder and a WebRTC-only leecher share no
// transport; a node speaking both carries the data from one to the other.
func TestBridgeTCPToWebRTC(t *testing.T) {
	ws := startSignalTracker(t)
	fx := makeFixture(t, 32<<10, 900_000)
	seeder := transportClient(t, fx.srcDir, func(c *braid.Config) { c.NoWebRTC = true })
	st, err := seeder.DownloadBytes(context.Background(), fx.torrent)
	require.NoError(t, err)
	waitDone(t, st, 30*time.Second)

	bridge := transportClient(t, t.TempDir(), func(c *braid.Config) { c.WSTrackers = []string{ws} })
	bt, err := bridge.DownloadBytes(context.Background(), fx.torrent, braid.WithPeers(seeder.ListenAddr()))
	require.NoError(t, err)

	dir := t.TempDir()
	leaf := transportClient(t, dir, func(c *braid.Config) { c.NoListen = true; c.WSTrackers = []string{ws} })
	lt, err := leaf.DownloadBytes(context.Background(), fx.torrent)
	require.NoError(t, err)
	waitDone(t, bt, 60*time.Second)
	waitDone(t, lt, 60*time.Second)
	// The seeder speaks only TCP and the leaf only WebRTC: what the leaf
	// has, the bridge relayed.
	requireSameFiles(t, fx, dir)
}

func isDone(t *braid.Torrent) bool {
	select {
	case <-t.Completed():
		return true
	default:
		return false
	}
}

// A peer already connected over TCP that also shows up on the WebSocket
// tracker (a WebTorrent hybrid client, or a native Braid node) gets no
// second connection over WebRTC: the seeder neither answers its offers nor
// takes its answers. Another peer on the same tracker still connects.
func TestNoWebRTCToPeerConnectedOverTCP(t *testing.T) {
	ws := startSignalTracker(t)
	fx := makeFixture(t, 32<<10, 300_000)
	seeder := transportClient(t, fx.srcDir, func(c *braid.Config) { c.WSTrackers = []string{ws} })
	st, err := seeder.DownloadBytes(context.Background(), fx.torrent)
	require.NoError(t, err)
	waitDone(t, st, 30*time.Second)

	// Peer X: a TCP connection with a full handshake, kept open.
	idX := [20]byte{'-', 'X', 'X', '0', '0', '0', '1', '-', 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	tcp, err := net.DialTimeout("tcp", seeder.ListenAddr(), 5*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { _ = tcp.Close() })
	hs := wire.Handshake{InfoHash: fx.ih, PeerID: idX}
	_, err = tcp.Write(hs.Append(nil))
	require.NoError(t, err)
	require.NoError(t, tcp.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, err = wire.ReadHandshake(tcp)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return peersBy(t, seeder, fx.ih)["tcp"] == 1 }, 5*time.Second, 10*time.Millisecond)

	// X and then Y look for WebRTC peers on the tracker as leechers; only
	// connections to the seeder count (X and Y may meet each other).
	idY := idX
	idY[8] = 99
	announce := func(id [20]byte) <-chan net.Conn {
		got := make(chan net.Conn, 4)
		a := webrtc.NewAnnouncer(webrtc.AnnouncerConfig{
			URL: ws, InfoHash: fx.ih, PeerID: id, NumWant: 2, RTC: webrtc.Config{LoopbackOnly: true},
			Stats: func() (int64, int64, int64) { return 0, 0, 1 },
			OnConn: func(c net.Conn, remote [20]byte) {
				if remote == idX || remote == idY {
					_ = c.Close()
					return
				}
				got <- c
			},
		})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { a.Run(ctx); close(done) }()
		t.Cleanup(func() { cancel(); <-done })
		return got
	}
	xConns := announce(idX)
	yConns := announce(idY)
	select {
	case c := <-yConns:
		_ = c.Close()
	case <-time.After(15 * time.Second):
		t.Fatal("peer Y got no WebRTC connection: the tracker set-up does not work")
	}
	select {
	case c := <-xConns:
		_ = c.Close()
		t.Fatal("peer X, connected over TCP, got a second connection over WebRTC")
	case <-time.After(2 * time.Second):
	}
}
