package braid

import "fmt"

// SetRates changes the caps on upload and download to all peers, in bytes
// per second (0: none), while the client runs; Config.UploadRate and
// Config.DownloadRate are the caps it starts with.
func (c *Client) SetRates(upload, download int64) { c.eng.SetRates(upload, download) }

// Rates are the caps on upload and download in force, in bytes per
// second (0: none).
func (c *Client) Rates() (upload, download int64) { return c.eng.Rates() }

// SetRates caps this torrent's upload and download in bytes per second
// (0: none), at once for every connection; with honorClient the client's
// caps (Client.SetRates) apply too, else this torrent ignores them.
// ErrBadLimit for a negative rate, ErrTorrentNotFound once the torrent
// has stopped. The caps last while the torrent runs: a restart starts
// without them (a daemon keeps them and sets them again).
func (t *Torrent) SetRates(upload, download int64, honorClient bool) error {
	if upload < 0 || download < 0 {
		return fmt.Errorf("%w: rates %d/%d bytes per second", ErrBadLimit, upload, download)
	}
	if !t.t.SetRates(upload, download, honorClient) {
		return ErrTorrentNotFound
	}
	return nil
}

// Rates are this torrent's caps (0: none) and whether the client's apply
// too.
func (t *Torrent) Rates() (upload, download int64, honorClient bool) { return t.t.Rates() }

// SetMaxPeers caps this torrent's connections (0: Config.MaxPeersPerTorrent);
// connections beyond a lowered cap are closed. ErrBadLimit for a negative
// cap, ErrTorrentNotFound once the torrent has stopped. Like SetRates it
// lasts while the torrent runs.
func (t *Torrent) SetMaxPeers(n int) error {
	if n < 0 {
		return fmt.Errorf("%w: peer limit %d", ErrBadLimit, n)
	}
	if !t.t.SetMaxPeers(n) {
		return ErrTorrentNotFound
	}
	return nil
}

// MaxPeers is this torrent's cap on connections.
func (t *Torrent) MaxPeers() int { return t.t.MaxPeers() }

// WithSequential downloads this torrent in order from the start (see
// SetSequential).
func WithSequential() DownloadOption {
	return func(o *downloadOptions) { o.seq = true }
}

// SetSequential turns in-order downloading on or off while the torrent
// runs: new pieces start in index order (file priorities still come
// first) instead of rarest first, for media played while it downloads.
// It lasts while the torrent runs. ErrTorrentNotFound once it has stopped.
func (t *Torrent) SetSequential(on bool) error {
	if !t.t.SetSequential(on) {
		return ErrTorrentNotFound
	}
	return nil
}

// Sequential reports whether in-order downloading is on.
func (t *Torrent) Sequential() bool { return t.t.Sequential() }
