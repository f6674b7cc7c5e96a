package rpc

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/braid-bt/braid"
)

// sessionFields are session-get's answers.
func (s *Server) sessionFields() map[string]any {
	si := s.cfg.Session
	enc := si.Encryption
	if enc == "" {
		enc = "preferred"
	}
	out := s.sess.snapshot()
	for k, v := range map[string]any{
		"version":                   braid.Release() + " (Braid)",
		"rpc-version":               RPCVersion,
		"rpc-version-minimum":       RPCVersionMinimum,
		"rpc-version-semver":        rpcVersionSemver,
		"session-id":                s.sessionID,
		"download-dir":              s.st.downloadDir(),
		"config-dir":                si.ConfigDir,
		"peer-port":                 si.PeerPort,
		"peer-port-random-on-start": false,
		"port-forwarding-enabled":   si.PortForwarding,
		"dht-enabled":               si.DHT,
		"utp-enabled":               si.UTP,
		"pex-enabled":               true,
		"lpd-enabled":               si.LPD,
		"encryption":                enc,
		"peer-limit-per-torrent":    si.PeerLimitPerTorrent,
		"peer-limit-global":         si.PeerLimitGlobal,
		"download-queue-enabled":    false,
		"seed-queue-enabled":        false,
		"seedRatioLimited":          false,
		"incomplete-dir-enabled":    false,
		"rename-partial-files":      false,
		"alt-speed-time-enabled":    false, // no schedule: alt-speed-enabled only
		"alt-speed-time-begin":      540,
		"alt-speed-time-end":        1020,
		"alt-speed-time-day":        127,
		"blocklist-enabled":         s.cfg.Blocklist != "",
		"blocklist-url":             s.cfg.Blocklist,
		"blocklist-size":            s.c.BlocklistLen(),
		"units": map[string]any{
			"speed-units": []string{"kB/s", "MB/s", "GB/s", "TB/s"}, "speed-bytes": 1000,
			"size-units": []string{"kB", "MB", "GB", "TB"}, "size-bytes": 1000,
			"memory-units": []string{"KiB", "MiB", "GiB", "TiB"}, "memory-bytes": 1024,
		},
	} {
		if _, set := out[k]; !set {
			out[k] = v
		}
	}
	return out
}

func (s *Server) sessionGet(_ context.Context, a args) (map[string]any, error) {
	fields, has, err := a.strs("fields")
	if err != nil {
		return nil, err
	}
	all := s.sessionFields()
	if !has || len(fields) == 0 {
		return all, nil
	}
	out := map[string]any{}
	for _, f := range fields {
		if v, ok := all[f]; ok {
			out[f] = v
		}
	}
	return out, nil
}

func (s *Server) sessionSet(_ context.Context, a args) (map[string]any, error) {
	vals := map[string]any{}
	dir, hasDir, err := a.str("download-dir")
	if err != nil {
		return nil, err
	}
	if hasDir {
		if !filepath.IsAbs(dir) {
			return nil, argErr("download directory path is not absolute")
		}
		dir = filepath.Clean(dir)
		vals["download-dir"] = dir
	}
	for k := range sessionSettings {
		if !a.has(k) {
			continue
		}
		v, err := parseSetting(k, a[k])
		if err != nil {
			return nil, err
		}
		vals[k] = v
	}
	// Other keys are not changeable in Braid: ignored, as unknown keys are.
	if len(vals) == 0 {
		return nil, nil
	}
	s.settingsMu.Lock() // one rewrite at a time: none loses another's keys
	defer s.settingsMu.Unlock()
	if s.cfg.SettingsFile != "" {
		if err := rewriteSettings(s.cfg.SettingsFile, vals); err != nil {
			return nil, fmt.Errorf("save settings: %w", err)
		}
	}
	if hasDir {
		s.st.setDownloadDir(dir)
		delete(vals, "download-dir")
	}
	s.sess.set(vals)
	s.sessionChanged()
	return nil, nil
}

func (s *Server) sessionStats(_ context.Context, _ args) (map[string]any, error) {
	var active, paused int
	var down, up float64
	var upBytes, downBytes int64
	es := s.st.all()
	for _, e := range es {
		if s.active(e) == nil {
			paused++
			upBytes += e.Uploaded
			downBytes += e.Downloaded
			continue
		}
		active++
		st, err := s.c.Stats(e.Hash, "speed", "uploaded", "fetched")
		if err != nil {
			continue
		}
		sp, _ := st["speed"].(braid.Speed)
		down += sp.Download
		up += sp.Upload
		u, _ := st["uploaded"].(int64)
		d, _ := st["fetched"].(int64)
		upBytes += u
		downBytes += d
	}
	s.st.mu.Lock()
	sessions := s.st.sessions
	s.st.mu.Unlock()
	secs := int64(time.Since(s.started).Seconds())
	stats := func(n int) map[string]any {
		return map[string]any{"uploadedBytes": upBytes, "downloadedBytes": downBytes,
			"filesAdded": len(es), "sessionCount": n, "secondsActive": secs}
	}
	return map[string]any{
		"activeTorrentCount": active, "pausedTorrentCount": paused, "torrentCount": len(es),
		"downloadSpeed": int64(down), "uploadSpeed": int64(up),
		"cumulative-stats": stats(max(sessions, 1)), "current-stats": stats(1),
	}, nil
}
