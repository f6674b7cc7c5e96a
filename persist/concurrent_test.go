//go:build !js

package persist

import (
	"errors"
	"io/fs"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid/core/metainfo"
)

// Hashing workers read finished pieces while the torrent loop writes new
// ones and the LRU churns; run with -race.
func TestFileStorageConcurrentReadersAndWriter(t *testing.T) {
	const pieceLen = 1000
	var files []metainfo.File
	for i := range 12 {
		files = append(files, file(int64(700+i*211), "dir"+string(rune('a'+i%3)), "f"+string(rune('a'+i))))
		if i%4 == 0 {
			files = append(files, file(0, "z"+string(rune('a'+i))))
		}
	}
	info := handInfo("t", true, files...)
	s, err := OpenFiles(t.TempDir(), info, FileOptions{MaxOpenFiles: 3})
	require.NoError(t, err)
	defer s.Close()

	content := randomBytes(int(info.Length), 9)
	numPieces := (len(content) + pieceLen - 1) / pieceLen
	piece := func(p int) []byte { return content[p*pieceLen : min((p+1)*pieceLen, len(content))] }
	order := rand.New(rand.NewPCG(3, 4)).Perm(numPieces)

	done := make([]atomic.Bool, numPieces)
	var finished atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 99))
			buf := make([]byte, pieceLen)
			for !finished.Load() {
				p := r.IntN(numPieces)
				want := piece(p)
				had := done[p].Load()
				n, err := s.ReadAt(buf[:len(want)], int64(p*pieceLen))
				if !had {
					// Racing the writer: absent or partial is fine, errors other than absence are not.
					if err != nil && !errors.Is(err, fs.ErrNotExist) {
						errs <- err
						return
					}
					continue
				}
				if err != nil || n != len(want) || string(buf[:n]) != string(want) {
					errs <- errors.New("finished piece read back wrong")
					return
				}
			}
		}()
	}
	for _, p := range order {
		_, err := s.WriteAt(piece(p), int64(p*pieceLen))
		require.NoError(t, err)
		done[p].Store(true)
	}
	require.NoError(t, s.Sync())
	finished.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	got := make([]byte, len(content))
	_, err = s.ReadAt(got, 0)
	require.NoError(t, err)
	assert.Equal(t, content, got)
}
