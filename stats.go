package braid

import (
	"fmt"

	"github.com/braid-bt/braid/core/metainfo"
	"path"
	"sort"
	"strings"
	"time"
)

// Stats is a selection of a torrent's statistics, keyed by field name.
type Stats map[string]any

// Speed is a pair of rates in bytes per second.
type Speed struct {
	Download float64 `json:"download"`
	Upload   float64 `json:"upload"`
}

// Pieces counts verified pieces.
type Pieces struct {
	Have  int `json:"have"`
	Total int `json:"total"`
}

// DefaultStatsFields are returned when Stats is called without fields.
var DefaultStatsFields = []string{"name", "speed", "downloaded", "bytes_size"}

// statsFields computes each field from a snapshot. Byte counts are int64,
// rates float64 bytes per second. "blocked" (int64) counts this torrent's
// candidate addresses and dials the blocklist (Config.Blocklist) refused
// and its connections closed when the list was reloaded; "client_blocked"
// (int64) is the client's count (Client.Blocked), incoming connections
// refused before their handshake named a torrent included.
var statsFields = map[string]func(t *Torrent, s *snapshot) any{
	"info_hash":    func(t *Torrent, s *snapshot) any { return t.InfoHash().String() },
	"info_hash_v2": func(t *Torrent, s *snapshot) any { return t.InfoHashV2() },
	"protocol":     func(t *Torrent, s *snapshot) any { return t.t.Protocol() },
	"name":         func(t *Torrent, s *snapshot) any { return t.Name() },
	"speed":        func(t *Torrent, s *snapshot) any { return Speed{s.Stats.DownloadRate, s.Stats.UploadRate} },
	"downloaded": func(t *Torrent, s *snapshot) any {
		if !t.HasMetadata() {
			return int64(0)
		}
		return t.Length() - s.Stats.Left
	},
	"bytes_size": func(t *Torrent, s *snapshot) any { return t.Length() },
	"left":       func(t *Torrent, s *snapshot) any { return s.Stats.Left },
	"uploaded":   func(t *Torrent, s *snapshot) any { return s.Uploaded },
	"fetched":    func(t *Torrent, s *snapshot) any { return s.Stats.Downloaded },
	"wasted":     func(t *Torrent, s *snapshot) any { return s.Stats.Wasted },
	"hash_fails": func(t *Torrent, s *snapshot) any { return s.Stats.HashFails },
	"progress": func(t *Torrent, s *snapshot) any {
		if !t.HasMetadata() {
			return 0.0
		}
		if t.Length() == 0 {
			return 1.0
		}
		return float64(t.Length()-s.Stats.Left) / float64(t.Length())
	},
	"state": func(t *Torrent, s *snapshot) any { return string(s.State) },
	"error": func(t *Torrent, s *snapshot) any {
		if s.Err != nil {
			return s.Err.Error()
		}
		return ""
	},
	"peers": func(t *Torrent, s *snapshot) any { return s.Stats.Peers },
	"seeds": func(t *Torrent, s *snapshot) any { return s.Stats.Seeds },
	"peers_by_transport": func(t *Torrent, s *snapshot) any {
		m := map[string]int{}
		for _, p := range s.Peers {
			m[p.Transport]++
		}
		return m
	},
	"pieces": func(t *Torrent, s *snapshot) any { return Pieces{s.Stats.PiecesHave, s.Stats.NumPieces} },
	"eta": func(t *Torrent, s *snapshot) any {
		if s.Stats.Left == 0 {
			return 0.0
		}
		if s.Stats.DownloadRate < 1 {
			return -1.0 // unknown
		}
		return float64(s.Stats.Left) / s.Stats.DownloadRate
	},
	"ratio": func(t *Torrent, s *snapshot) any {
		if s.Downloaded == 0 {
			return 0.0
		}
		return float64(s.Uploaded) / float64(s.Downloaded)
	},
	"trackers": func(t *Torrent, s *snapshot) any {
		sts := t.t.Trackers()
		out := make([]TrackerInfo, len(sts))
		for i, st := range sts {
			out[i] = TrackerInfo{URL: st.URL, Tier: st.Tier, LastAnnounce: st.LastAnnounce, Peers: st.Peers,
				Seeders: st.Seeders, Leechers: st.Leechers,
				ScrapeSeeders: st.ScrapeSeeders, ScrapeLeechers: st.ScrapeLeechers,
				ScrapeDownloaded: st.ScrapeCompleted, LastScrape: st.LastScrape}
			if st.LastError != nil {
				out[i].Error = st.LastError.Error()
			}
			if st.ScrapeError != nil {
				out[i].ScrapeError = st.ScrapeError.Error()
			}
		}
		return out
	},
	"webseeds": func(t *Torrent, s *snapshot) any {
		sts := t.t.WebSeeds()
		out := make([]WebSeedInfo, len(sts))
		for i, st := range sts {
			out[i] = WebSeedInfo{URL: st.URL, State: st.State, Reason: st.Reason, IgnoresRange: st.IgnoresRange}
		}
		return out
	},
	"verified_on_start": func(t *Torrent, s *snapshot) any { return s.Check.Valid },
	"super_seeding":     func(t *Torrent, s *snapshot) any { return t.t.SuperSeed() },
	"blocked":           func(t *Torrent, s *snapshot) any { return t.t.Blocked() },
	"client_blocked":    func(t *Torrent, s *snapshot) any { return t.c.Blocked() },
	"resume": func(t *Torrent, s *snapshot) any {
		return map[string]any{"record": string(t.record), "checked": s.Check.Checked, "valid": s.Check.Valid, "invalid": s.Check.Invalid,
			"trusted": s.Check.Trusted}
	},
}

