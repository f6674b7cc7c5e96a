package braid

// WithSuperSeed seeds this torrent in super-seeding mode (BEP 16) once it
// is complete: each peer that connects is shown one rare piece at a time
// instead of everything, and offered the next once the last has spread,
// so an initial seeder with little upload sends each piece about once.
// Peers already connected when it starts keep seeing everything. The
// choice is kept in the resume record.
func WithSuperSeed() DownloadOption {
	return func(o *downloadOptions) { o.superSeed = true }
}

// SetSuperSeed turns super-seeding (see WithSuperSeed) on or off for a
// running torrent; turning it off tells super-seeded peers every piece.
// ErrTorrentNotFound once the torrent has stopped.
func (t *Torrent) SetSuperSeed(on bool) error {
	if !t.t.SetSuperSeed(on) {
		return ErrTorrentNotFound
	}
	return nil
}
