package wsproto

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzDecode checks that Decode never panics, that what it accepts
// re-encodes, and that the re-encoding decodes to the same message.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(webtorrentAnnounce))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			require.ErrorIs(t, err, ErrInvalid)
			return
		}
		out, err := Encode(m)
		if err != nil {
			// Accepted input may re-encode longer (escapes) than the limit.
			require.ErrorIs(t, err, ErrInvalid)
			return
		}
		m2, err := Decode(out)
		require.NoError(t, err, "%s", out)
		require.Equal(t, m, m2)
	})
}
