package engine

import (
	"bytes"
	"crypto/sha1"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid/core/merkle"
)

// A piece whose hash does not match is shown to mismatch before done (the
// session keeps block sums of the failed copy); a good one never is.
func TestHasherShowsMismatchedData(t *testing.T) {
	h := newHasher(2)
	defer h.close()
	data := bytes.Repeat([]byte("braid"), 10000)
	src := bytes.NewReader(data)
	type result struct {
		ok   bool
		seen []byte
	}
	run := func(want [20]byte) result {
		var r result
		done := make(chan struct{})
		h.submit(hashJob{
			src: src, off: 100, length: 30000, want: pieceWant{sha1: want, hasSHA1: true},
			mismatch: func(d []byte, _ []merkle.Hash) { r.seen = append([]byte(nil), d...) },
			done: func(ok bool, err error) {
				require.NoError(t, err)
				r.ok = ok
				close(done)
			},
		})
		<-done
		return r
	}
	good := run(sha1.Sum(data[100:30100]))
	assert.True(t, good.ok)
	assert.Nil(t, good.seen, "a good piece is not shown")
	bad := run([20]byte{1})
	assert.False(t, bad.ok)
	assert.Equal(t, data[100:30100], bad.seen)
}
