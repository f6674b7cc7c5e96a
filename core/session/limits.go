package session

// SetMaxOutstanding changes Config.MaxOutstanding (n <= 0: no cap) while
// the torrent runs, as its download cap changes; requests already sent
// stay, and peers are refilled up to the new cap.
func (s *Session) SetMaxOutstanding(n int) {
	s.cfg.MaxOutstanding = max(n, 0)
	s.refillAll(s.now)
}
