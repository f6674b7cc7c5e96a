package engine

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/persist"
	"github.com/stretchr/testify/require"
)

// opLog records, in order, the syncs of a torrent's data and the saves of
// its resume record.
type opLog struct {
	mu  sync.Mutex
	ops []string
}

func (l *opLog) add(op string) {
	l.mu.Lock()
	l.ops = append(l.ops, op)
	l.mu.Unlock()
}

func (l *opLog) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.ops...)
}

// syncedMemory is memory storage whose Sync is logged (and can fail).
type syncedMemory struct {
	*persist.Memory
	log     *opLog
	syncErr error
}

func (s *syncedMemory) Sync() error {
	if s.syncErr != nil {
		s.log.add("sync failed")
		return s.syncErr
	}
	s.log.add("sync")
	return nil
}

// loggedState is a state store whose saves are logged.
type loggedState struct {
	*persist.MemoryStateStore
	log *opLog
}

func (s loggedState) Save(r *persist.Record) error {
	s.log.add("save")
	return s.MemoryStateStore.Save(r)
}

// recordTorrent starts a torrent of 64 KiB with no peers on an engine
// run by a fake clock; its data and record operations go to the log.
func recordTorrent(t *testing.T, syncErr error) (*Engine, *Torrent, *FakeClock, *opLog, loggedState) {
	t.Helper()
	content := bytes.Repeat([]byte("braid"), 64<<10/5+1)[:64<<10]
	raw, err := metainfo.Create(metainfo.CreateOptions{Name: "f", SingleFile: true,
		Files: []metainfo.FileSpec{{Path: []string{"f"}, Length: int64(len(content))}}, PieceLength: 16 << 10},
		bytes.NewReader(content))
	require.NoError(t, err)
	mi, err := metainfo.Parse(raw)
	require.NoError(t, err)
	clk := NewFakeClock(time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC))
	e := New(Config{Clock: clk, HashWorkers: 1, NoClassicTrackers: true})
	log := &opLog{}
	state := loggedState{persist.NewMemoryStateStore(), log}
	tor, err := e.AddTorrent(Spec{InfoHash: mi.InfoHash, Info: mi.Info, InfoBytes: mi.InfoBytes, SavePath: "x",
		Storage: &syncedMemory{Memory: persist.NewMemory(mi.Info.Length), log: log, syncErr: syncErr}, State: state})
	require.NoError(t, err)
	<-tor.Checked()
	require.Eventually(t, func() bool { return clk.Subscribers() == 1 }, 5*time.Second, time.Millisecond,
		"the torrent's loop listens to the clock")
	return e, tor, clk, log, state
}

func TestRecordSavesSyncDataFirst(t *testing.T) {
	t.Run("start and periodic save", func(t *testing.T) {
		e, tor, clk, log, state := recordTorrent(t, nil)
		defer e.Close()
		require.Equal(t, []string{"sync", "save"}, log.get(), "a record from the first second on")
		// The record goes stale (as a verified piece would make it).
		require.True(t, tor.do(func() { tor.savedHave = -1 }))
		clk.Advance(recordEvery / 2)
		require.True(t, tor.do(func() {}), "the tick is handled")
		require.Equal(t, []string{"sync", "save"}, log.get(), "no save before recordEvery")
		clk.Advance(recordEvery / 2)
		require.Eventually(t, func() bool { return len(log.get()) == 4 }, 5*time.Second, time.Millisecond)
		require.Equal(t, []string{"sync", "save", "sync", "save"}, log.get())
		// Nothing changed since: an idle torrent writes nothing.
		clk.Advance(2 * recordEvery)
		require.True(t, tor.do(func() {}))
		require.Len(t, log.get(), 4)
		rec, err := state.Load(tor.InfoHash())
		require.NoError(t, err)
		require.Equal(t, clk.Now().Add(-3*recordEvery).Unix(), rec.AddedAt, "times come from the engine's clock")
	})
	t.Run("StopAndSerialize", func(t *testing.T) {
		e, tor, _, log, _ := recordTorrent(t, nil)
		defer e.Close()
		require.NoError(t, tor.StopAndSerialize(context.Background()))
		require.Equal(t, []string{"sync", "save", "sync", "save"}, log.get())
		require.Equal(t, StateStopped, tor.State())
	})
	t.Run("engine shutdown", func(t *testing.T) {
		e, _, _, log, _ := recordTorrent(t, nil)
		require.NoError(t, e.Close())
		require.Equal(t, []string{"sync", "save", "sync", "save"}, log.get())
	})
	t.Run("a failed sync writes no record", func(t *testing.T) {
		e, tor, _, log, _ := recordTorrent(t, errors.New("disk gone"))
		defer e.Close()
		err := tor.StopAndSerialize(context.Background())
		require.ErrorContains(t, err, "sync data: disk gone")
		require.NotContains(t, log.get(), "save")
	})
}
