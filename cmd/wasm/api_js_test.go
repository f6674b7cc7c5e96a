//go:build js && wasm

package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"syscall/js"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/internal/jsbridge"
)

// These run under Node with fake-indexeddb (make wasm-browser): the
// exported methods, called as JavaScript calls them, settle their promises.

// call invokes the exported method name with args and waits for its promise.
func call(t *testing.T, a *api, name string, args ...any) (js.Value, error) {
	t.Helper()
	fn, ok := a.methods()[name]
	require.True(t, ok, name)
	vals := make([]js.Value, len(args))
	for i, v := range args {
		vals[i] = js.ValueOf(v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return jsbridge.Await(ctx, fn(js.Undefined(), vals).(js.Value))
}

func mustCall(t *testing.T, a *api, name string, args ...any) js.Value {
	t.Helper()
	v, err := call(t, a, name, args...)
	require.NoError(t, err, name)
	return v
}

// errCode is the code of the Error a rejected call carried.
func errCode(t *testing.T, a *api, name string, args ...any) string {
	t.Helper()
	fn := a.methods()[name]
	vals := make([]js.Value, len(args))
	for i, v := range args {
		vals[i] = js.ValueOf(v)
	}
	var code string
	done := make(chan struct{})
	onErr := js.FuncOf(func(_ js.Value, p []js.Value) any {
		code = p[0].Get("code").String()
		close(done)
		return nil
	})
	defer onErr.Release()
	onOK := js.FuncOf(func(js.Value, []js.Value) any { close(done); return nil })
	defer onOK.Release()
	fn(js.Undefined(), vals).(js.Value).Call("then", onOK, onErr)
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not settle", name)
	}
	return code
}

func startAPI(t *testing.T, db string) *api {
	t.Helper()
	a := &api{}
	mustCall(t, a, "start", map[string]any{"dbName": db, "trackers": []any{}, "publicTrackers": []any{}, "iceServers": []any{}, "restore": false})
	c, err := a.c()
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return a
}

// files builds seed()'s argument: {name, data: Uint8Array} objects, given
// out of file-tree order.
func seedFiles() ([]any, map[string][]byte) {
	sizes := map[string]int{"zz.bin": 70_000, "aa.bin": 16 << 10, "mm.bin": 1234}
	list := []any{}
	data := map[string][]byte{}
	for _, name := range []string{"zz.bin", "aa.bin", "mm.bin"} {
		b := make([]byte, sizes[name])
		for i := range b {
			b[i] = byte(i*7 + len(name) + sizes[name])
		}
		data[name] = b
		list = append(list, map[string]any{"name": name, "data": jsbridge.Uint8Array(b)})
	}
	return list, data
}

func torrentBytes(v js.Value) []byte {
	b := make([]byte, v.Get("byteLength").Int())
	js.CopyBytesToGo(b, v)
	return b
}

// seed() makes the torrent kind its protocol option names; the result and
// stats carry both hashes and the protocol, and get, stats and remove
// find the torrent by its 40-hex and its 64-hex hash. A torrent added
// again over the stored data is verified in the browser build (SHA-1, or
// SHA-256 Merkle trees by WebCrypto for v2) and seeds.
func TestSeedProtocolsInTheBrowserBuild(t *testing.T) {
	for _, proto := range []string{"", "v1", "v2", "hybrid"} {
		t.Run("protocol="+proto, func(t *testing.T) {
			a := startAPI(t, "wasm-api-seed-"+proto)
			list, data := seedFiles()
			opts := map[string]any{"name": "pack", "trackers": []any{}, "pieceLength": 16 << 10}
			if proto != "" {
				opts["protocol"] = proto
			}
			r := mustCall(t, a, "seed", list, opts)
			want := proto
			if want == "" {
				want = "v1"
			}
			raw := torrentBytes(r.Get("torrent"))
			mi, err := metainfo.Parse(raw)
			require.NoError(t, err)
			assert.Equal(t, want != "v2", mi.Info.HasV1())
			assert.Equal(t, want != "v1", mi.Info.HasV2())
			ih, v2 := r.Get("infoHash").String(), r.Get("infoHashV2").String()
			assert.Equal(t, want, r.Get("protocol").String())
			assert.Len(t, ih, 40)
			hashes := []string{ih}
			if want == "v1" {
				assert.Empty(t, v2)
			} else {
				assert.Equal(t, hex.EncodeToString(mi.InfoHashV2[:]), v2)
				hashes = append(hashes, v2)
			}
			if want == "v2" {
				assert.Equal(t, v2[:40], ih, "a v2-only torrent is named by its truncated v2 hash")
			} else {
				assert.Equal(t, hex.EncodeToString(mi.InfoHash[:]), ih)
			}
			for _, h := range hashes {
				st := mustCall(t, a, "stats", h, []any{"info_hash", "info_hash_v2", "protocol"})
				assert.Equal(t, ih, st.Get("info_hash").String(), h)
				assert.Equal(t, v2, st.Get("info_hash_v2").String(), h)
				assert.Equal(t, want, st.Get("protocol").String(), h)
				g := mustCall(t, a, "get", h)
				assert.Equal(t, want, g.Get("protocol").String(), h)
				assert.Equal(t, v2, g.Get("info_hash_v2").String(), h)
			}
			// The files read back as given, each at its place in the torrent.
			fs := mustCall(t, a, "listFiles", hashes[len(hashes)-1])
			require.Equal(t, len(data), fs.Length())
			for i := 0; i < fs.Length(); i++ {
				f := fs.Index(i)
				want := data[f.Get("name").String()]
				got := mustCall(t, a, "read", ih, f.Get("index").Int(), 0, len(want)+10)
				assert.Equal(t, sha256.Sum256(want), sha256.Sum256(torrentBytes(got)), f.Get("name").String())
			}

			// Removed (data kept), its verified marks dropped, and added
			// again: every piece is hashed in the browser build.
			mustCall(t, a, "remove", hashes[len(hashes)-1], map[string]any{"deleteData": false})
			assert.Equal(t, "torrent_not_found", errCode(t, a, "stats", ih))
			forgetVerified(t, "wasm-api-seed-"+proto, ih)
			d := mustCall(t, a, "download", jsbridge.Uint8Array(raw))
			assert.Equal(t, ih, d.Get("infoHash").String())
			assert.Equal(t, want, d.Get("protocol").String())
			assert.Equal(t, v2, d.Get("infoHashV2").String())
			require.Eventually(t, func() bool {
				st := mustCall(t, a, "stats", ih, []any{"state", "left", "hash_fails"})
				return st.Get("state").String() == "seeding" && st.Get("left").Int() == 0
			}, 30*time.Second, 50*time.Millisecond, "the stored data verifies")
			res := mustCall(t, a, "stats", ih, []any{"resume"}).Get("resume")
			assert.Equal(t, mi.Info.NumPieces(), res.Get("checked").Int(), "every piece hashed")
			assert.Equal(t, mi.Info.NumPieces(), res.Get("valid").Int())
			assert.Zero(t, res.Get("invalid").Int())
			assert.Zero(t, res.Get("trusted").Int())
			mustCall(t, a, "remove", ih, map[string]any{"deleteData": true})
		})
	}
}

// forgetVerified deletes the verified marks persist keeps for a torrent
// in IndexedDB (key "<hex>/v" of the "pieces" store), so its next start
// hashes every stored piece instead of trusting them.
func forgetVerified(t *testing.T, db, ih string) {
	t.Helper()
	del := js.Global().Get("Function").New("name", "key", `return new Promise((resolve, reject) => {
		const r = indexedDB.open(name)
		r.onerror = () => reject(r.error)
		r.onsuccess = () => {
			const db = r.result
			const tx = db.transaction(['pieces'], 'readwrite')
			tx.objectStore('pieces').delete(key)
			tx.oncomplete = () => { db.close(); resolve() }
			tx.onerror = () => { db.close(); reject(tx.error) }
		}
	})`)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := jsbridge.Await(ctx, del.Invoke(db, ih+"/v"))
	require.NoError(t, err)
}

// Bad seed options are rejected with the bad_argument code.
func TestSeedOptionErrors(t *testing.T) {
	a := startAPI(t, "wasm-api-seed-errors")
	list, _ := seedFiles()
	for _, opts := range []map[string]any{
		{"protocol": "v3"},
		{"protocol": 2},
		{"pieceLength": "big"},
		{"pieceLength": 1000},
		{"pieceLength": -16384},
		{"protocol": "v2", "pieceLength": 3 * 16 << 10},
		{"protocol": "hybrid", "pieceLength": 48 << 10},
	} {
		opts["trackers"] = []any{}
		assert.Equal(t, "bad_argument", errCode(t, a, "seed", list, opts), "%v", opts)
	}
	assert.Equal(t, "torrent_not_found", errCode(t, a, "stats", "zz"))
	c, err := a.c()
	require.NoError(t, err)
	assert.Empty(t, c.List())
}

// A v2-only and a hybrid torrent seeded in one page come back in the next
// (same database, restore on): saved() lists them, start() resumes them
// from their records, and they seed with their protocol.
func TestV2TorrentsRestoreAfterReload(t *testing.T) {
	const db = "wasm-api-reload-v2"
	first := &api{}
	mustCall(t, first, "start", map[string]any{"dbName": db, "trackers": []any{}, "publicTrackers": []any{}, "iceServers": []any{}, "restore": false})
	want := map[string]string{} // info hash -> protocol
	for _, proto := range []string{"v2", "hybrid"} {
		list, _ := seedFiles()
		r := mustCall(t, first, "seed", list, map[string]any{"name": "pack-" + proto, "trackers": []any{}, "protocol": proto})
		want[r.Get("infoHash").String()] = proto
	}
	mustCall(t, first, "stopAllAndSerialize")
	c, err := first.c()
	require.NoError(t, err)
	require.NoError(t, c.Close())

	second := startAPIRestoring(t, db)
	saved := mustCall(t, second, "saved")
	require.Equal(t, 2, saved.Length())
	require.Eventually(t, func() bool {
		l := mustCall(t, second, "list")
		if l.Length() != len(want) {
			return false
		}
		for i := 0; i < l.Length(); i++ {
			st := l.Index(i)
			if want[st.Get("info_hash").String()] != st.Get("protocol").String() || st.Get("state").String() != "seeding" {
				return false
			}
		}
		return true
	}, 30*time.Second, 50*time.Millisecond, "both torrents seed again with their protocol")
}

func startAPIRestoring(t *testing.T, db string) *api {
	t.Helper()
	a := &api{}
	mustCall(t, a, "start", map[string]any{"dbName": db, "trackers": []any{}, "publicTrackers": []any{}, "iceServers": []any{}})
	c, err := a.c()
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return a
}
