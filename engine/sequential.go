package engine

// SetSequential turns in-order downloading on or off while the torrent
// runs: new pieces start in index order (file priorities still first)
// instead of rarest first. Before the session starts the choice waits
// for it. It lasts while the torrent runs. False if it has stopped.
func (t *Torrent) SetSequential(on bool) bool {
	t.sequential.Store(on)
	return t.send(func() {
		t.spec.Sequential = on
		if t.sess != nil {
			t.sess.SetSequential(on)
		}
	})
}

// Sequential reports whether in-order downloading is asked for.
func (t *Torrent) Sequential() bool {
	return t.sequential.Load()
}
