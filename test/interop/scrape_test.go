package interop

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestScrapeOpentracker has `braid info --scrape` ask Debian's
// opentracker, over HTTP (BEP 48) and UDP (BEP 15), about a torrent
// libtorrent seeds, beside a tracker that never answers. It fails, rather
// than skips, when opentracker is missing.
func TestScrapeOpentracker(t *testing.T) {
	requireCommand(t, "opentracker", "opentracker")
	bin := braidPath(t)
	requireClient(t, libtorrent)
	parallel(t)
	c := testContent(t)
	work := t.TempDir()
	seedDir := filepath.Join(work, "seed")
	c.copyTo(t, seedDir)
	port := freePort(t)
	httpURL := fmt.Sprintf("http://127.0.0.1:%d/announce", port)
	udpURL := fmt.Sprintf("udp://127.0.0.1:%d", port)
	silentURL := fmt.Sprintf("udp://127.0.0.1:%d", freePort(t)) // nobody listens
	torrent := filepath.Join(work, "t.torrent")
	meta := makeTorrent(t, "mktorrent", c, torrent, mib, httpURL, udpURL, silentURL)
	startOpentracker(t, port, meta.infoHash)
	startSeeder(t, libtorrent, torrent, seedDir, peerOpts{})
	requireSeedOnTracker(t, port, meta.infoHash, 30*time.Second)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "info", "--scrape", "--scrape-timeout", "3s", torrent).CombinedOutput()
	require.NoError(t, err, "%s", out)
	for _, want := range []string{
		`(?m)^scrape: +` + regexp.QuoteMeta(httpURL) + `: 1 seeders, 0 leechers, \d+ completed$`,
		`(?m)^scrape: +` + regexp.QuoteMeta(udpURL) + `: 1 seeders, 0 leechers, \d+ completed$`,
		`(?m)^scrape: +` + regexp.QuoteMeta(silentURL) + `: failed: .+$`,
	} {
		require.Regexp(t, want, string(out))
	}
}
