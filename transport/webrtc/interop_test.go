//go:build !js

//lint:file-ignore SA1019 go.mod pins nhooyr.io/websocket (same API as its successor)

package webrtc

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/braid-bt/braid/core/wire"
	"github.com/braid-bt/braid/internal/nodepeer"
	"github.com/braid-bt/braid/tracker/wsproto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"nhooyr.io/websocket"
)

// nodePeer starts testdata/webtorrent/peer.mjs with args and returns its
// first stdout line.
func nodePeer(t *testing.T, ctx context.Context, args ...string) (line string, stderr *strings.Builder) {
	t.Helper()
	sc, stderr := nodepeer.Start(t, ctx, "../../web/e2e/node_modules", "testdata/webtorrent/peer.mjs", args...)
	require.True(t, sc.Scan(), "node peer printed nothing; stderr: %s", stderr)
	return sc.Text(), stderr
}

// scrapeComplete asks the tracker over WebSocket how many seeders ih has.
func scrapeComplete(t *testing.T, url string, ih [20]byte) int {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, url, nil)
	require.NoError(t, err)
	defer ws.CloseNow()
	req, err := wsproto.Encode(&wsproto.Message{Action: wsproto.ActionScrape, InfoHash: ih})
	require.NoError(t, err)
	require.NoError(t, ws.Write(ctx, websocket.MessageText, req))
	_, b, err := ws.Read(ctx)
	require.NoError(t, err)
	m, err := wsproto.Decode(b)
	require.NoError(t, err)
	return m.Files[wsproto.ID(ih)].Complete
}

// handshake does the BitTorrent handshake on c: both sides send theirs at
// once (WebTorrent does not wait for ours), then we check the reply.
func handshake(t *testing.T, c net.Conn, infoHash, remote [20]byte) error {
	t.Helper()
	h := wire.Handshake{InfoHash: infoHash, PeerID: peerB}
	h.SetExtended()
	if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return err
	}
	if _, err := c.Write(h.Append(nil)); err != nil {
		return err
	}
	got, err := wire.ReadHandshake(c)
	if err != nil {
		return err
	}
	assert.Equal(t, infoHash, got.InfoHash)
	assert.Equal(t, remote, got.PeerID, "handshake peer id differs from the signalled one")
	assert.True(t, got.SupportsExtended(), "WebTorrent speaks BEP 10")
	t.Logf("handshake with %q over %s", got.PeerID[:], c.RemoteAddr())
	return nil
}

// requireHandshake takes connections until one completes the handshake.
// WebTorrent peers also offer to us, so two channels may open between the
// same pair at once; WebTorrent then closes one of them, which is fine.
func requireHandshake(t *testing.T, ctx context.Context, conns <-chan gotConn, ih [20]byte, stderr fmt.Stringer) {
	t.Helper()
	var errs []error
	for {
		select {
		case g := <-conns:
			err := handshake(t, g.c, ih, g.remote)
			if err == nil {
				return
			}
			errs = append(errs, err)
		case <-ctx.Done():
			t.Fatalf("no handshake with the WebTorrent peer (failed attempts: %v); its stderr: %s", errs, stderr)
		}
	}
}

// interopTrackers are the WebSocket trackers the interop tests run against:
// Braid's own and the reference bittorrent-tracker (what public WebTorrent
// trackers run).
var interopTrackers = []struct {
	name  string
	start func(t *testing.T, ctx context.Context) string
}{
	{"braid", func(t *testing.T, _ context.Context) string { return wsTracker(t) }},
	{"bittorrent-tracker", func(t *testing.T, ctx context.Context) string {
		line, _ := nodePeer(t, ctx, "tracker")
		var out struct{ URL string }
		require.NoError(t, json.Unmarshal([]byte(line), &out))
		require.NotEmpty(t, out.URL)
		return out.URL
	}},
}

// TestInteropWebTorrentSeederAnswersOurOffer: a Node WebTorrent seeder is
// in the swarm; our Announcer's offer reaches it and it answers.
func TestInteropWebTorrentSeederAnswersOurOffer(t *testing.T) {
	for _, tr := range interopTrackers {
		t.Run(tr.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			url := tr.start(t, ctx)
			line, stderr := nodePeer(t, ctx, "seed", url, "100000")
			var seeded struct{ InfoHash string }
			require.NoError(t, json.Unmarshal([]byte(line), &seeded))
			var ih [20]byte
			b, err := hex.DecodeString(seeded.InfoHash)
			require.NoError(t, err)
			require.Len(t, b, 20)
			copy(ih[:], b)

			// Our offers need the seeder in the swarm: wait until a scrape shows it.
			require.Eventually(t, func() bool { return scrapeComplete(t, url, ih) == 1 },
				10*time.Second, 50*time.Millisecond, "seeder never announced; its stderr: %s", stderr)
			_, conns, _ := startAnnouncer(t, AnnouncerConfig{
				URL: url, InfoHash: ih, PeerID: peerB,
				Stats: func() (int64, int64, int64) { return 0, 0, 100000 },
			})
			requireHandshake(t, ctx, conns, ih, stderr)
		})
	}
}

// TestInteropWebTorrentLeecherOffersToUs: our Announcer is in the swarm; a
// Node WebTorrent leecher's offer is relayed to it and we answer.
func TestInteropWebTorrentLeecherOffersToUs(t *testing.T) {
	for _, tr := range interopTrackers {
		t.Run(tr.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			url := tr.start(t, ctx)
			ih := testInfoHash
			a, conns, _ := startAnnouncer(t, AnnouncerConfig{
				URL: url, InfoHash: ih, PeerID: peerB, NumWant: 1,
				Stats: func() (int64, int64, int64) { return 0, 0, 0 },
			})
			waitAnnounced(t, a)
			_, stderr := nodePeer(t, ctx, "leech", url, hex.EncodeToString(ih[:]))
			requireHandshake(t, ctx, conns, ih, stderr)
		})
	}
}
