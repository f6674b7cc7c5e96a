package session

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// SetMaxOutstanding changes the cap while peers are connected: a lower
// cap keeps what was sent but asks for nothing more; no cap refills.
func TestSetMaxOutstanding(t *testing.T) {
	h := newHarness(t, 128, 64<<10, nil, Config{})
	total := func() int { return len(h.outstanding(1)) + len(h.outstanding(2)) }
	h.seedPeer(1, false)
	h.seedPeer(2, false)
	unlimited := total()
	assert.Greater(t, unlimited, 8)

	h.s.SetMaxOutstanding(8)
	assert.Equal(t, unlimited, total(), "requests already sent stay")
	for _, b := range h.outstanding(1) {
		h.block(1, b)
	}
	assert.LessOrEqual(t, total(), unlimited)
	for _, b := range h.outstanding(2) {
		h.block(2, b)
	}
	assert.LessOrEqual(t, total(), 8, "refills stay under the new cap")
	assert.Positive(t, total())

	h.s.SetMaxOutstanding(0)
	assert.Greater(t, total(), 8, "no cap: the pipelines fill again")
}
