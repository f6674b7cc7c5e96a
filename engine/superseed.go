package engine

// SetSuperSeed turns BEP 16 super-seeding on or off (core/session acts on
// it while the torrent is complete, for peers that connect from then on).
// The choice is kept in the resume record. False if the torrent has
// stopped.
func (t *Torrent) SetSuperSeed(on bool) bool {
	return t.do(func() {
		t.superSeed.Store(on)
		if t.sess != nil {
			t.sess.SetSuperSeed(on)
		}
	})
}

// SuperSeed reports whether super-seeding is asked for.
func (t *Torrent) SuperSeed() bool { return t.superSeed.Load() }
