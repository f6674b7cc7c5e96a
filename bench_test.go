//go:build !js

package braid_test

import (
	"context"
	"testing"
	"time"

	"github.com/braid-bt/braid"
)

// BenchmarkLoopbackTransfer moves a 64 MiB torrent between two clients on
// loopback: the whole native path (wire, session, picker, storage, hashing).
func BenchmarkLoopbackTransfer(b *testing.B) {
	fx := makeFixture(b, 256<<10, 64<<20)
	seeder := newBenchClient(b, fx.srcDir)
	st, err := seeder.DownloadBytes(context.Background(), fx.torrent)
	if err != nil {
		b.Fatal(err)
	}
	<-st.Completed()
	b.SetBytes(64 << 20)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		leecher := newBenchClient(b, b.TempDir())
		lt, err := leecher.DownloadBytes(context.Background(), fx.torrent, braid.WithPeers(seeder.ListenAddr()))
		if err != nil {
			b.Fatal(err)
		}
		select {
		case <-lt.Completed():
		case <-time.After(2 * time.Minute):
			b.Fatal("transfer did not complete")
		}
		_ = leecher.Close()
	}
}

func newBenchClient(b *testing.B, dir string) *braid.Client {
	c, err := braid.New(braid.Config{DataDir: dir, StateDir: b.TempDir(), ListenAddr: "127.0.0.1:0", NoDHT: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Close() })
	return c
}
