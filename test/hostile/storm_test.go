package hostile

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/braid-bt/braid"
	"github.com/braid-bt/braid/engine"
	"github.com/stretchr/testify/require"
)

// stormIP is where connection storms come from (not the hostile peers'
// address, so nothing here depends on bans).
const stormIP = "127.0.0.3"

// stormSize is 10,000 connections when the descriptor limit leaves room for
// them (after raising the soft limit to the hard one), else 2,000.
func stormSize(t *testing.T) int {
	var lim syscall.Rlimit
	require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim))
	if lim.Cur < lim.Max {
		old := lim.Cur
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			lim.Cur = old
		}
	}
	// The test holds one end of each connection; Braid holds at most
	// MaxConns of the other ends; 2,000 more for everything else.
	n := 2000
	if lim.Cur >= 10_000+engine.DefaultMaxConns+2000 {
		n = 10_000
	}
	t.Logf("RLIMIT_NOFILE %d: storm of %d connections", lim.Cur, n)
	return n
}

// silentConns dials n connections to addr from stormIP, 64 at a time, and
// keeps them open without sending a byte.
func silentConns(t *testing.T, addr string, n int) (conns []net.Conn, failed int) {
	t.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	work := make(chan struct{}, n)
	for range n {
		work <- struct{}{}
	}
	close(work)
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(stormIP)}, Timeout: 5 * time.Second}
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range work {
				c, err := d.Dial("tcp", addr)
				mu.Lock()
				if err != nil {
					failed++
				} else {
					conns = append(conns, c)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	t.Cleanup(func() { closeAll(conns) })
	return conns, failed
}

func closeAll(conns []net.Conn) {
	for _, c := range conns {
		_ = c.Close()
	}
}

// countOpen reports how many of conns Braid still holds open: a read that
// times out means open, EOF or reset means Braid closed it.
func countOpen(conns []net.Conn) int {
	var open atomic.Int64
	var wg sync.WaitGroup
	sem := make(chan struct{}, 512)
	for _, c := range conns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			var b [1]byte
			_, err := c.Read(b[:])
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				open.Add(1) // EOF or a reset: Braid closed it
			}
			_ = c.SetReadDeadline(time.Time{})
		}()
	}
	wg.Wait()
	return int(open.Load())
}

// downloadingVictim starts a Braid downloading c from a seeder capped at
// uploadRate (so the download lasts through a storm) and returns once
// data flows.
func downloadingVictim(t *testing.T, c *content, uploadRate int64) (*braid.Client, *braid.Torrent, string) {
	t.Helper()
	seeder, _ := startSeeder(t, c, braid.Config{UploadRate: uploadRate})
	victim, tor, dir := startVictim(t, c, braid.Config{}, seeder.ListenAddr())
	require.True(t, eventually(10*time.Second, func() bool {
		return stat[int64](t, victim, c.ih, "downloaded") > 0
	}), "the download did not start")
	return victim, tor, dir
}

// TestConnectionStorm opens thousands of silent connections at once to a
// Braid that is downloading: it must refuse what exceeds its limits, keep
// answering its API, keep downloading, and give everything back after.
func TestConnectionStorm(t *testing.T) {
	n := stormSize(t)
	c := makeContent(t, "storm.bin", 16<<20, 256<<10, 3)
	victim, tor, dir := downloadingVictim(t, c, 4<<20)

	baseG := numGoroutine()
	baseHeap := heapInuse()
	baseRSS := rss()

	stormDone := make(chan error, 1)
	var conns []net.Conn
	var failed int
	var dialTime time.Duration
	go func() {
		start := time.Now()
		conns, failed = silentConns(t, victim.ListenAddr(), n)
		dialTime = time.Since(start)
		stormDone <- nil
	}()
	worst := pollStats(t, victim, c.ih, stormDone)
	peakHeap, peakRSS, peakG := heapInuse(), rss(), numGoroutine()
	open := countOpen(conns)
	t.Logf("storm: %d connections made in %v (%d dials failed); Braid holds %d open (limit %d)",
		len(conns), dialTime.Round(time.Millisecond), failed, open, engine.DefaultMaxConns)
	t.Logf("storm memory: HeapInuse %.1f -> %.1f MiB, RSS %.1f -> %.1f MiB, goroutines %d -> %d",
		mib(baseHeap), mib(peakHeap), mib(baseRSS), mib(peakRSS), baseG, peakG)
	t.Logf("storm: slowest Stats call %v", worst.Round(time.Microsecond))
	require.Less(t, worst, time.Second, "Stats must answer within 1 s during the storm")
	require.LessOrEqual(t, open, engine.DefaultMaxConns, "Braid must refuse connections beyond MaxConns")
	require.Greater(t, len(conns), n/2, "most dials should reach the listener")

	// While the storm holds Braid's slots, the download continues.
	closeAll(conns)
	waitComplete(t, tor, 60*time.Second)
	requireContent(t, c, dir)
	requireGoroutinesBack(t, baseG, 20, 15*time.Second)
	after := heapInuse()
	t.Logf("after the storm: HeapInuse %.1f MiB, RSS %.1f MiB, goroutines %d", mib(after), mib(rss()), numGoroutine())
	require.Less(t, heapGrowth(baseHeap, after), uint64(16<<20), "memory must come back after the storm")
}

