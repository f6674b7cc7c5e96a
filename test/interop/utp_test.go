package interop

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// libtorrent set to uTP only (no TCP either way): Braid downloads from it
// and seeds to it, dialling and dialled. Braid dials "host:port" peers
// over TCP first, and libtorrent takes the connection and closes it, so
// Braid's own dials also prove the fallback to uTP.
func TestUTPLibtorrent(t *testing.T) {
	cases := []struct {
		pairCase
		encrypted bool // libtorrent forces MSE (RC4) as well
	}{
		{pairCase{"braid-downloads_braid-dials", false, "braid"}, false},
		{pairCase{"braid-downloads_libtorrent-dials", false, "libtorrent"}, false},
		{pairCase{"braid-seeds_braid-dials", true, "braid"}, false},
		{pairCase{"braid-seeds_libtorrent-dials", true, "libtorrent"}, false},
		{pairCase{"braid-downloads_braid-dials_encrypted", false, "braid"}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			parallel(t)
			// A libtorrent seeder held to 24 MiB/s: Braid's progress lines
			// (once a second) must catch the peer before the download ends.
			b := runLibtorrentPair(t, tc.pairCase, "uTP", nil,
				peerOpts{utpOnly: true, encrypted: tc.encrypted, uploadLimit: 24 * mib})
			requireOnlyUTP(t, b)
		})
	}
}

// requireOnlyUTP checks Braid's progress lines: its peers came over uTP,
// never over TCP.
func requireOnlyUTP(t *testing.T, b *proc) {
	t.Helper()
	seen := map[string]int{}
	for _, e := range b.events() {
		for k, v := range e.Transports {
			seen[k] = max(seen[k], v)
		}
	}
	require.Positive(t, seen["utp"], "%s saw no uTP peer: %v", b.name, seen)
	require.Zero(t, seen["tcp"], "%s saw a TCP peer: %v", b.name, seen)
}
