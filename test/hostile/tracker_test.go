package hostile

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/braid-bt/braid"
	"github.com/braid-bt/braid/tracker"
	"github.com/stretchr/testify/require"
)

// goodTracker runs Braid's own tracker on loopback and returns its announce URL.
func goodTracker(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(tracker.NewServer(tracker.ServerConfig{Interval: 2 * time.Second}))
	t.Cleanup(srv.Close)
	return srv.URL + "/announce"
}

// hostileHTTP serves h on loopback; the handlers blocked in it are released
// before the server closes.
func hostileHTTP(t *testing.T, h func(w http.ResponseWriter, r *http.Request, release <-chan struct{})) string {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h(w, r, release) }))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs first
	return srv.URL + "/announce"
}

// garbageUDP answers every packet on a raw UDP socket: connects with a
// valid connection id (so the client goes on to announce), announces with
// a reply whose header is right and whose peer list is 1,000 closed
// loopback ports (and, if torn, a 3-byte last entry), anything else with
// noise.
func garbageUDP(t *testing.T, torn bool) string {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = pc.Close() })
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if n < 16 {
				continue
			}
			action := binary.BigEndian.Uint32(buf[8:])
			tx := buf[12:16]
			var reply []byte
			switch action {
			case 0:
				reply = binary.BigEndian.AppendUint32(nil, 0)
				reply = append(reply, tx...)
				reply = append(reply, garbage(8)...)
			case 1:
				reply = binary.BigEndian.AppendUint32(nil, 1)
				reply = append(reply, tx...)
				reply = binary.BigEndian.AppendUint32(reply, 0)          // interval 0
				reply = binary.BigEndian.AppendUint32(reply, 0xFFFFFFFF) // leechers
				reply = binary.BigEndian.AppendUint32(reply, 0xFFFFFFFF) // seeders
				for p := 1; p <= 1000; p++ {
					reply = append(reply, 127, 0, 0, 1, byte(p>>8), byte(p))
				}
				if torn {
					reply = append(reply, 127, 0, 0)
				}
			default:
				reply = garbage(37)
			}
			_, _ = pc.WriteTo(reply, from)
		}
	}()
	return "udp://" + pc.LocalAddr().String() + "/announce"
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

// TestHostileTrackers: a torrent whose first tier is a hostile tracker and
// whose second tier works must still download; the bad tracker costs
// nothing but its own error.
func TestHostileTrackers(t *testing.T) {
	var hugeSent atomic.Int64
	cases := []struct {
		name    string
		tracker func(t *testing.T) string
	}{
		{"garbage body", func(t *testing.T) string {
			return hostileHTTP(t, func(w http.ResponseWriter, r *http.Request, _ <-chan struct{}) {
				_, _ = w.Write([]byte("<html>d8:intervali-5e5:peers999999:\x00\xff</html>"))
			})
		}},
		{"100 MiB body", func(t *testing.T) string {
			return hostileHTTP(t, func(w http.ResponseWriter, r *http.Request, _ <-chan struct{}) {
				w.Header().Set("Content-Length", strconv.Itoa(100<<20))
				chunk := []byte("d5:peers104857600:" + strings.Repeat("\x7f\x00\x00\x01\x1a\xe1", 10000))
				for sent := 0; sent < 100<<20; sent += len(chunk) {
					if _, err := w.Write(chunk); err != nil {
						return
					}
					hugeSent.Add(int64(len(chunk)))
				}
			})
		}},
		{"reply that never finishes", func(t *testing.T) string {
			return hostileHTTP(t, func(w http.ResponseWriter, r *http.Request, release <-chan struct{}) {
				w.Header().Set("Content-Length", "1000")
				_, _ = w.Write([]byte("d8:intervali60e5:peers"))
				w.(http.Flusher).Flush()
				select {
				case <-release:
				case <-r.Context().Done():
				}
			})
		}},
		{"redirect loop", func(t *testing.T) string {
			return hostileHTTP(t, func(w http.ResponseWriter, r *http.Request, _ <-chan struct{}) {
				http.Redirect(w, r, r.URL.String(), http.StatusFound)
			})
		}},
		{"peer list of Braid's own address", func(t *testing.T) string {
			return hostileHTTP(t, func(w http.ResponseWriter, r *http.Request, _ <-chan struct{}) {
				// Whoever announces is told to connect to itself, many times over.
				port, _ := strconv.Atoi(r.URL.Query().Get("port"))
				ap := netip.MustParseAddrPort(fmt.Sprintf("127.0.0.1:%d", port))
				var peers []byte
				for range 50 {
					peers = append(peers, ap.Addr().AsSlice()...)
					peers = binary.BigEndian.AppendUint16(peers, ap.Port())
				}
				b, _ := bencode.Marshal(map[string]any{"interval": 1, "peers": string(peers)})
				_, _ = w.Write(b)
			})
		}},
		{"tracker down", func(t *testing.T) string {
			return "http://" + closedPort(t) + "/announce"
		}},
		{"UDP tracker with a torn peer list", func(t *testing.T) string { return garbageUDP(t, true) }},
		{"UDP tracker naming 1,000 dead peers", func(t *testing.T) string { return garbageUDP(t, false) }},
	}
	c0 := makeContent(t, "tracked.bin", 1<<20, 64<<10, 6)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bad := tc.tracker(t)
			c := makeContent(t, c0.name, len(c0.data), c0.info.PieceLength, 6, []string{bad}, []string{goodTracker(t)})
			before := heapInuse()
			startSeeder(t, c, braid.Config{})
			victim, tor, dir := startVictim(t, c, braid.Config{})
			waitComplete(t, tor, 30*time.Second)
			requireContent(t, c, dir)
			trs := stat[[]braid.TrackerInfo](t, victim, c.ih, "trackers")
			for _, tr := range trs {
				t.Logf("tier %d %s: peers %d, error %q", tr.Tier, tr.URL, tr.Peers, tr.Error)
			}
			requireHeapBounded(t, before, 32<<20, tc.name)
		})
	}
	t.Logf("the 100 MiB tracker got to send %.1f MiB in all", mib(uint64(hugeSent.Load())))
	require.Less(t, hugeSent.Load(), int64(100<<20), "Braid must stop reading a 100 MiB reply")
}

// TestCLITrackersDownWithPeer: `braid download --peer` completes when every
// tracker of the torrent is dead or hostile.
func TestCLITrackersDownWithPeer(t *testing.T) {
	bin := braidPath(t)
	garbageURL := hostileHTTP(t, func(w http.ResponseWriter, r *http.Request, _ <-chan struct{}) {
		_, _ = w.Write(garbage(300))
	})
	c := makeContent(t, "cli.bin", 1<<20, 64<<10, 7, []string{"http://" + closedPort(t) + "/announce"}, []string{garbageURL})
	seeder, _ := startSeeder(t, c, braid.Config{})
	tf := filepath.Join(t.TempDir(), "cli.torrent")
	require.NoError(t, os.WriteFile(tf, c.torrent, 0o644))
	dir, state := t.TempDir(), t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res := runBraid(ctx, t, bin, "download", "--no-dht", "--stun", "none", "--json", "--dir", dir, "--state-dir", state,
		"--listen", "127.0.0.1:0", "--peer", seeder.ListenAddr(), tf)
	require.Equal(t, 0, res.code, "exit status; stderr:\n%s\nstdout:\n%s", res.stderr, res.stdout)
	requireContent(t, c, dir)
}
