package hostile

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/braid-bt/braid/engine"
	"github.com/braid-bt/braid/transport/utp"
	"github.com/stretchr/testify/require"
)

// TestUTPStorm opens hundreds of uTP connections at once to a downloading
// Braid and sends nothing on them (or half a handshake): it must keep
// downloading and answering its API, close every one within the handshake
// timeout, and give its goroutines back.
func TestUTPStorm(t *testing.T) {
	t.Parallel()
	const n = 400
	c := makeContent(t, "utpstorm.bin", 8<<20, 256<<10, 5)
	victim, tor, dir := downloadingVictim(t, c, 2<<20)
	baseG := numGoroutine()

	attacker, err := utp.Listen("udp4", stormIP+":0", nil)
	require.NoError(t, err)
	defer attacker.Close()
	var mu sync.Mutex
	var wg sync.WaitGroup
	opened := 0
	stormDone := make(chan error, 1)
	go func() {
		sem := make(chan struct{}, 32)
		for i := range n {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				conn, err := attacker.Dial(ctx, victim.ListenAddr())
				if err != nil {
					return
				}
				// Half a handshake on every other one: the acceptor learns
				// of a uTP connection with its first data.
				if i%2 == 0 {
					_, _ = conn.Write([]byte("\x13BitTorrent"))
				}
				mu.Lock()
				opened++
				mu.Unlock()
			}()
		}
		wg.Wait()
		stormDone <- nil
	}()
	worst := pollStats(t, victim, c.ih, stormDone)
	t.Logf("uTP storm: %d of %d connections opened; slowest Stats call %v", opened, n, worst.Round(time.Microsecond))
	require.Less(t, worst, time.Second, "Stats must answer within 1 s during the storm")
	require.Positive(t, opened)

	waitComplete(t, tor, 60*time.Second)
	requireContent(t, c, dir)
	// Every silent connection is closed by the handshake timeout; none is
	// left holding a goroutine.
	requireGoroutinesBack(t, baseG, 20, engine.DefaultHandshakeTimeout+15*time.Second)
}
