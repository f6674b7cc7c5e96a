package session

import "time"

// Stats is a snapshot of the torrent's swarm activity.
type Stats struct {
	// Payload bytes this session. Downloaded counts every block received;
	// Wasted counts duplicates, unrequested blocks and failed pieces.
	Downloaded, Uploaded, Wasted int64
	DownloadRate, UploadRate     float64 // bytes/s, smoothed
	Peers, Seeds                 int
	Unchoked                     int // peers we let download from us
	Interested                   int // peers that want something we have
	Interesting                  int // peers we want something from
	PiecesHave, NumPieces        int
	// Left is the bytes not yet verified, over the whole torrent (the
	// tracker's "left"); WantedLeft counts wanted pieces only (for ETAs).
	Left, WantedLeft int64
	HashFails        int
	Endgame          bool
}

// PeerStats describes one connection.
type PeerStats struct {
	ID                       PeerID
	Addr, Transport          string
	Client                   string // from its BEP 10 handshake
	DownloadRate, UploadRate float64
	Downloaded, Uploaded     int64
	AmChoking, AmInterested  bool
	PeerChoking              bool
	PeerInterested           bool
	Snubbed, Seed            bool
	Optimistic               bool // holds our optimistic unchoke
	Outgoing                 bool // we dialled it
	Outstanding              int  // our requests it has not answered
	Progress                 float64
}

// Stats returns the torrent's counters. Rates are as of the last Tick.
func (s *Session) Stats(now time.Time) Stats {
	s.touch(now)
	st := Stats{
		Downloaded: s.downloaded, Uploaded: s.uploaded, Wasted: s.wasted,
		DownloadRate: s.down.value, UploadRate: s.up.value,
		Peers:      len(s.order),
		PiecesHave: s.have.Count(), NumPieces: s.numPieces,
		Left:       s.filesLength - s.haveBytes,
		WantedLeft: s.pk.Left(),
		HashFails:  s.hashFails,
		Endgame:    s.pk.Endgame(),
	}
	for _, p := range s.order {
		if p.seed() {
			st.Seeds++
		}
		if !p.amChoking {
			st.Unchoked++
		}
		if p.wantsUploads() {
			st.Interested++
		}
		if p.amInterested {
			st.Interesting++
		}
	}
	return st
}

// Peers describes every connection, in the order they were added.
func (s *Session) Peers(now time.Time) []PeerStats {
	s.touch(now)
	out := make([]PeerStats, 0, len(s.order))
	for _, p := range s.order {
		ps := PeerStats{
			ID: p.id, Addr: p.info.Addr, Transport: p.info.Transport, Client: p.client,
			DownloadRate: p.down.value, UploadRate: p.up.value,
			Downloaded: p.downloaded, Uploaded: p.uploaded,
			AmChoking: p.amChoking, AmInterested: p.amInterested,
			PeerChoking: p.peerChoking, PeerInterested: p.peerInterested,
			Snubbed: p.snubbed, Seed: p.seed(), Optimistic: p == s.optimistic, Outgoing: p.info.Outgoing,
			Outstanding: len(p.reqs),
		}
		if s.numPieces > 0 {
			ps.Progress = float64(p.has.Count()) / float64(s.numPieces)
		}
		out = append(out, ps)
	}
	return out
}

// FileCompleted is the number of verified bytes of a file.
func (s *Session) FileCompleted(file int) int64 {
	if file < 0 || file >= len(s.info.Files) {
		return 0
	}
	f := s.info.Files[file]
	first, last := s.info.FilePieces(file)
	var n int64
	for i := first; i <= last; i++ {
		if !s.have.Has(i) {
			continue
		}
		start := max(f.Offset, s.info.PieceOffset(i))
		end := min(f.Offset+f.Length, s.info.PieceOffset(i)+s.info.PieceSize(i))
		if end > start {
			n += end - start
		}
	}
	return n
}
