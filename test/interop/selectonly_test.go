package interop

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestMagnetSelectOnly downloads a magnet with so=0,2 (BEP 53) of a
// four-file torrent from `braid seed`: files 0 and 2 must end complete and
// correct; files 1 and 3 must not exist, or hold nothing but the bytes of the
// pieces they share with a selected file (anything else on disk is zero and
// unallocated). braid must also not fetch much more than the selected pieces.
func TestMagnetSelectOnly(t *testing.T) {
	parallel(t)
	c := smallContent(t)
	braidPath(t)
	work := t.TempDir()
	seedDir := filepath.Join(work, "seed")
	c.copyTo(t, seedDir)
	torrent := filepath.Join(work, "t.torrent")
	meta := createTorrent(t, c, torrent, smallPiece)
	require.Len(t, meta.files, 4)
	seeder := startBraidRun(t, "braid-seed", "seed", torrent,
		braidRun{braidOpts: braidOpts{dir: seedDir, stateDir: filepath.Join(work, "seed-state")}})
	waitBraidSeeding(t, seeder, c.total, 30*time.Second)

	selected := map[int]bool{0: true, 2: true}
	wanted := map[int64]bool{} // pieces touching a selected file
	for i, f := range meta.files {
		if selected[i] {
			for p := f.offset / meta.pieceLength; p <= (f.offset+f.length-1)/meta.pieceLength; p++ {
				wanted[p] = true
			}
		}
	}
	dl := filepath.Join(work, "dl")
	start := time.Now()
	b := startBraidRun(t, "braid-select", "download",
		magnetURI(meta.infoHash, "dn", contentName, "x.pe", braidAddr(t, seeder), "so", "0,2"),
		braidRun{braidOpts: braidOpts{dir: dl, stateDir: filepath.Join(work, "state")}})
	done := waitBraidComplete(t, b, 60*time.Second)
	recordTiming(t, "braid magnet so=0,2", time.Since(start))

	for i, f := range meta.files {
		got := filepath.Join(dl, contentName, filepath.FromSlash(f.path))
		src := filepath.Join(c.dir(), filepath.FromSlash(f.path))
		if selected[i] {
			requireSameFile(t, src, got)
			continue
		}
		requireOnlySharedPieces(t, meta, wanted, f, src, got)
	}
	maxFetch := int64(len(wanted)+4) * meta.pieceLength
	require.LessOrEqual(t, done.Fetched, maxFetch,
		"fetched %d bytes for %d selected pieces of %d bytes: unselected pieces were downloaded (%s)",
		done.Fetched, len(wanted), meta.pieceLength, done.raw)
}

// requireSameFile checks that got has exactly src's bytes.
func requireSameFile(t *testing.T, src, got string) {
	t.Helper()
	want, wantSize, err := sha256File(src)
	require.NoError(t, err)
	sum, size, err := sha256File(got)
	require.NoError(t, err, "selected file %s", got)
	require.Equal(t, wantSize, size, "size of selected file %s", got)
	require.Equal(t, want, sum, "content of selected file %s", got)
}

// requireOnlySharedPieces checks an unselected file: absent, or holding real
// bytes only where its pieces are shared with selected files, zeros (holes)
// elsewhere, and not much more disk than those shared bytes.
func requireOnlySharedPieces(t *testing.T, m *torrentMeta, wanted map[int64]bool, f torrentFile, src, got string) {
	t.Helper()
	own := 0
	var shared [][2]int64 // byte ranges of the file inside wanted pieces
	for p := f.offset / m.pieceLength; p <= (f.offset+f.length-1)/m.pieceLength; p++ {
		if !wanted[p] {
			own++
			continue
		}
		lo := max(p*m.pieceLength, f.offset) - f.offset
		hi := min((p+1)*m.pieceLength, f.offset+f.length) - f.offset
		shared = append(shared, [2]int64{lo, hi})
	}
	require.Positive(t, own, "test layout: unselected %s has no piece of its own", f.path)

	fi, err := os.Stat(got)
	if errors.Is(err, fs.ErrNotExist) {
		t.Logf("unselected %s: not created", f.path)
		return
	}
	require.NoError(t, err)
	require.LessOrEqual(t, fi.Size(), f.length, "unselected %s is longer than in the torrent", f.path)
	data, err := os.ReadFile(got)
	require.NoError(t, err)
	want, err := os.ReadFile(src)
	require.NoError(t, err)
	inShared := func(off int64) bool {
		for _, r := range shared {
			if off >= r[0] && off < r[1] {
				return true
			}
		}
		return false
	}
	var sharedBytes int64
	for _, r := range shared {
		sharedBytes += r[1] - r[0]
		lo, hi := min(r[0], int64(len(data))), min(r[1], int64(len(data)))
		part := data[lo:hi]
		if !bytes.Equal(part, want[lo:hi]) && !allZero(part) {
			t.Fatalf("unselected %s: bytes %d..%d of a shared piece are neither the content nor zero", f.path, lo, hi)
		}
	}
	for off := int64(0); off < int64(len(data)); off++ {
		if data[off] != 0 && !inShared(off) {
			t.Fatalf("unselected %s holds data at offset %d, outside the pieces it shares with selected files %v (file size on disk %d of %d)",
				f.path, off, shared, fi.Size(), f.length)
		}
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	require.True(t, ok)
	allocated := st.Blocks * 512
	const slack = 64 * kib // file system block rounding per range
	require.LessOrEqual(t, allocated, sharedBytes+int64(len(shared)+1)*slack,
		"unselected %s has %d bytes allocated on disk; only %d bytes of shared pieces belong there", f.path, allocated, sharedBytes)
	t.Logf("unselected %s: %d bytes long, %d allocated, %d bytes in shared pieces", f.path, fi.Size(), allocated, sharedBytes)
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
