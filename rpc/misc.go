package rpc

import (
	"context"
	"fmt"
	"path/filepath"
)

// freeSpace answers free-space: the free and total bytes of the file
// system holding path. As in Transmission, any absolute path is
// answered (it reveals only sizes); a relative one is refused, and a path
// that cannot be queried gets the system's error with sizes of -1.
func (s *Server) freeSpace(_ context.Context, a args) (map[string]any, error) {
	p, has, err := a.str("path")
	if err != nil {
		return nil, err
	}
	if !has || !filepath.IsAbs(p) {
		return nil, argErr("directory path is not absolute")
	}
	p = filepath.Clean(p)
	free, total, err := diskSpace(p)
	if err != nil {
		return nil, argErr(err.Error())
	}
	return map[string]any{"path": p, "size-bytes": free, "total_size": total}, nil
}

// portTest answers port-test. Whether the peer port is reachable can
// only be known from outside; Braid does not ask a third party, so the
// answer is true only when the router reports the port forwarded (UPnP
// or NAT-PMP), and false otherwise, with "braid-port-test" saying why.
func (s *Server) portTest(_ context.Context, a args) (map[string]any, error) {
	out := map[string]any{"port-is-open": false}
	if proto, has, err := a.str("ip_protocol"); err != nil {
		return nil, err
	} else if has {
		if proto != "ipv4" && proto != "ipv6" {
			return nil, argErr("invalid argument \"ip_protocol\": want ipv4 or ipv6")
		}
		out["ip_protocol"] = proto
	}
	pm, ok := s.c.PortMapping()
	if ok && len(pm.Ports) > 0 {
		out["port-is-open"] = true
		out["braid-port-test"] = "the router " + pm.Gateway + " reports the port forwarded; reachability itself can only be tested from outside"
		return out, nil
	}
	out["braid-port-test"] = "not known: reachability can only be tested from outside, and no router reports the port forwarded"
	return out, nil
}

// reannounce asks a running torrent's trackers for peers now; stopped
// torrents are skipped.
func (s *Server) reannounce(e entry) error {
	if t := s.active(e); t != nil {
		t.Reannounce()
	}
	return nil
}

// blocklistUpdate answers blocklist-update: the configured blocklist is
// read (or downloaded) again and replaces the current one; without one
// configured, or when it cannot be read, the answer is the error and the
// current list stays.
func (s *Server) blocklistUpdate(_ context.Context, _ args) (map[string]any, error) {
	if s.cfg.Blocklist == "" {
		return nil, argErr("no blocklist configured: start the daemon with --blocklist FILE-or-URL")
	}
	if err := s.c.ReloadBlocklist(); err != nil {
		return nil, fmt.Errorf("blocklist-update: %w", err)
	}
	return map[string]any{"blocklist-size": s.c.BlocklistLen()}, nil
}
