package tracker

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid/internal/nodepeer"
	"github.com/braid-bt/braid/tracker/wsproto"
)

// TestWSInteropWebTorrent runs a Node WebTorrent 2.8.5 seeder and leecher
// (WebRTC through @roamhq/wrtc) against Braid's tracker and checks that
// the leecher gets the seeder's data. It fails, not skips, when node or
// web/e2e/node_modules is missing: signalling interop is a requirement.
func TestWSInteropWebTorrent(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	srv := NewServer(ServerConfig{Interval: 120 * time.Second})
	hs := httptest.NewServer(srv)
	defer func() {
		srv.CloseWebSockets()
		hs.Close()
	}()
	wsURL := WebSocketURL(hs.URL) + "/announce"

	run := func(args ...string) (*bufio.Scanner, *strings.Builder) {
		return nodepeer.Start(t, ctx, "../web/e2e/node_modules", "testdata/webtorrent/peer.mjs", args...)
	}

	seedOut, seedErr := run("seed", wsURL, "300000")
	require.True(t, seedOut.Scan(), "seeder printed nothing; stderr: %s", seedErr)
	var seeded struct{ Magnet, SHA1 string }
	require.NoError(t, json.Unmarshal(seedOut.Bytes(), &seeded))
	require.NotEmpty(t, seeded.Magnet)

	// Wait until the seeder's announce reached the tracker, so the leecher's
	// offers have someone to go to.
	ih := magnetInfoHash(t, seeded.Magnet)
	require.Eventually(t, func() bool { return srv.ws.peers(ih) == 1 }, 10*time.Second, 20*time.Millisecond)

	leechOut, leechErr := run("leech", wsURL, seeded.Magnet)
	require.True(t, leechOut.Scan(), "leecher did not finish; stderr: %s; seeder stderr: %s", leechErr, seedErr)
	var got struct {
		Done bool
		SHA1 string
	}
	require.NoError(t, json.Unmarshal(leechOut.Bytes(), &got))
	assert.True(t, got.Done)
	assert.Equal(t, seeded.SHA1, got.SHA1, "leecher has the seeder's bytes")
}

// peers counts the WebRTC peers announced for an info hash.
func (h *wsHub) peers(ih wsproto.ID) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	if sw := h.swarms[ih]; sw != nil {
		return len(sw.list)
	}
	return 0
}

func magnetInfoHash(t *testing.T, magnet string) wsproto.ID {
	t.Helper()
	_, rest, ok := strings.Cut(magnet, "urn:btih:")
	require.True(t, ok, magnet)
	b, err := hex.DecodeString(rest[:40])
	require.NoError(t, err)
	var id wsproto.ID
	copy(id[:], b)
	return id
}
