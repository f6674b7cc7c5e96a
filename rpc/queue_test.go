package rpc

import (
	"encoding/base64"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// addTorrent adds the two-file torrent "name" (its data written under
// f.dir when complete) and returns its id.
func addTorrent(t *testing.T, f *fixture, name string, complete, paused bool) int {
	t.Helper()
	raw, _ := makeTorrent(t, f.dir, name, complete)
	var added map[string]map[string]any
	require.Equal(t, "success", f.call(t, "torrent-add", map[string]any{"metainfo": base64.StdEncoding.EncodeToString(raw),
		"paused": paused}, &added))
	return int(added["torrent-added"]["id"].(float64))
}

func positions(t *testing.T, f *fixture) map[int]int {
	t.Helper()
	out := map[int]int{}
	for _, tor := range f.get(t, []string{"id", "queuePosition"}, nil) {
		out[int(tor["id"].(float64))] = int(tor["queuePosition"].(float64))
	}
	return out
}

func status(t *testing.T, f *fixture, id int) int {
	t.Helper()
	ts := f.get(t, []string{"status"}, []int{id})
	require.Len(t, ts, 1)
	return int(ts[0]["status"].(float64))
}

func TestQueueMove(t *testing.T) {
	f := newFixture(t, nil)
	for _, n := range []string{"q1", "q2", "q3", "q4"} {
		addTorrent(t, f, n, false, true)
	}
	require.Equal(t, map[int]int{1: 0, 2: 1, 3: 2, 4: 3}, positions(t, f))
	require.Equal(t, "success", f.call(t, "queue-move-top", map[string]any{"ids": []int{3}}, nil))
	require.Equal(t, map[int]int{3: 0, 1: 1, 2: 2, 4: 3}, positions(t, f))
	require.Equal(t, "success", f.call(t, "queue-move-bottom", map[string]any{"ids": []int{3, 1}}, nil))
	require.Equal(t, map[int]int{2: 0, 4: 1, 3: 2, 1: 3}, positions(t, f))
	require.Equal(t, "success", f.call(t, "queue-move-up", map[string]any{"ids": []int{1}}, nil))
	require.Equal(t, map[int]int{2: 0, 4: 1, 1: 2, 3: 3}, positions(t, f))
	require.Equal(t, "success", f.call(t, "queue-move-down", map[string]any{"ids": []int{2}}, nil))
	require.Equal(t, map[int]int{4: 0, 2: 1, 1: 2, 3: 3}, positions(t, f))
	require.Equal(t, "success", f.call(t, "queue-move-up", map[string]any{"ids": []int{4}}, nil), "the first stays first")
	require.Equal(t, "success", f.call(t, "torrent-set", map[string]any{"ids": []int{3}, "queuePosition": 1}, nil))
	require.Equal(t, map[int]int{4: 0, 3: 1, 2: 2, 1: 3}, positions(t, f))
	require.Contains(t, f.call(t, "torrent-set", map[string]any{"ids": []int{3}, "queuePosition": -1}, nil), `invalid argument "queuePosition"`)
	require.Contains(t, f.call(t, "torrent-set", map[string]any{"ids": []int{3}, "queuePosition": "top"}, nil), `invalid argument "queuePosition"`)
	require.Equal(t, map[int]int{4: 0, 3: 1, 2: 2, 1: 3}, positions(t, f), "bad input changed nothing")

	// Removing one closes the gap; the order survives a restart.
	require.Equal(t, "success", f.call(t, "torrent-remove", map[string]any{"ids": []int{3}}, nil))
	require.Equal(t, map[int]int{4: 0, 2: 1, 1: 2}, positions(t, f))
	srv2, err := New(Config{Client: f.c, DownloadDir: f.dir, StateFile: f.state})
	require.NoError(t, err)
	for id, pos := range map[int]int{4: 0, 2: 1, 1: 2} {
		e, _ := srv2.st.get(id)
		require.Equal(t, pos, e.QueuePos)
	}
}

// TestDownloadQueue: with a download queue of one, the second download
// waits (status 3, not running) until the first is stopped; start-now
// passes the queue by.
func TestDownloadQueue(t *testing.T) {
	f := newFixture(t, nil)
	require.Equal(t, "success", f.call(t, "session-set", map[string]any{"download-queue-enabled": true, "download-queue-size": 1}, nil))
	a := addTorrent(t, f, "dl1", false, false)
	b := addTorrent(t, f, "dl2", false, false)
	require.Equal(t, statusDownload, status(t, f, a))
	require.Equal(t, statusDownloadWait, status(t, f, b))
	require.Len(t, f.c.List(), 1)

	require.Equal(t, "success", f.call(t, "torrent-stop", map[string]any{"ids": []int{a}}, nil))
	require.Equal(t, statusStopped, status(t, f, a))
	require.Equal(t, statusDownload, status(t, f, b), "the waiting one starts")

	require.Equal(t, "success", f.call(t, "torrent-start", map[string]any{"ids": []int{a}}, nil))
	require.Equal(t, statusDownloadWait, status(t, f, a), "started again: it waits its turn")
	require.Equal(t, "success", f.call(t, "torrent-start-now", map[string]any{"ids": []int{a}}, nil))
	require.Equal(t, statusDownload, status(t, f, a))
	require.Equal(t, statusDownload, status(t, f, b))

	// A bigger queue lets both run; queueing off too.
	require.Equal(t, "success", f.call(t, "torrent-stop", nil, nil))
	require.Equal(t, "success", f.call(t, "torrent-start", nil, nil))
	require.Len(t, f.c.List(), 1)
	require.Equal(t, "success", f.call(t, "session-set", map[string]any{"download-queue-size": 2}, nil))
	require.Len(t, f.c.List(), 2)
	require.Equal(t, "success", f.call(t, "session-set", map[string]any{"download-queue-size": 1}, nil))
	require.Equal(t, statusDownload, status(t, f, a), "the first in the queue keeps running")
	require.Equal(t, statusDownloadWait, status(t, f, b))
	require.Equal(t, "success", f.call(t, "queue-move-top", map[string]any{"ids": []int{b}}, nil))
	require.Equal(t, statusDownloadWait, status(t, f, b), "a waiting torrent does not take a running one's room")
	require.Equal(t, "success", f.call(t, "torrent-stop", map[string]any{"ids": []int{a}}, nil))
	require.Equal(t, statusDownload, status(t, f, b))
	require.Equal(t, "success", f.call(t, "torrent-start", map[string]any{"ids": []int{a}}, nil))
	require.Equal(t, statusDownloadWait, status(t, f, a))
	require.Equal(t, "success", f.call(t, "session-set", map[string]any{"download-queue-enabled": false}, nil))
	require.Len(t, f.c.List(), 2)
	var sg map[string]any
	require.Equal(t, "success", f.call(t, "session-get", nil, &sg))
	require.Equal(t, false, sg["download-queue-enabled"])
	require.EqualValues(t, 1, sg["download-queue-size"])
}

// TestSeedQueue: with a seed queue of one, a second complete torrent
// waits to seed (status 5).
func TestSeedQueue(t *testing.T) {
	f := newFixture(t, nil)
	require.Equal(t, "success", f.call(t, "session-set", map[string]any{"seed-queue-enabled": true, "seed-queue-size": 1}, nil))
	a := addTorrent(t, f, "s1", true, false)
	waitFor(t, "seeding", func() bool { return status(t, f, a) == statusSeed })
	b := addTorrent(t, f, "s2", true, false)
	waitFor(t, "waiting to seed", func() bool { return status(t, f, b) == statusSeedWait })
	require.Equal(t, statusSeed, status(t, f, a))
	require.Len(t, f.c.List(), 1)
}

// TestSeedLimits: a torrent's own ratio limit stops it at once (ratio 0),
// an idle limit after that many minutes without upload, an unlimited one
// seeds on; the settings survive a restart of the server.
func TestSeedLimits(t *testing.T) {
	f := newFixture(t, nil)
	ratio := addTorrent(t, f, "ratio", true, false)
	idle := addTorrent(t, f, "idle", true, false)
	free := addTorrent(t, f, "free", true, false)
	for _, id := range []int{ratio, idle, free} {
		waitFor(t, "seeding", func() bool { return status(t, f, id) == statusSeed })
	}
	require.Equal(t, "success", f.call(t, "torrent-set", map[string]any{"ids": []int{ratio}, "seedRatioMode": 1, "seedRatioLimit": 0}, nil))
	require.Equal(t, "success", f.call(t, "torrent-set", map[string]any{"ids": []int{idle}, "seedIdleMode": 1, "seedIdleLimit": 1, "seedRatioMode": 2}, nil))
	require.Equal(t, "success", f.call(t, "torrent-set", map[string]any{"ids": []int{free}, "seedRatioMode": 2, "seedIdleMode": 2}, nil))
	require.Equal(t, "success", f.call(t, "session-set", map[string]any{"seedRatioLimited": true, "seedRatioLimit": 0,
		"idle-seeding-limit-enabled": true, "idle-seeding-limit": 1}, nil))
	for _, bad := range []map[string]any{{"seedRatioMode": 3}, {"seedRatioMode": 1.5}, {"seedRatioLimit": -1}, {"seedIdleLimit": "x"}} {
		bad["ids"] = []int{free}
		require.Contains(t, f.call(t, "torrent-set", bad, nil), "invalid argument")
	}
	now := time.Now()
	f.srv.tick(now)
	tor := f.get(t, []string{"status", "isFinished"}, []int{ratio})[0]
	require.EqualValues(t, statusStopped, tor["status"], "the ratio limit stops it")
	require.Equal(t, true, tor["isFinished"])
	require.Equal(t, statusSeed, status(t, f, idle), "not idle long enough yet")
	f.srv.tick(now.Add(2 * time.Minute))
	require.Equal(t, statusStopped, status(t, f, idle), "the idle limit stops it")
	require.Equal(t, statusSeed, status(t, f, free), "unlimited: seeds on")
	require.Len(t, f.c.List(), 1)

	srv2, err := New(Config{Client: f.c, DownloadDir: f.dir, StateFile: f.state, SettingsFile: f.settings})
	require.NoError(t, err)
	e, _ := srv2.st.get(idle)
	require.Equal(t, 1, e.SeedIdleMode)
	require.EqualValues(t, 1, e.SeedIdleLimit)
	require.True(t, e.Paused)
	require.True(t, e.Finished)
	require.True(t, srv2.sess.boolean("seedRatioLimited"), "session settings come back from the settings file")
	require.EqualValues(t, 1, srv2.sess.int("idle-seeding-limit"))

	// Starting a finished torrent clears isFinished.
	require.Equal(t, "success", f.call(t, "torrent-start", map[string]any{"ids": []int{ratio}}, nil))
	require.Equal(t, false, f.get(t, []string{"isFinished"}, []int{ratio})[0]["isFinished"])
}

// TestStalledTorrentsTakeNoRoom: a download that moved nothing for
// queue-stalled-minutes is stalled (isStalled) and the next one starts.
func TestStalledTorrentsTakeNoRoom(t *testing.T) {
	f := newFixture(t, nil)
	require.Equal(t, "success", f.call(t, "session-set", map[string]any{"download-queue-size": 1, "queue-stalled-minutes": 1}, nil))
	a := addTorrent(t, f, "st1", false, false)
	b := addTorrent(t, f, "st2", false, false)
	require.Equal(t, statusDownloadWait, status(t, f, b))
	now := time.Now()
	f.srv.tick(now)
	require.Equal(t, false, f.get(t, []string{"isStalled"}, []int{a})[0]["isStalled"])
	require.Equal(t, statusDownloadWait, status(t, f, b))
	f.srv.tick(now.Add(2 * time.Minute))
	require.Equal(t, true, f.get(t, []string{"isStalled"}, []int{a})[0]["isStalled"])
	require.Equal(t, statusDownload, status(t, f, a), "a stalled torrent keeps running")
	require.Equal(t, statusDownload, status(t, f, b), "and takes no room")

	// With stalled detection off, both count again: the later one waits.
	require.Equal(t, "success", f.call(t, "session-set", map[string]any{"queue-stalled-enabled": false}, nil))
	f.srv.tick(now.Add(3 * time.Minute))
	require.Equal(t, statusDownload, status(t, f, a))
	require.Equal(t, statusDownloadWait, status(t, f, b))
}
