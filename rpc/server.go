// Package rpc serves Transmission's RPC protocol (rpc-version 17, clients
// of 14 to 17) over a braid.Client, so transmission-remote, the web UIs
// and scripts written for Transmission drive Braid's daemon.
//
// The HTTP layer follows Transmission: POST /transmission/rpc with a JSON
// request; a request without the current X-Transmission-Session-Id gets
// 409 and the id in that header; a Host header that is not a loopback
// name, an IP address or in the allow-list gets 421 (DNS rebinding); with
// credentials set, a request without them gets 401.
package rpc

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/braid-bt/braid"
)

// Path is where the RPC is served.
const Path = "/transmission/rpc"

// MaxBody bounds a request body; a larger one gets 413.
const MaxBody = 10 << 20

// RPC versions: what Braid speaks and the oldest clients it serves.
const (
	RPCVersion        = 17
	RPCVersionMinimum = 14
	rpcVersionSemver  = "5.3.0"
)

// Config configures a Server.
type Config struct {
	// Client runs the torrents.
	Client *braid.Client
	// DownloadDir is the default data directory (session-set changes it).
	DownloadDir string
	// StateFile keeps ids, paused state, labels and what is known of
	// stopped torrents across restarts ("" keeps them in memory only).
	StateFile string
	// SettingsFile is rewritten by session-set ("" : not persisted).
	SettingsFile string
	// Username and Password, when both set, are required (HTTP Basic).
	Username, Password string
	// AllowedHosts are Host header names accepted besides loopback names
	// and IP addresses.
	AllowedHosts []string
	// Peers are dialled for every torrent (as "host:port"), besides any
	// the trackers name.
	Peers []string
	// Blocklist is the client's blocklist source (Config.Blocklist; ""
	// none): blocklist-update reloads it.
	Blocklist string
	// Session describes the client for session-get. New sets the client's
	// speed caps from the session's settings (SpeedLimitDown and
	// SpeedLimitUp, when set, win over the settings file).
	Session SessionInfo
	// OnClose runs (once, on its own goroutine) after session-close has
	// been answered.
	OnClose func()
	// Logger receives diagnostics (default: discarded).
	Logger *slog.Logger
}

// SessionInfo holds the read-only facts session-get reports.
type SessionInfo struct {
	ConfigDir           string
	PeerPort            int
	DHT, UTP            bool
	PortForwarding      bool
	LPD                 bool   // local peer discovery (BEP 14) is on
	Encryption          string // required, preferred or tolerated
	SpeedLimitDown      int64  // bytes per second; 0: none
	SpeedLimitUp        int64
	PeerLimitPerTorrent int
	PeerLimitGlobal     int
}

// Server is the Transmission RPC endpoint; it is an http.Handler.
type Server struct {
	cfg       Config
	c         *braid.Client
	sessionID string
	log       *slog.Logger
	started   time.Time
	closeOnce sync.Once

	st   *store
	sess *session
	// moveMu serialises torrent-set-location and torrent-rename-path
	// calls (they move data).
	moveMu sync.Mutex
	// settingsMu serialises session-set (it rewrites the settings file).
	settingsMu sync.Mutex
	// schedMu serialises runs of the queue (schedule).
	schedMu sync.Mutex
	idleMu  sync.Mutex
	idle    map[int]seedActivity // seeding torrents' uploads, for the idle limit
	traffic map[int]seedActivity // running torrents' traffic, for stalled
	stalled map[int]bool

	// beforeStart, when set (by tests), runs in torrent-add between
	// recording the entry and starting the torrent.
	beforeStart func()
}

