package hostile

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/braid-bt/braid"
	"github.com/stretchr/testify/require"
)

// mountTmpfs mounts a tmpfs of the given size ("8m") on a fresh directory
// and unmounts it when the test ends. The tests run as root; a failure to
// mount fails the test, it never skips it.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "small")
	require.NoError(t, os.Mkdir(dir, 0o755))
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("disk-full test needs root to mount a tmpfs (mount -t tmpfs -o size=%s tmpfs %s): %v: %s", size, dir, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
			_ = exec.Command("umount", "-l", dir).Run()
		}
	})
	return dir
}

func remount(t *testing.T, dir, size string) {
	t.Helper()
	out, err := exec.Command("mount", "-o", "remount,size="+size, dir).CombinedOutput()
	require.NoError(t, err, "remount %s: %s", dir, out)
}

// fillDisk downloads a 16 MiB torrent into an 8 MiB tmpfs and waits for
// the torrent to stop with the disk's error.
func fillDisk(t *testing.T, c *content, seeder string) (mnt, state string, victim *braid.Client, tor *braid.Torrent) {
	t.Helper()
	mnt = mountTmpfs(t, "8m")
	state = filepath.Join(t.TempDir(), "state")
	victim = newClient(t, braid.Config{DataDir: mnt, StateDir: state})
	tor, err := victim.DownloadBytes(context.Background(), c.torrent, braid.WithPeers(seeder))
	require.NoError(t, err)
	require.True(t, eventually(30*time.Second, func() bool { return tor.State() == "error" }),
		"torrent state %q, want \"error\" once the disk is full (err %v)", tor.State(), tor.Err())
	require.Error(t, tor.Err())
	require.Contains(t, tor.Err().Error(), "no space left on device")
	st, err := victim.Stats(c.ih, "state", "error", "pieces")
	require.NoError(t, err)
	require.Equal(t, "error", st["state"])
	require.Contains(t, st["error"], "no space left on device")
	t.Logf("disk full: %v; %d of %d pieces verified", tor.Err(), st["pieces"].(braid.Pieces).Have, c.info.NumPieces())

	// The record survives and claims nothing the disk lacks.
	claims, exists := recordClaims(t, filepath.Join(state, c.ih.String()+".resume"), c)
	require.True(t, exists, "resume record after the disk filled")
	onDisk := piecesOnDisk(c, filepath.Join(mnt, c.name))
	for _, i := range claims {
		require.True(t, onDisk[i], "record claims piece %d, wrong on disk", i)
	}
	return mnt, state, victim, tor
}

// TestDiskFull: a download that fills the disk stops with a clear error
// and a readable resume record, and resumes once there is room again.
func TestDiskFull(t *testing.T) {
	c := makeContent(t, "full.bin", 16<<20, 256<<10, 9)
	seeder, _ := startSeeder(t, c, braid.Config{})

	t.Run("download again on the same client", func(t *testing.T) {
		mnt, _, victim, first := fillDisk(t, c, seeder.ListenAddr())
		remount(t, mnt, "64m")
		tor, err := victim.DownloadBytes(context.Background(), c.torrent, braid.WithPeers(seeder.ListenAddr()))
		require.NoError(t, err)
		if tor == first && tor.State() == "error" {
			t.Fatalf("Download after the disk error returned the stopped torrent (state %q, err %v): "+
				"the user has no way to resume it short of StopAndSerialize or a restart", tor.State(), tor.Err())
		}
		waitComplete(t, tor, 60*time.Second)
		requireContent(t, c, mnt)
	})

	t.Run("restart with a new client", func(t *testing.T) {
		mnt, state, victim, _ := fillDisk(t, c, seeder.ListenAddr())
		require.NoError(t, victim.Close())
		remount(t, mnt, "64m")
		again := newClient(t, braid.Config{DataDir: mnt, StateDir: state})
		tor, err := again.DownloadBytes(context.Background(), c.torrent, braid.WithPeers(seeder.ListenAddr()))
		require.NoError(t, err)
		require.Equal(t, braid.RecordOK, tor.RecordStatus())
		cr := tor.CheckResult()
		t.Logf("resumed: checked %d, valid %d, invalid %d", cr.Checked, cr.Valid, cr.Invalid)
		require.Positive(t, cr.Valid, "pieces written before the disk filled are kept")
		waitComplete(t, tor, 60*time.Second)
		requireContent(t, c, mnt)
		fetched := stat[int64](t, again, c.ih, "fetched")
		require.Less(t, fetched, int64(len(c.data)), "only what was missing is fetched again")
	})
}
