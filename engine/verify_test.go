package engine

import (
	"bytes"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/persist"
)

// markedMemory is memory storage with verified marks (persist.VerifiedStore).
type markedMemory struct {
	*persist.Memory
	mu       sync.Mutex
	verified []int // found marked when "opened"
	stored   []int
	marked   []int // MarkVerified calls
}

func (m *markedMemory) MarkVerified(p int) {
	m.mu.Lock()
	m.marked = append(m.marked, p)
	m.mu.Unlock()
}
func (m *markedMemory) VerifiedPieces() []int { return m.verified }
func (m *markedMemory) StoredPieces() []int   { return m.stored }

func (m *markedMemory) marks() []int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Sorted(slices.Values(m.marked))
}

// TestStartTrustsVerifiedMarks: pieces the storage found marked are taken
// as present without hashing (even were their bytes wrong, which is the
// storage's promise to keep); the other stored pieces are hashed, and
// those that pass are marked; pieces never stored are not read.
func TestStartTrustsVerifiedMarks(t *testing.T) {
	const pl = 16 << 10
	content := bytes.Repeat([]byte("verified"), 6*pl/8)
	raw, err := metainfo.Create(metainfo.CreateOptions{Name: "f", SingleFile: true,
		Files: []metainfo.FileSpec{{Path: []string{"f"}, Length: int64(len(content))}}, PieceLength: pl},
		bytes.NewReader(content))
	require.NoError(t, err)
	mi, err := metainfo.Parse(raw)
	require.NoError(t, err)
	mem := persist.NewMemory(mi.Info.Length)
	// Pieces 0 and 1 hold their data, 2 holds garbage, 3 is marked but
	// holds zeros, 4 and 5 were never stored.
	_, err = mem.WriteAt(content[:2*pl], 0)
	require.NoError(t, err)
	_, err = mem.WriteAt(bytes.Repeat([]byte{7}, pl), 2*pl)
	require.NoError(t, err)
	st := &markedMemory{Memory: mem, verified: []int{0, 3}, stored: []int{0, 1, 2, 3}}

	e := New(Config{Clock: NewFakeClock(time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)), HashWorkers: 2, NoClassicTrackers: true})
	defer e.Close()
	tor, err := e.AddTorrent(Spec{InfoHash: mi.InfoHash, Info: mi.Info, InfoBytes: mi.InfoBytes, SavePath: "x",
		Storage: st, CheckAll: true})
	require.NoError(t, err)
	<-tor.Checked()
	require.Equal(t, CheckResult{Checked: 2, Valid: 3, Invalid: 1, Trusted: 2}, tor.CheckResult())
	require.Equal(t, []int{1}, st.marks(), "the piece that passed is marked")
	var have []int
	require.True(t, tor.do(func() { have = tor.sess.Have().Indices() }))
	require.Equal(t, []int{0, 1, 3}, have)
}