// New makes a server and loads its state file (a missing file is an
// empty state; a corrupt one is an error, so nothing is overwritten).
func New(cfg Config) (*Server, error) {
	if cfg.Client == nil {
		return nil, errors.New("rpc: no client")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	st, err := loadStore(cfg.StateFile, cfg.DownloadDir)
	if err != nil {
		return nil, err
	}
	sess := newSession()
	if err := sess.load(cfg.SettingsFile); err != nil {
		return nil, fmt.Errorf("settings: %w", err)
	}
	// Caps given to the client (the daemon's --upload-rate and
	// --download-rate) are the session's speed limits.
	if cfg.Session.SpeedLimitUp > 0 {
		sess.set(map[string]any{"speed-limit-up": max(cfg.Session.SpeedLimitUp/1000, 1), "speed-limit-up-enabled": true})
	}
	if cfg.Session.SpeedLimitDown > 0 {
		sess.set(map[string]any{"speed-limit-down": max(cfg.Session.SpeedLimitDown/1000, 1), "speed-limit-down-enabled": true})
	}
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	srv := &Server{cfg: cfg, c: cfg.Client, sessionID: base64.RawURLEncoding.EncodeToString(b),
		log: cfg.Logger, started: time.Now(), st: st, sess: sess, idle: map[int]seedActivity{},
		traffic: map[int]seedActivity{}, stalled: map[int]bool{}}
	srv.applyRates()
	return srv, nil
}

// SessionID is the current X-Transmission-Session-Id.
func (s *Server) SessionID() string { return s.sessionID }

// ServeHTTP answers RPC requests.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != Path && r.URL.Path != Path+"/" {
		http.NotFound(w, r)
		return
	}
	if !s.hostAllowed(r.Host) {
		s.misdirected(w)
		return
	}
	if !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="Transmission"`)
		http.Error(w, "401: Unauthorized", http.StatusUnauthorized)
		return
	}
	if r.Header.Get("X-Transmission-Session-Id") != s.sessionID {
		w.Header().Set("X-Transmission-Session-Id", s.sessionID)
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		w.WriteHeader(http.StatusConflict)
		_, _ = io.WriteString(w, "<h1>409: Conflict</h1><p>Your request had an invalid session-id header.</p>"+
			"<p>Get the current one from this answer's X-Transmission-Session-Id header and send it with every request.</p>\n")
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "405: Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			http.Error(w, "413: Request Entity Too Large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "400: Bad Request", http.StatusBadRequest)
		return
	}
	resp := s.exec(r, body)
	out, err := json.Marshal(resp)
	if err != nil {
		out, _ = json.Marshal(response{Result: "internal error: " + err.Error(), Arguments: map[string]any{}, Tag: resp.Tag})
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_, _ = w.Write(out)
	if resp.closing {
		s.closeOnce.Do(func() {
			if s.cfg.OnClose != nil {
				go s.cfg.OnClose()
			}
		})
	}
}

// hostAllowed is the DNS rebinding guard: loopback names, IP addresses
// and the allow-list pass.
func (s *Server) hostAllowed(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	lh := strings.ToLower(host)
	if lh == "" || lh == "localhost" || lh == "localhost." || strings.HasSuffix(lh, ".localhost") {
		return lh != ""
	}
	if net.ParseIP(host) != nil {
		return true
	}
	for _, a := range s.cfg.AllowedHosts {
		a = strings.ToLower(strings.TrimSpace(a))
		if a == lh || a == "*" || (strings.HasPrefix(a, "*.") && strings.HasSuffix(lh, a[1:])) {
			return true
		}
	}
	return false
}

// authorized checks HTTP Basic credentials when they are configured.
func (s *Server) authorized(r *http.Request) bool {
	if s.cfg.Username == "" && s.cfg.Password == "" {
		return true
	}
	u, p, ok := r.BasicAuth()
	if !ok {
		return false
	}
	uok := subtle.ConstantTimeCompare([]byte(u), []byte(s.cfg.Username)) == 1
	pok := subtle.ConstantTimeCompare([]byte(p), []byte(s.cfg.Password)) == 1
	return uok && pok
}

// IsLoopbackAddr reports whether a listen address binds loopback only.
func IsLoopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
