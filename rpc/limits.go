package rpc

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/braid-bt/braid"
)

// maxSpeedLimit bounds a torrent's speed limits, in kB/s (about 4 TB/s).
const maxSpeedLimit = math.MaxUint32

// maxPeerLimit bounds a torrent's peer limit (Transmission's is a uint16).
const maxPeerLimit = math.MaxUint16

// torrentLimits are torrent-set's per-torrent limit arguments; nil: not
// given.
type torrentLimits struct {
	downLimit, upLimit     *int64
	downLimited, upLimited *bool
	honors                 *bool
	bandwidth              *int
	peerLimit              *int
	sequential             *bool
}

// given reports whether any limit argument was given.
func (l torrentLimits) given() bool {
	return l.downLimit != nil || l.upLimit != nil || l.downLimited != nil || l.upLimited != nil ||
		l.honors != nil || l.bandwidth != nil || l.peerLimit != nil || l.sequential != nil
}

// intArg reads an integer argument from lo to hi.
func intArg(a args, k string, lo, hi int64) (*int64, error) {
	if !a.has(k) {
		return nil, nil
	}
	var f float64
	if err := json.Unmarshal(a[k], &f); err != nil || f != math.Trunc(f) || f < float64(lo) || f > float64(hi) {
		return nil, argErr(fmt.Sprintf("invalid argument %q: want an integer from %d to %d", k, lo, hi))
	}
	n := int64(f)
	return &n, nil
}

func boolArg(a args, k string) (*bool, error) {
	if !a.has(k) {
		return nil, nil
	}
	b, err := a.boolean(k)
	if err != nil {
		return nil, err
	}
	return &b, nil
}

func parseTorrentLimits(a args) (torrentLimits, error) {
	var l torrentLimits
	var err error
	if l.downLimit, err = intArg(a, "downloadLimit", 0, maxSpeedLimit); err != nil {
		return l, err
	}
	if l.upLimit, err = intArg(a, "uploadLimit", 0, maxSpeedLimit); err != nil {
		return l, err
	}
	if l.downLimited, err = boolArg(a, "downloadLimited"); err != nil {
		return l, err
	}
	if l.upLimited, err = boolArg(a, "uploadLimited"); err != nil {
		return l, err
	}
	if l.honors, err = boolArg(a, "honorsSessionLimits"); err != nil {
		return l, err
	}
	bw, err := intArg(a, "bandwidthPriority", -1, 1)
	if err != nil {
		return l, err
	}
	if bw != nil {
		n := int(*bw)
		l.bandwidth = &n
	}
	if l.sequential, err = boolArg(a, "sequentialDownload"); err != nil {
		return l, err
	}
	pl, err := intArg(a, "peer-limit", 1, maxPeerLimit)
	if err != nil {
		return l, err
	}
	if pl != nil {
		n := int(*pl)
		l.peerLimit = &n
	}
	return l, nil
}

func (l torrentLimits) apply(x *entry) {
	if l.downLimit != nil {
		x.DownloadLimit = *l.downLimit
	}
	if l.upLimit != nil {
		x.UploadLimit = *l.upLimit
	}
	if l.downLimited != nil {
		x.DownloadLimited = *l.downLimited
	}
	if l.upLimited != nil {
		x.UploadLimited = *l.upLimited
	}
	if l.honors != nil {
		x.IgnoresSessionLimits = !*l.honors
	}
	if l.bandwidth != nil {
		x.BandwidthPriority = *l.bandwidth
	}
	if l.peerLimit != nil {
		x.PeerLimit = *l.peerLimit
	}
	if l.sequential != nil {
		x.Sequential = *l.sequential
	}
}

// rates are e's own caps in bytes per second (0: none) and whether the
// session's apply too. Transmission's speeds are in kB/s of 1000 bytes.
func (e *entry) rates() (up, down int64, honors bool) {
	if e.UploadLimited {
		up = max(e.UploadLimit*1000, 1) // limited to 0: as slow as a cap can be
	}
	if e.DownloadLimited {
		down = max(e.DownloadLimit*1000, 1)
	}
	return up, down, !e.IgnoresSessionLimits
}

// peerLimit is e's cap on connections.
func (s *Server) peerLimit(e entry) int {
	if e.PeerLimit > 0 {
		return e.PeerLimit
	}
	return s.cfg.Session.PeerLimitPerTorrent
}

// applyLimits gives a running torrent e's limits and piece order.
func (s *Server) applyLimits(e entry, t *braid.Torrent) {
	up, down, honors := e.rates()
	if err := t.SetRates(up, down, honors); err != nil {
		s.log.Debug("torrent rates", "info_hash", e.Hash.String(), "err", err)
	}
	if err := t.SetSequential(e.Sequential); err != nil {
		s.log.Debug("torrent sequential", "info_hash", e.Hash.String(), "err", err)
	}
	if e.PeerLimit > 0 {
		if err := t.SetMaxPeers(e.PeerLimit); err != nil {
			s.log.Debug("torrent peer limit", "info_hash", e.Hash.String(), "err", err)
		}
	}
}

// limitFields are torrent-get's fields of the per-torrent limits.
var limitFields = map[string]func(v *view) any{
	"honorsSessionLimits": func(v *view) any { return !v.e.IgnoresSessionLimits },
	"downloadLimited":     func(v *view) any { return v.e.DownloadLimited },
	"uploadLimited":       func(v *view) any { return v.e.UploadLimited },
	"downloadLimit":       func(v *view) any { return v.e.DownloadLimit },
	"uploadLimit":         func(v *view) any { return v.e.UploadLimit },
	"bandwidthPriority":   func(v *view) any { return v.e.BandwidthPriority },
	"peer-limit":          func(v *view) any { return v.s.peerLimit(v.e) },
	"sequentialDownload":  func(v *view) any { return v.e.Sequential },
}

func init() {
	for k, f := range limitFields {
		torrentFields[k] = f
	}
}
