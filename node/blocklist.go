package node

import (
	"errors"
	"net/http"
	"net/netip"
	"sync/atomic"
)

// ErrBlocklist wraps every failure to load the IP blocklist
// (Config.Blocklist): a missing file, a failed download, a malformed
// list (the error names the line).
var ErrBlocklist = errors.New("blocklist")

// blocker answers whether an IP is blocked (a *blocklist.List natively).
type blocker interface {
	Contains(netip.Addr) bool
	Len() int
}

// blockHolder holds the current list, swapped whole on reload.
type blockHolder struct{ v atomic.Value } // of blockerBox

type blockerBox struct{ b blocker }

func (h *blockHolder) load() blocker {
	box, _ := h.v.Load().(blockerBox)
	return box.b
}

func (h *blockHolder) store(b blocker) {
	if b != nil {
		h.v.Store(blockerBox{b})
	}
}

// blocked is the engine's Config.Blocked.
func (h *blockHolder) blocked(ip netip.Addr) bool {
	b := h.load()
	return b != nil && b.Contains(ip)
}

// openBlocklist loads the list Config.Blocklist names (nil if none).
func openBlocklist(src string, hc *http.Client) (blocker, error) {
	if src == "" {
		return nil, nil
	}
	return loadBlocklist(src, hc)
}

// ReloadBlocklist reads Config.Blocklist again and puts it in place of
// the current list at once; the engine then closes its connections to
// peers the new list blocks. On failure the current list stays. Without
// Config.Blocklist it fails (wrapping ErrBlocklist).
func (n *Node) ReloadBlocklist() error {
	if n.cfg.Blocklist == "" {
		return errors.Join(ErrBlocklist, errNoBlocklist)
	}
	b, err := loadBlocklist(n.cfg.Blocklist, n.httpc) // no lock held: it may download
	if err != nil {
		return err
	}
	n.blocks.store(b)
	n.eng.DropBlocked()
	return nil
}

var errNoBlocklist = errors.New("none configured")

// BlocklistLen is the number of ranges in the current blocklist (after
// merging), 0 without one.
func (n *Node) BlocklistLen() int {
	if b := n.blocks.load(); b != nil {
		return b.Len()
	}
	return 0
}

// Blocked counts the connections and candidate addresses the blocklist
// refused (see engine.Engine.Blocked).
func (n *Node) Blocked() int64 { return n.eng.Blocked() }
