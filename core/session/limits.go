package session

// SetMaxOutstanding changes Config.MaxOutstanding (n <= 0: no cap) while
// the torrent runs, as its download cap changes; requests already sent
// stay, and peers are refilled up to the new cap.
func (s *Session) SetMaxOutstanding(n int) {
	s.cfg.MaxOutstanding = max(n, 0)
	s.refillAll(s.now)
}

// SetSequential turns in-order downloading on or off (picker.SetSequential)
// and asks peers for pieces in the new order from their next refill.
func (s *Session) SetSequential(on bool) {
	if s.pk.Sequential() == on {
		return
	}
	s.pk.SetSequential(on)
	s.refillAll(s.now)
}

// Sequential reports whether in-order downloading is on.
func (s *Session) Sequential() bool { return s.pk.Sequential() }
