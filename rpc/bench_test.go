package rpc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/braid-bt/braid"
	"github.com/braid-bt/braid/core/metainfo"
)

// listFields are the fields a web UI's torrent list asks for.
var listFields = []string{"id", "name", "status", "error", "errorString", "eta", "isFinished", "isStalled", "leftUntilDone",
	"metadataPercentComplete", "peersConnected", "peersGettingFromUs", "peersSendingToUs", "percentDone", "queuePosition",
	"rateDownload", "rateUpload", "recheckProgress", "seedRatioMode", "seedRatioLimit", "sizeWhenDone", "totalSize",
	"uploadRatio", "uploadedEver", "labels", "downloadDir"}

// benchGet runs torrent-get of the list fields in format through the
// HTTP handler, b.N times.
func benchGet(b *testing.B, srv *Server, format string, want int) {
	body, _ := json.Marshal(map[string]any{"method": "torrent-get", "arguments": map[string]any{"format": format,
		"fields": listFields}})
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("POST", Path, bytesReader(body))
		req.Host = "127.0.0.1:9091"
		req.Header.Set("X-Transmission-Session-Id", srv.SessionID())
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
		var out struct {
			Arguments struct{ Torrents []json.RawMessage } `json:"arguments"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil || len(out.Arguments.Torrents) < want {
			b.Fatalf("%d torrents, %v", len(out.Arguments.Torrents), err)
		}
	}
}

// seedingServer runs n seeding one-piece torrents (no peers), as a
// daemon holding that many does.
func seedingServer(b *testing.B, n int) *Server {
	dir := b.TempDir()
	c, err := braid.New(braid.Config{DataDir: dir, StateDir: dir + "/.state", NoListen: true, NoDHT: true,
		NoPortMapping: true, NoWebRTC: true, NoUTP: true, NoLSD: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Close() })
	srv, err := New(Config{Client: c, DownloadDir: dir})
	if err != nil {
		b.Fatal(err)
	}
	for i := range n {
		name := fmt.Sprintf("s%05d", i)
		data := []byte(name + " seeding benchmark data")
		raw, err := metainfo.Create(metainfo.CreateOptions{Name: name, PieceLength: 16384,
			Files: []metainfo.FileSpec{{Path: []string{"f"}, Length: int64(len(data))}}}, bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name, "f"), data, 0o644); err != nil {
			b.Fatal(err)
		}
		t, err := c.DownloadBytes(b.Context(), raw, braid.WithDir(dir))
		if err != nil {
			b.Fatal(err)
		}
		srv.st.add(entry{Hash: t.InfoHash(), Name: name, Dir: dir, TotalSize: int64(len(data))})
		<-t.Checked()
	}
	return srv
}

// BenchmarkTorrentGetSeeding2000: torrent-get of the list fields of
// 2,000 running (seeding, peerless) torrents, table and object formats.
func BenchmarkTorrentGetSeeding2000(b *testing.B) {
	srv := seedingServer(b, 2000)
	b.Run("table", func(b *testing.B) { benchGet(b, srv, "table", 2001) })
	b.Run("objects", func(b *testing.B) { benchGet(b, srv, "objects", 2000) })
}

// BenchmarkTorrentGetTable2000: torrent-get of the list fields of 2,000
// (stopped) torrents in the table format, through the HTTP handler.
func BenchmarkTorrentGetTable2000(b *testing.B) {
	dir := b.TempDir()
	c, err := braid.New(braid.Config{DataDir: dir, StateDir: dir + "/.state", NoListen: true, NoDHT: true,
		NoPortMapping: true, NoWebRTC: true, NoUTP: true})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	srv, err := New(Config{Client: c, DownloadDir: dir})
	if err != nil {
		b.Fatal(err)
	}
	for i := range 2000 {
		var ih braid.InfoHash
		copy(ih[:], fmt.Sprintf("%020d", i))
		e := entry{Hash: ih, Name: fmt.Sprintf("t%d", i), Dir: dir, Paused: i%2 == 0, TotalSize: 1 << 30, Left: int64(i) << 10,
			Files: []fileInfo{{Index: 0, Path: fmt.Sprintf("t%d/a", i), Length: 1 << 29}, {Index: 1, Path: fmt.Sprintf("t%d/b", i), Length: 1 << 29}}}
		srv.st.add(e)
	}
	body, _ := json.Marshal(map[string]any{"method": "torrent-get", "arguments": map[string]any{"format": "table",
		"fields": []string{"id", "name", "status", "error", "errorString", "eta", "isFinished", "isStalled", "leftUntilDone",
			"metadataPercentComplete", "peersConnected", "peersGettingFromUs", "peersSendingToUs", "percentDone", "queuePosition",
			"rateDownload", "rateUpload", "recheckProgress", "seedRatioMode", "seedRatioLimit", "sizeWhenDone", "totalSize",
			"uploadRatio", "uploadedEver", "labels", "downloadDir"}}})
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("POST", Path, bytesReader(body))
		req.Host = "127.0.0.1:9091"
		req.Header.Set("X-Transmission-Session-Id", srv.SessionID())
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