// StatsFields lists every field Stats accepts.
func StatsFields() []string {
	out := make([]string, 0, len(statsFields))
	for k := range statsFields {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Stats returns the named fields of a torrent's statistics (DefaultStatsFields
// when none are named). ErrTorrentNotFound when ih is not active,
// ErrUnknownField for a field Stats does not know.
func (c *Client) Stats(ih InfoHash, fields ...string) (Stats, error) {
	t, err := c.lookup(ih)
	if err != nil {
		return nil, err
	}
	if len(fields) == 0 {
		fields = DefaultStatsFields
	}
	for _, f := range fields {
		if _, ok := statsFields[f]; !ok {
			return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknownField, f, strings.Join(StatsFields(), ", "))
		}
	}
	s := t.snapshot()
	out := make(Stats, len(fields))
	for _, f := range fields {
		out[f] = statsFields[f](t, &s)
	}
	return out, nil
}

// FileEntry describes one file of a torrent.
type FileEntry struct {
	Index      int     `json:"index"`
	Path       string  `json:"path"` // slash-separated, relative to the save directory
	Name       string  `json:"name"`
	Length     int64   `json:"length"`
	Downloaded int64   `json:"downloaded"` // verified bytes
	Progress   float64 `json:"progress"`
	Complete   bool    `json:"complete"`
}

// ListFiles lists a torrent's files with their progress. BEP 47 padding
// files (zeros that align the next file; never on disk) are left out;
// Index is still the file's position in the torrent.
func (c *Client) ListFiles(ih InfoHash) ([]FileEntry, error) {
	t, err := c.lookup(ih)
	if err != nil {
		return nil, err
	}
	s := t.snapshot()
	info := t.t.Info()
	if info == nil || len(s.FileDone) != len(info.Files) {
		return []FileEntry{}, nil // metadata not yet known
	}
	out := make([]FileEntry, 0, len(info.Files))
	for i, f := range info.Files {
		if f.Padding {
			continue
		}
		p := path.Join(f.Path...)
		if info.MultiFile {
			p = path.Join(info.Name, p)
		}
		e := FileEntry{Index: i, Path: p, Name: f.Path[len(f.Path)-1], Length: f.Length, Downloaded: s.FileDone[i]}
		e.Complete = e.Downloaded >= f.Length
		e.Progress = 1
		if f.Length > 0 {
			e.Progress = float64(e.Downloaded) / float64(f.Length)
		}
		out = append(out, e)
	}
	return out, nil
}

// Get returns low-level fields of a torrent's model by name: info_hash,
// name, save_path, piece_length, num_pieces, length, private, trackers,
// bitfield (wire bytes), peers ([]PeerInfo), state, added_at, files.
func (c *Client) Get(ih InfoHash, keys ...string) (map[string]any, error) {
	t, err := c.lookup(ih)
	if err != nil {
		return nil, err
	}
	s := t.snapshot()
	info := t.t.Info()
	if info == nil {
		info = &metainfo.Info{Name: t.Name()} // fetching metadata: sizes unknown
	}
	all := map[string]func() any{
		"info_hash":    func() any { return t.InfoHash().String() },
		"info_hash_v2": func() any { return t.InfoHashV2() },
		"protocol":     func() any { return t.t.Protocol() },
		"name":         func() any { return info.Name },
		"save_path":    func() any { return t.t.SavePath() },
		"piece_length": func() any { return info.PieceLength },
		"num_pieces":   func() any { return info.NumPieces() },
		"length":       func() any { return info.Length },
		"private":      func() any { return info.Private },
		"trackers":     func() any { return s.Trackers },
		"bitfield": func() any {
			if s.Have == nil {
				return []byte{}
			}
			return s.Have.Bytes()
		},
		"state":    func() any { return string(s.State) },
		"added_at": func() any { return s.AddedAt },
		"files":    func() any { return info.Files },
		"peers": func() any {
			ps := make([]PeerInfo, len(s.Peers))
			for i, p := range s.Peers {
				ps[i] = PeerInfo{Addr: p.Addr, Transport: p.Transport, Client: p.Client,
					DownloadRate: p.DownloadRate, UploadRate: p.UploadRate, Progress: p.Progress, Seed: p.Seed}
			}
			return ps
		},
	}
	if len(keys) == 0 {
		for k := range all {
			keys = append(keys, k)
		}
	}
	out := make(map[string]any, len(keys))
	for _, k := range keys {
		f, ok := all[k]
		if !ok {
			return nil, fmt.Errorf("%w %q", ErrUnknownField, k)
		}
		out[k] = f()
	}
	return out, nil
}

// PeerInfo describes one connected peer.
type PeerInfo struct {
	Addr         string  `json:"addr"`
	Transport    string  `json:"transport"`
	Client       string  `json:"client"`
	DownloadRate float64 `json:"download_rate"`
	UploadRate   float64 `json:"upload_rate"`
	Progress     float64 `json:"progress"`
	Seed         bool    `json:"seed"`
}

// WebSeedInfo is one web seed's state: "ok", "backing off" (after a
// failure) or "disabled" (the server lacks the files, lies about their
// length or served bad pieces), with the reason.
type WebSeedInfo struct {
	URL          string `json:"url"`
	State        string `json:"state"`
	Reason       string `json:"reason,omitempty"`
	IgnoresRange bool   `json:"ignores_range,omitempty"` // answers Range requests with whole files
}

// TrackerInfo is one tracker's last outcome. Peers, Seeders and Leechers
// come from its last announce reply; the Scrape fields from its last
// scrape (BEP 48 over HTTP, BEP 15 over UDP), asked once when the torrent
// starts and then at most every 30 minutes.
type TrackerInfo struct {
	URL          string    `json:"url"`
	Tier         int       `json:"tier"`
	Error        string    `json:"error,omitempty"` // of the last attempt
	LastAnnounce time.Time `json:"last_announce"`   // last success; zero if none yet
	Peers        int       `json:"peers"`
	Seeders      int       `json:"seeders"`
	Leechers     int       `json:"leechers"`
	// ScrapeSeeders and ScrapeLeechers are the tracker's complete and
	// incomplete peers of the torrent, ScrapeDownloaded how many finished
	// downloads it has counted.
	ScrapeSeeders    int       `json:"scrape_seeders"`
	ScrapeLeechers   int       `json:"scrape_leechers"`
	ScrapeDownloaded int       `json:"scrape_downloaded"`
	LastScrape       time.Time `json:"last_scrape"`            // last successful scrape; zero if none yet
	ScrapeError      string    `json:"scrape_error,omitempty"` // of the last scrape, e.g. a tracker without scrape
}
