package interop

import (
	"encoding/binary"
	"encoding/hex"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/stretchr/testify/require"
)

// swarmTracker is an HTTP tracker that splits a hybrid torrent's two
// swarms: to Braid (peer id -BD...) it names one peer for the v1 info
// hash and another for the truncated v2 info hash; to anyone else no one,
// so the other peers never meet. It records which hashes Braid announced.
type swarmTracker struct {
	url string

	mu       sync.Mutex
	peers    map[string]string // info hash (raw 20 bytes) → the one peer "ip:port"
	announce map[string]bool   // hashes Braid announced, hex
}

func newSwarmTracker(t *testing.T) *swarmTracker {
	t.Helper()
	st := &swarmTracker{peers: map[string]string{}, announce: map[string]bool{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: http.HandlerFunc(st.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	st.url = "http://" + ln.Addr().String() + "/announce"
	return st
}

func (st *swarmTracker) set(infoHashHex, addr string) {
	raw, _ := hex.DecodeString(infoHashHex)
	st.mu.Lock()
	defer st.mu.Unlock()
	st.peers[string(raw[:20])] = addr
}

func (st *swarmTracker) announced(infoHashHex string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.announce[infoHashHex[:40]]
}

func (st *swarmTracker) serve(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ih, id := q.Get("info_hash"), q.Get("peer_id")
	var compact []byte
	st.mu.Lock()
	if strings.HasPrefix(id, "-BD") {
		st.announce[hex.EncodeToString([]byte(ih))] = true
		if addr, ok := st.peers[ih]; ok {
			ap, err := net.ResolveTCPAddr("tcp4", addr)
			if err == nil {
				compact = append(compact, ap.IP.To4()...)
				compact = binary.BigEndian.AppendUint16(compact, uint16(ap.Port))
			}
		}
	}
	st.mu.Unlock()
	body, _ := bencode.Marshal(map[string]any{"interval": 1800, "peers": string(compact)})
	_, _ = w.Write(body)
}

// TestBraidFetchesHybridOverBothSwarms: a hybrid torrent seeded by two
// libtorrent 2.0 seeders, one reachable only through its v1 swarm and
// one only through its v2 swarm (the tracker names each in one swarm
// alone and introduces no seeder to the other). Braid announces both
// hashes, dials each seeder in its swarm, takes pieces from both (each
// seeder is capped so neither can send everything) and completes byte
// for byte, every piece checked by SHA-1 and by its v2 hash.
func TestBraidFetchesHybridOverBothSwarms(t *testing.T) {
	parallel(t)
	c := smallContent(t)
	braidPath(t)
	requireClient(t, libtorrent)
	tr := newSwarmTracker(t)
	work := t.TempDir()
	dirV1, dirV2 := filepath.Join(work, "seed-v1"), filepath.Join(work, "seed-v2")
	c.copyTo(t, dirV1)
	c.copyTo(t, dirV2)
	torrent := filepath.Join(work, "hybrid.torrent")
	meta := ltCreateAs(t, "hybrid", filepath.Join(dirV1, contentName), torrent, 256*kib, tr.url)
	require.NotEmpty(t, meta.infoHashV2)

	limit := peerOpts{uploadLimit: 1 << 20} // 6 MiB from one alone would take 6 s
	seedV1 := startSeeder(t, libtorrent, torrent, dirV1, limit)
	seedV2 := startSeeder(t, libtorrent, torrent, dirV2, limit)
	tr.set(meta.infoHash, seedV1.addr())
	tr.set(meta.infoHashV2, seedV2.addr())

	dl := filepath.Join(work, "dl")
	start := time.Now()
	b := startBraid(t, "braid-download", "download", torrent, braidOpts{dir: dl, stateDir: filepath.Join(work, "state")})
	done := waitBraidComplete(t, b, downloadTimeout(libtorrent))
	recordTiming(t, "libtorrent v1-swarm + v2-swarm seeders -> braid hybrid", time.Since(start))
	c.requireMatch(t, "braid", dl)
	require.Equal(t, "hybrid", done.Protocol, done.raw)
	require.True(t, tr.announced(meta.infoHash), "braid announced the v1 hash")
	require.True(t, tr.announced(meta.infoHashV2), "braid announced the truncated v2 hash")

	time.Sleep(1500 * time.Millisecond) // the seeders print their counts twice a second
	up1, ok1 := seedV1.proc.lastEvent("progress")
	up2, ok2 := seedV2.proc.lastEvent("progress")
	require.True(t, ok1 && ok2, "the seeders printed no progress")
	t.Logf("v1-swarm seeder uploaded %d, v2-swarm seeder %d, of %d", up1.Uploaded, up2.Uploaded, c.total)
	require.Greater(t, up1.Uploaded, int64(256*kib), "pieces came over the v1 swarm")
	require.Greater(t, up2.Uploaded, int64(256*kib), "pieces came over the v2 swarm")
}
