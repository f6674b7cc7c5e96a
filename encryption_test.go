//go:build !js

package braid_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid"
)

// Two Braid nodes over TCP under each pair of encryption policies: the
// leecher dials the seeder, and they connect exactly when the policies
// share a method (required and disabled share none).
func TestEncryptionPolicies(t *testing.T) {
	fx := makeFixture(t, 32<<10, 400_000)
	policies := []braid.Encryption{braid.EncryptionEnabled, braid.EncryptionRequired, braid.EncryptionDisabled}
	for _, seedPolicy := range policies {
		for _, leechPolicy := range policies {
			t.Run(fmt.Sprintf("seeder_%s_leecher_%s", seedPolicy, leechPolicy), func(t *testing.T) {
				t.Parallel()
				tcpOnly := func(p braid.Encryption) func(*braid.Config) {
					return func(c *braid.Config) { c.NoWebRTC, c.Encryption = true, p }
				}
				seeder := transportClient(t, fx.srcDir, tcpOnly(seedPolicy))
				st, err := seeder.DownloadBytes(context.Background(), fx.torrent)
				require.NoError(t, err)
				waitDone(t, st, 30*time.Second)

				dir := t.TempDir()
				leecher := transportClient(t, dir, tcpOnly(leechPolicy))
				lt, err := leecher.DownloadBytes(context.Background(), fx.torrent, braid.WithPeers(seeder.ListenAddr()))
				require.NoError(t, err)
				if (seedPolicy == braid.EncryptionRequired && leechPolicy == braid.EncryptionDisabled) ||
					(seedPolicy == braid.EncryptionDisabled && leechPolicy == braid.EncryptionRequired) {
					select {
					case <-lt.Completed():
						t.Fatal("downloaded although the policies share no method")
					case <-time.After(3 * time.Second):
					}
					require.Zero(t, peersBy(t, leecher, fx.ih)["tcp"])
					return
				}
				waitDone(t, lt, 30*time.Second)
				requireSameFiles(t, fx, dir)
			})
		}
	}
}
