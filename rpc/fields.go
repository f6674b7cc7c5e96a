package rpc

import (
	"context"
	"net"
	"net/url"
	"strconv"

	"github.com/braid-bt/braid"
)

// Transmission's torrent status codes.
const (
	statusStopped     = 0
	statusCheck       = 2
	statusDownload    = 4
	statusSeed        = 6
	errLocal          = 3 // Transmission's TR_STAT_LOCAL_ERROR
	etaNotAvailable   = -1
	etaUnknown        = -2
	ratioNotAvailable = -1
)

// view is one torrent as torrent-get sees it: live figures for a running
// torrent, the remembered ones for a stopped torrent. Figures are loaded
// once, on first use.
type view struct {
	s     *Server
	e     entry
	t     *braid.Torrent
	stats braid.Stats
	files []fileInfo
	got   map[string]any
	have  struct{ stats, files, get bool }
}

var liveStats = []string{"name", "bytes_size", "left", "speed", "uploaded", "fetched", "eta", "peers", "error", "state", "ratio"}

func (v *view) stat(k string) any {
	if v.t == nil {
		return nil
	}
	if !v.have.stats {
		v.have.stats = true
		v.stats, _ = v.s.c.Stats(v.e.Hash, liveStats...)
	}
	return v.stats[k]
}

func (v *view) i64(k string) (int64, bool) {
	n, ok := v.stat(k).(int64)
	return n, ok
}

func (v *view) getField(k string) any {
	if v.t == nil {
		return nil
	}
	if !v.have.get {
		v.have.get = true
		v.got, _ = v.s.c.Get(v.e.Hash, "peers", "private", "piece_length", "num_pieces")
	}
	return v.got[k]
}

func (v *view) fileList() []fileInfo {
	if v.have.files {
		return v.files
	}
	v.have.files = true
	v.files = v.e.Files
	if v.t != nil {
		if fs, err := v.s.c.ListFiles(v.e.Hash); err == nil && len(fs) > 0 {
			v.files = make([]fileInfo, len(fs))
			for i, f := range fs {
				v.files[i] = fileInfo{Index: f.Index, Path: f.Path, Length: f.Length, Done: f.Downloaded}
			}
		}
	}
	if v.e.RenamedName != "" || len(v.e.RenamedFiles) > 0 {
		renamed := make([]fileInfo, len(v.files))
		for i, f := range v.files {
			f.Path = v.e.displayPath(f)
			renamed[i] = f
		}
		v.files = renamed
	}
	return v.files
}

func (v *view) unwanted() map[int]bool {
	m := map[int]bool{}
	for _, u := range v.e.Unwanted {
		m[u] = true
	}
	return m
}

func (v *view) name() string {
	if v.e.RenamedName != "" {
		return v.e.RenamedName
	}
	if s, ok := v.stat("name").(string); ok {
		return s
	}
	return v.e.Name
}

func (v *view) totalSize() int64 {
	if n, ok := v.i64("bytes_size"); ok {
		return n
	}
	return v.e.TotalSize
}

func (v *view) left() int64 {
	if n, ok := v.i64("left"); ok {
		return n
	}
	return v.e.Left
}

// sizeWhenDone and leftUntilDone count wanted files only.
func (v *view) sizeWhenDone() int64 {
	if len(v.e.Unwanted) == 0 {
		return v.totalSize()
	}
	skip, n := v.unwanted(), int64(0)
	for i, f := range v.fileList() {
		if !skip[i] {
			n += f.Length
		}
	}
	return n
}

func (v *view) leftUntilDone() int64 {
	if len(v.e.Unwanted) == 0 {
		return v.left()
	}
	skip, n := v.unwanted(), int64(0)
	for i, f := range v.fileList() {
		if !skip[i] && f.Done < f.Length {
			n += f.Length - f.Done
		}
	}
	return n
}

func (v *view) status() int {
	if v.t == nil {
		switch {
		case !v.e.queued():
			return statusStopped
		case v.e.wantsNothing():
			return statusSeedWait
		}
		return statusDownloadWait
	}
	switch v.t.State() {
	case "checking":
		return statusCheck
	case "seeding", "finished":
		// Transmission seeds a torrent whose wanted files are done too.
		return statusSeed
	case "stopped", "error":
		return statusStopped
	}
	return statusDownload
}

