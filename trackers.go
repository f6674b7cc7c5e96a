package braid

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/braid-bt/braid/core/metainfo"
)

// ErrBadTracker: a tracker URL SetTrackers cannot use.
var ErrBadTracker = errors.New("bad tracker URL")

// maxTrackerURL bounds one announce URL.
const maxTrackerURL = 2048

// SetTrackers replaces the torrent's trackers while it runs: tiers in
// BEP 12 order, each a list of announce URLs (http, https, udp, or ws and
// wss for WebSocket trackers). The torrent announces to the new list at
// once and its resume record keeps it. ErrBadTracker for a URL it cannot
// use (nothing changes), ErrTorrentNotFound once the torrent has stopped.
func (t *Torrent) SetTrackers(tiers [][]string) error {
	if err := CheckTrackers(tiers); err != nil {
		return err
	}
	if !t.t.SetTrackers(tiers) {
		return ErrTorrentNotFound
	}
	return nil
}

// Trackers are the torrent's tiers of announce URLs.
func (t *Torrent) Trackers() [][]string { return t.t.Snapshot().Trackers }

// CheckTrackers reports the first URL of tiers SetTrackers would refuse,
// wrapped in ErrBadTracker; too many URLs are refused too.
func CheckTrackers(tiers [][]string) error {
	n := 0
	for _, tier := range tiers {
		for _, u := range tier {
			n++
			if n > metainfo.MaxTrackers {
				return fmt.Errorf("%w: more than %d trackers", ErrBadTracker, metainfo.MaxTrackers)
			}
			if err := checkTrackerURL(u); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkTrackerURL(s string) error {
	if len(s) > maxTrackerURL {
		return fmt.Errorf("%w: longer than %d bytes", ErrBadTracker, maxTrackerURL)
	}
	if strings.ContainsAny(s, " \t\r\n\x00") {
		return fmt.Errorf("%w: %q has spaces or control characters", ErrBadTracker, s)
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%w: %q: %w", ErrBadTracker, s, err)
	}
	switch u.Scheme {
	case "http", "https", "udp", "ws", "wss":
	default:
		return fmt.Errorf("%w: %q: scheme %q (want http, https, udp, ws or wss)", ErrBadTracker, s, u.Scheme)
	}
	if u.Host == "" {
		return fmt.Errorf("%w: %q has no host", ErrBadTracker, s)
	}
	return nil
}
