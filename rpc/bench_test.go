package rpc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/braid-bt/braid"
)

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