// TestSlowloris: a connection that sends 10 bytes of handshake and then
// nothing is closed within the handshake timeout.
func TestSlowloris(t *testing.T) {
	t.Parallel()
	c := makeContent(t, "slow.bin", 256<<10, 64<<10, 4)
	victim, _, _ := startVictim(t, c, braid.Config{})
	h := newHostile(t, dialHostile(t, victim.ListenAddr()))
	full := make([]byte, 0, 68)
	full = append(full, 19)
	full = append(full, "BitTorrent protocol"...)
	require.NoError(t, h.sendRaw(full[:10]))
	took := h.requireClosed(engine.DefaultHandshakeTimeout+3*time.Second, "half a handshake, then silence")
	t.Logf("closed %v after the first 10 bytes (handshake timeout %v)", took.Round(time.Millisecond), engine.DefaultHandshakeTimeout)
	require.Zero(t, h.received.Load())
}

// TestHalfOpenFloodDoesNotStarveDials: silent incoming connections, kept
// up by an attacker, must not stop Braid from dialling the peers it needs.
func TestHalfOpenFloodDoesNotStarveDials(t *testing.T) {
	t.Parallel()
	c := makeContent(t, "dial.bin", 1<<20, 64<<10, 5)
	seeder, _ := startSeeder(t, c, braid.Config{})
	victim := newClient(t, braid.Config{})

	// 100 silent connections, re-opened as soon as Braid closes one, and
	// opened 30 ms apart so they do not all time out at the same moment.
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(stormIP)}, Timeout: 5 * time.Second}
	var held atomic.Int64
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-time.After(time.Duration(i) * 30 * time.Millisecond):
			case <-ctx.Done():
				return
			}
			for ctx.Err() == nil {
				conn, err := d.DialContext(ctx, "tcp", victim.ListenAddr())
				if err != nil {
					time.Sleep(10 * time.Millisecond)
					continue
				}
				held.Add(1)
				go func() { <-ctx.Done(); _ = conn.Close() }()
				_, _ = conn.Read(make([]byte, 1)) // until Braid closes it
				held.Add(-1)
				_ = conn.Close()
			}
		}()
	}
	require.True(t, eventually(5*time.Second, func() bool { return held.Load() >= 90 }))

	dir := t.TempDir()
	tor, err := victim.DownloadBytes(ctx, c.torrent, braid.WithPeers(seeder.ListenAddr()), braid.WithDir(dir))
	require.NoError(t, err)
	// Longer than the handshake timeout: a sustained attack, not a
	// passing one, is what must not lock Braid out of its own dials.
	select {
	case <-tor.Completed():
		requireContent(t, c, dir)
	case <-time.After(engine.DefaultHandshakeTimeout + 5*time.Second):
		t.Fatalf("with %d silent incoming connections held open, Braid never dialled the seeder (peers %d, downloaded %d): "+
			"incoming half-open connections count against the limit on outgoing dials (MaxHalfOpen %d)",
			held.Load(), stat[int](t, victim, c.ih, "peers"), stat[int64](t, victim, c.ih, "downloaded"), engine.DefaultMaxHalfOpen)
	}
}
