package rpc

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/braid-bt/braid"
	"github.com/stretchr/testify/require"
)

// TestSaveWritesOnlyChanges: a save with nothing changed since the last
// one writes nothing; a change is written by the next save.
func TestSaveWritesOnlyChanges(t *testing.T) {
	path := filepath.Join(t.TempDir(), "daemon.json")
	st, err := loadStore(path, "/data")
	require.NoError(t, err)
	id, _ := st.add(entry{Hash: braid.InfoHash{1}, Name: "one"})
	require.NoError(t, st.save())
	require.FileExists(t, path)
	require.NoError(t, os.Remove(path))
	require.NoError(t, st.save())
	require.NoFileExists(t, path, "nothing changed: nothing written")
	st.update(id, func(e *entry) { e.Paused = true })
	require.NoError(t, st.save())
	st2, err := loadStore(path, "/data")
	require.NoError(t, err)
	e, ok := st2.get(id)
	require.True(t, ok)
	require.True(t, e.Paused)
}

// TestConcurrentSavesKeepEveryChange: adds saved from many goroutines at
// once (their saves coalesce) all reach the file.
func TestConcurrentSavesKeepEveryChange(t *testing.T) {
	path := filepath.Join(t.TempDir(), "daemon.json")
	st, err := loadStore(path, "/data")
	require.NoError(t, err)
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Go(func() {
			var ih braid.InfoHash
			copy(ih[:], fmt.Sprintf("%020d", i))
			st.add(entry{Hash: ih, Name: fmt.Sprint(i)})
			require.NoError(t, st.save())
		})
	}
	wg.Wait()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var sf stateFile
	require.NoError(t, json.Unmarshal(data, &sf))
	require.Len(t, sf.Torrents, 64)
}
