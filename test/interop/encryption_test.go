package interop

import (
	"testing"
)

// TestEncryptedLibtorrent: libtorrent set to require RC4 encryption both
// ways (as many qBittorrent users are) refuses every plain handshake, so
// each transfer below works only through Braid's Message Stream
// Encryption: Braid dialling it, and it dialling Braid.
func TestEncryptedLibtorrent(t *testing.T) {
	cases := []struct {
		pairCase
		policy string // Braid's --encryption
	}{
		// Braid dials plain, is refused, dials again with MSE.
		{pairCase{"braid-downloads_enabled_braid-dials", false, "braid"}, "enabled"},
		// libtorrent dials Braid with MSE; Braid answers as receiver.
		{pairCase{"braid-seeds_enabled_libtorrent-dials", true, "libtorrent"}, "enabled"},
		{pairCase{"braid-seeds_required_braid-dials", true, "braid"}, "required"},
		{pairCase{"braid-downloads_required_libtorrent-dials", false, "libtorrent"}, "required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			parallel(t)
			runLibtorrentPair(t, tc.pairCase, "encrypted", []string{"--encryption", tc.policy}, peerOpts{encrypted: true})
		})
	}
}