func (v *view) errorString() string {
	if s, ok := v.stat("error").(string); ok && s != "" {
		return s
	}
	if v.t == nil {
		return v.e.Error
	}
	return ""
}

func (v *view) peers() []braid.PeerInfo {
	if n, ok := v.stat("peers").(int); ok && n == 0 {
		return nil // no peers: no second call into the torrent
	}
	ps, _ := v.getField("peers").([]braid.PeerInfo)
	return ps
}

func (v *view) speed() braid.Speed {
	sp, _ := v.stat("speed").(braid.Speed)
	return sp
}

// torrentFields are torrent-get's fields (Transmission 4.0 names).
var torrentFields = map[string]func(v *view) any{
	"id":         func(v *view) any { return v.e.ID },
	"hashString": func(v *view) any { return v.e.Hash.String() },
	"name":       func(v *view) any { return v.name() },
	"status":     func(v *view) any { return v.status() },
	"totalSize":  func(v *view) any { return v.totalSize() },
	"sizeWhenDone": func(v *view) any {
		return v.sizeWhenDone()
	},
	"leftUntilDone": func(v *view) any { return v.leftUntilDone() },
	"haveValid":     func(v *view) any { return v.totalSize() - v.left() },
	"haveUnchecked": func(v *view) any { return 0 },
	"percentDone": func(v *view) any {
		size := v.sizeWhenDone()
		if size == 0 {
			return boolFloat(len(v.fileList()) > 0)
		}
		return float64(size-v.leftUntilDone()) / float64(size)
	},
	"percentComplete": func(v *view) any {
		size := v.totalSize()
		if size == 0 {
			return boolFloat(len(v.fileList()) > 0)
		}
		return float64(size-v.left()) / float64(size)
	},
	"metadataPercentComplete": func(v *view) any {
		if v.t != nil {
			return boolFloat(v.t.HasMetadata())
		}
		return boolFloat(len(v.fileList()) > 0 || v.totalSize() > 0)
	},
	"rateDownload": func(v *view) any { return int64(v.speed().Download) },
	"rateUpload":   func(v *view) any { return int64(v.speed().Upload) },
	"uploadedEver": func(v *view) any {
		if n, ok := v.i64("uploaded"); ok {
			return n
		}
		return v.e.Uploaded
	},
	"downloadedEver": func(v *view) any {
		if n, ok := v.i64("fetched"); ok {
			return n
		}
		return v.e.Downloaded
	},
	"corruptEver": func(v *view) any { return 0 },
	"uploadRatio": func(v *view) any {
		if r, ok := v.stat("ratio").(float64); ok && r > 0 {
			return r
		}
		if v.t == nil && v.e.Downloaded > 0 {
			return float64(v.e.Uploaded) / float64(v.e.Downloaded)
		}
		return ratioNotAvailable
	},
	"eta": func(v *view) any {
		if v.status() != statusDownload || v.leftUntilDone() == 0 {
			return etaNotAvailable
		}
		eta, ok := v.stat("eta").(float64)
		if !ok || eta < 0 {
			return etaUnknown
		}
		return int64(eta)
	},
	"peersConnected": func(v *view) any {
		n, _ := v.stat("peers").(int)
		return n
	},
	"peersGettingFromUs": func(v *view) any {
		n := 0
		for _, p := range v.peers() {
			if p.UploadRate > 0 {
				n++
			}
		}
		return n
	},
	"peersSendingToUs": func(v *view) any {
		n := 0
		for _, p := range v.peers() {
			if p.DownloadRate > 0 {
				n++
			}
		}
		return n
	},
	"downloadDir": func(v *view) any {
		if v.e.Target != "" {
			return v.e.Target
		}
		return v.e.Dir
	},
	"error": func(v *view) any {
		if v.errorString() != "" {
			return errLocal
		}
		return 0
	},
	"errorString":    func(v *view) any { return v.errorString() },
	"isFinished":     func(v *view) any { return v.e.Finished },
	"isStalled":      func(v *view) any { return v.t != nil && v.s.isStalled(v.e.ID) },
	"isPrivate":      func(v *view) any { b, _ := v.getField("private").(bool); return b },
	"addedDate":      func(v *view) any { return v.e.AddedDate },
	"doneDate":       func(v *view) any { return v.e.DoneDate },
	"queuePosition":  func(v *view) any { return v.e.QueuePos },
	"seedRatioLimit": func(v *view) any { return v.e.SeedRatioLimit },
	"seedRatioMode":  func(v *view) any { return v.e.SeedRatioMode },
	"seedIdleLimit":  func(v *view) any { return v.e.SeedIdleLimit },
	"seedIdleMode":   func(v *view) any { return v.e.SeedIdleMode },
	"pieceCount":     func(v *view) any { n, _ := v.getField("num_pieces").(int); return n },
	"pieceSize":      func(v *view) any { n, _ := v.getField("piece_length").(int64); return n },
	"labels": func(v *view) any {
		if v.e.Labels == nil {
			return []string{}
		}
		return v.e.Labels
	},
	"magnetLink": func(v *view) any {
		return "magnet:?xt=urn:btih:" + v.e.Hash.String() + "&dn=" + url.QueryEscape(v.name())
	},
	"files": func(v *view) any {
		fs := v.fileList()
		out := make([]map[string]any, len(fs))
		for i, f := range fs {
			out[i] = map[string]any{"name": f.Path, "length": f.Length, "bytesCompleted": f.Done}
		}
		return out
	},
	"fileStats": func(v *view) any {
		fs, skip := v.fileList(), v.unwanted()
		out := make([]map[string]any, len(fs))
		for i, f := range fs {
			out[i] = map[string]any{"bytesCompleted": f.Done, "wanted": !skip[i], "priority": v.e.Priorities[i]}
		}
		return out
	},
	"wanted": func(v *view) any {
		fs, skip := v.fileList(), v.unwanted()
		out := make([]int, len(fs))
		for i := range fs {
			if !skip[i] {
				out[i] = 1
			}
		}
		return out
	},
	"priorities": func(v *view) any { return v.priorities() },
	"peers": func(v *view) any {
		ps := v.peers()
		out := make([]map[string]any, len(ps))
		for i, p := range ps {
			host, port := p.Addr, 0
			if h, pt, err := net.SplitHostPort(p.Addr); err == nil {
				host = h
				port, _ = strconv.Atoi(pt)
			}
			out[i] = map[string]any{"address": host, "port": port, "clientName": p.Client, "progress": p.Progress,
				"rateToClient": int64(p.DownloadRate), "rateToPeer": int64(p.UploadRate),
				"isUTP": p.Transport == "utp", "isEncrypted": false, "isIncoming": false, "flagStr": "",
				"isDownloadingFrom": p.DownloadRate > 0, "isUploadingTo": p.UploadRate > 0,
				"clientIsChoked": false, "clientIsInterested": false, "peerIsChoked": false, "peerIsInterested": false}
		}
		return out
	},
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (s *Server) torrentGet(_ context.Context, a args) (map[string]any, error) {
	fields, has, err := a.strs("fields")
	if err != nil {
		return nil, err
	}
	if !has {
		return nil, argErr("no fields specified")
	}
	format, _, err := a.str("format")
	if err != nil {
		return nil, err
	}
	if format != "" && format != "objects" && format != "table" {
		return nil, argErr("invalid argument \"format\": want objects or table")
	}
	es, err := s.selectIDs(a)
	if err != nil {
		return nil, err
	}
	known := make([]string, 0, len(fields))
	seen := map[string]bool{}
	for _, f := range fields {
		if _, ok := torrentFields[f]; ok && !seen[f] {
			seen[f] = true
			known = append(known, f) // unknown fields are ignored, as Transmission does
		}
	}
	rows := make([]any, len(es))
	s.eachView(es, func(i int, v *view) {
		if format == "table" {
			row := make([]any, len(known))
			for j, f := range known {
				row[j] = torrentFields[f](v)
			}
			rows[i] = row
			return
		}
		obj := make(map[string]any, len(known))
		for _, f := range known {
			obj[f] = torrentFields[f](v)
		}
		rows[i] = obj
	})
	if format == "table" {
		rows = append([]any{known}, rows...)
	}
	out := map[string]any{"torrents": rows}
	if raw := a["ids"]; len(raw) > 0 && string(raw) == `"recently-active"` {
		out["removed"] = []int{}
	}
	return out, nil
}
