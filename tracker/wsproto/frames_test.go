package wsproto

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid/internal/testfixtures"
)

// TestRealFrames decodes the frames in the top-level testdata/wsframes,
// captured between WebTorrent 2.8.5 peers and bittorrent-tracker 11.2.3,
// and checks that re-encoding keeps every field Braid knows (the same JSON
// minus unknown keys).
func TestRealFrames(t *testing.T) {
	files, err := filepath.Glob(testfixtures.Path("wsframes", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			in, err := os.ReadFile(f)
			require.NoError(t, err)
			m, err := Decode(in)
			require.NoError(t, err)
			assert.Equal(t, ActionAnnounce, m.Action)
			assert.False(t, m.InfoHash.IsZero())
			out, err := Encode(m)
			require.NoError(t, err)
			var want, got map[string]any
			require.NoError(t, json.Unmarshal(in, &want))
			require.NoError(t, json.Unmarshal(out, &got))
			if want["left"] == nil {
				delete(want, "left") // null and absent are the same to Braid
			}
			assert.Equal(t, want, got)
		})
	}
	m, err := Decode(mustRead(t, testfixtures.Path("wsframes", "answer.json")))
	require.NoError(t, err)
	require.NotNil(t, m.Answer)
	require.NotNil(t, m.ToPeerID)
	require.NotNil(t, m.OfferID)
	assert.Equal(t, "answer", m.Answer.Type)
	assert.Equal(t, "-WW0208-", string(m.ToPeerID[:8]))

	m, err = Decode(mustRead(t, testfixtures.Path("wsframes", "seeder-offers.json")))
	require.NoError(t, err)
	assert.Len(t, m.Offers, 5)
	require.NotNil(t, m.NumWant)
	assert.Equal(t, 5, *m.NumWant)
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	return b
}
