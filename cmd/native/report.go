//go:build !js

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/braid-bt/braid"
	"github.com/braid-bt/braid/internal/socks5"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// reporter prints a download's progress in one of three forms: a progress
// bar on a terminal, plain log lines otherwise, or JSON lines (--json).
type reporter struct {
	out, errw io.Writer
	json      bool
	quiet     bool
	bar       *progressbar.ProgressBar
	lastLine  time.Time
	mapped    bool // the router's port forward was reported
}

func newReporter(stdout, stderr io.Writer, asJSON, quiet bool) *reporter {
	return &reporter{out: stdout, errw: stderr, json: asJSON, quiet: quiet}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func (r *reporter) emit(v map[string]any) {
	b, _ := json.Marshal(v)
	fmt.Fprintf(r.out, "%s\n", b)
}

func (r *reporter) logf(format string, a ...any) {
	if r.quiet || r.json {
		return
	}
	r.clearBar()
	fmt.Fprintf(r.out, format+"\n", a...)
}

func (r *reporter) clearBar() {
	if r.bar != nil {
		_ = r.bar.Clear()
	}
}

// proxy says, once, that a proxy carries the traffic and what is off.
func (r *reporter) proxy(cfg braid.Config) {
	if cfg.Proxy == "" {
		return
	}
	url := cfg.Proxy
	if p, err := socks5.ParseURL(cfg.Proxy); err == nil {
		url = p.String() // no password
	}
	if r.json {
		r.emit(map[string]any{"type": "proxy", "url": url, "strict": !cfg.ProxyAllowDirect})
		return
	}
	if cfg.ProxyAllowDirect {
		r.logf("proxy %s carries peers (TCP), trackers and web seeds; the listener, uTP, DHT and LSD run directly", url)
	} else {
		r.logf("proxy %s carries all traffic: no listener, uTP, DHT, LSD, port mapping or WebRTC", url)
	}
}

func (r *reporter) listening(addr, wsURL string) {
	if r.json {
		ev := map[string]any{"type": "listening", "addr": addr}
		if wsURL != "" {
			ev["ws"] = wsURL
		}
		r.emit(ev)
		return
	}
	if addr != "" {
		r.logf("listening for peers on %s", addr)
	}
	if wsURL != "" {
		r.logf("listening for WebSocket peers on %s", wsURL)
	}
}

// portMapping reports, once, the ports the router forwards for us.
func (r *reporter) portMapping(c *braid.Client) {
	if r.mapped {
		return
	}
	pm, ok := c.PortMapping()
	if !ok || len(pm.Ports) == 0 {
		return
	}
	r.mapped = true
	if r.json {
		r.emit(map[string]any{"type": "port_mapping", "gateway": pm.Gateway, "external_ip": pm.ExternalIP, "ports": pm.Ports})
		return
	}
	r.logf("%s forwards %s (outside address %s)", pm.Gateway, strings.Join(pm.Ports, ", "), pm.ExternalIP)
}

func (r *reporter) resume(t *braid.Torrent) {
	cr := t.CheckResult()
	if r.json {
		r.emit(map[string]any{"type": "resume", "record": string(t.RecordStatus()),
			"checked": cr.Checked, "valid": cr.Valid, "invalid": cr.Invalid})
		return
	}
	if t.RecordStatus() == braid.RecordCorrupt {
		fmt.Fprintf(r.errw, "braid: warning: the resume record of %s was damaged and is ignored\n", t.Name())
	}
	if cr.Checked > 0 {
		r.logf("%s: checked %d pieces on disk: %d good, %d to fetch again", t.Name(), cr.Checked, cr.Valid, cr.Invalid)
	}
}

// savePath says where the data is when a resume record, not --dir, chose
// the place.
func (r *reporter) savePath(dir string) {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	if r.json {
		r.emit(map[string]any{"type": "save_path", "path": dir, "from": "resume record"})
		return
	}
	r.logf("data in %s (from the resume record; --dir DIR puts it in DIR instead)", dir)
}

func (r *reporter) warn(msg string) {
	if r.json {
		r.emit(map[string]any{"type": "warning", "warning": msg})
		return
	}
	fmt.Fprintf(r.errw, "braid: warning: %s\n", msg)
}

var progressFields = []string{"info_hash", "info_hash_v2", "protocol", "name", "state", "downloaded", "bytes_size", "progress",
	"speed", "peers", "peers_by_transport", "fetched", "uploaded", "eta", "error"}

func (r *reporter) progress(c *braid.Client, t *braid.Torrent) {
	r.portMapping(c)
	st, err := c.Stats(t.InfoHash(), progressFields...)
	if err != nil {
		return
	}
	sp := st["speed"].(braid.Speed)
	if r.json {
		r.emit(map[string]any{"type": "progress", "info_hash": st["info_hash"], "info_hash_v2": st["info_hash_v2"],
			"protocol": st["protocol"], "name": st["name"],
			"state": st["state"], "have": st["downloaded"], "total": st["bytes_size"],
			"progress": st["progress"], "download_rate": sp.Download, "upload_rate": sp.Upload,
			"peers": st["peers"], "transports": st["peers_by_transport"], "fetched": st["fetched"], "uploaded": st["uploaded"], "eta": st["eta"]})
		return
	}
	if r.quiet {
		return
	}
	have, total := st["downloaded"].(int64), st["bytes_size"].(int64)
	desc := fmt.Sprintf("%s · %d peers · ↑ %s/s", st["name"], st["peers"], humanBytes(sp.Upload))
	if isTerminal(r.out) {
		if total == 0 {
			return // a magnet's size is unknown until its metadata arrives
		}
		if r.bar != nil && r.bar.GetMax64() != total {
			r.bar.ChangeMax64(total)
		}
		if r.bar == nil {
			r.bar = progressbar.NewOptions64(total,
				progressbar.OptionSetWriter(r.out),
				progressbar.OptionShowBytes(true),
				progressbar.OptionSetWidth(30),
				progressbar.OptionThrottle(200*time.Millisecond),
				progressbar.OptionShowCount(),
				progressbar.OptionSetPredictTime(true),
				progressbar.OptionFullWidth(),
				progressbar.OptionSetRenderBlankState(true))
		}
		r.bar.Describe(desc)
		_ = r.bar.Set64(have)
		return
	}
	// Plain lines for logs and pipes: one every 5 s is plenty.
	if time.Since(r.lastLine) < 5*time.Second && have < total {
		return
	}
	r.lastLine = time.Now()
	eta := "-"
	if e := st["eta"].(float64); e > 0 {
		eta = (time.Duration(e) * time.Second).String()
	}
	fmt.Fprintf(r.out, "%s %5.1f%% %s/%s ↓ %s/s ↑ %s/s peers %d eta %s\n", st["name"], 100*st["progress"].(float64),
		humanBytes(float64(have)), humanBytes(float64(total)), humanBytes(sp.Download), humanBytes(sp.Upload), st["peers"], eta)
}

func (r *reporter) complete(c *braid.Client, t *braid.Torrent, took time.Duration) {
	st, _ := c.Stats(t.InfoHash(), "fetched", "bytes_size", "protocol")
	if r.json {
		r.emit(map[string]any{"type": "complete", "fetched": st["fetched"], "seconds": took.Seconds(), "protocol": st["protocol"]})
		return
	}
	if r.bar != nil {
		_ = r.bar.Finish()
		fmt.Fprintln(r.out)
		r.bar = nil
	}
	r.logf("%s: complete (%s), %s fetched in %s", t.Name(), protocolName(st["protocol"]),
		humanBytes(float64(st["fetched"].(int64))), took.Round(time.Millisecond))
}

// protocolName says which BitTorrent a torrent speaks, for people.
func protocolName(p any) string {
	switch p {
	case "v2":
		return "BitTorrent v2"
	case "hybrid":
		return "BitTorrent v1+v2 hybrid"
	}
	return "BitTorrent v1"
}

func (r *reporter) seeding(t *braid.Torrent) {
	r.logf("%s: seeding; press Ctrl-C to stop", t.Name())
}

func (r *reporter) finish() {
	if r.bar != nil {
		_ = r.bar.Clear()
		r.bar = nil
	}
}

func (r *reporter) stopped() {
	if r.json {
		r.emit(map[string]any{"type": "stopped"})
	}
}

func humanBytes(n float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i := 0
	for n >= 1024 && i < len(units)-1 {
		n /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f %s", n, units[i])
	}
	return fmt.Sprintf("%.1f %s", n, units[i])
}

func newStderrLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
