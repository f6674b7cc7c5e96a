package rpc

import (
	"encoding/json"
	"net/http"
	"path"
	"regexp"
	"strings"

	"github.com/braid-bt/braid/internal/webfile"
)

// MarkerPath is where the daemon tells Braid's web page that it talks to
// a daemon (and where its RPC is). `braid web`, which serves the same
// page with the engine in the tab, does not answer it.
const MarkerPath = "/braid/daemon.json"

// WebClientHeader marks the page's own RPC requests: a 401 to them comes
// without WWW-Authenticate, so the browser shows the page's sign-in
// form instead of its own dialog.
const WebClientHeader = "X-Braid-Client"

// webTypes are the files of the page the daemon serves, by extension; a
// file of any other kind is not served.
var webTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".mjs":  "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".json": "application/json",
	".wasm": "application/wasm",
	".svg":  "image/svg+xml",
	".png":  "image/png",
	".ico":  "image/x-icon",
}

// webName is a file name at the top of the web root: no directory, no
// dot file, nothing a path could escape with.
var webName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// Handler serves the RPC at Path and, beside it, Braid's web page: the
// files at the top of webRoot at "/" (index.html for "/"; subdirectories
// and dot files are not served) and the marker at MarkerPath. The Host
// allow-list applies to every path; the page's files need no
// credentials (the page asks for them when the RPC answers 401). With
// webRoot "" only the marker and the RPC are served.
func (s *Server) Handler(webRoot string) http.Handler {
	marker, _ := json.Marshal(map[string]any{"braid": "daemon", "rpc": Path, "auth": s.cfg.Username != "" || s.cfg.Password != ""})
	tags := new(webfile.ETags)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == Path || r.URL.Path == Path+"/" {
			if r.Header.Get(WebClientHeader) != "" {
				w = noChallenge{w}
			}
			s.ServeHTTP(w, r)
			return
		}
		if !s.hostAllowed(r.Host) {
			s.misdirected(w)
			return
		}
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "frame-ancestors 'none'; object-src 'none'; base-uri 'none'")
		h.Set("Referrer-Policy", "no-referrer")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			http.Error(w, "405: Method Not Allowed", http.StatusMethodNotAllowed)
			return
		}
		switch p := r.URL.Path; {
		case p == MarkerPath:
			h.Set("Cache-Control", "no-store")
			h.Set("Content-Type", "application/json")
			_, _ = w.Write(marker)
		case p == "/transmission/web" || strings.HasPrefix(p, "/transmission/web/"):
			// Where Transmission serves its page: bookmarks land on Braid's.
			http.Redirect(w, r, "/", http.StatusMovedPermanently)
		case webRoot == "":
			http.Error(w, "404: this daemon serves no web page (braid daemon --web-root DIR)", http.StatusNotFound)
		case p == "/" || p == "":
			serveWebFile(w, r, tags, webRoot, "index.html")
		default:
			serveWebFile(w, r, tags, webRoot, strings.TrimPrefix(p, "/"))
		}
	})
}

// serveWebFile serves one top-level file of root, opened through an
// os.Root so that no name (or symbolic link) reaches outside it, with an
// ETag of its content (tags remembers them per file version).
func serveWebFile(w http.ResponseWriter, r *http.Request, tags *webfile.ETags, root, name string) {
	ctype, ok := webTypes[path.Ext(name)]
	if !ok || !webName.MatchString(name) {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", ctype)
	tags.ServeFrom(w, r, root, name)
}

// misdirected is the answer to a Host header not in the allow-list.
func (s *Server) misdirected(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	w.WriteHeader(http.StatusMisdirectedRequest)
	_, _ = w.Write([]byte("<p>Transmission received your request, but the hostname was unrecognized.</p>" +
		"<p>To fix this, choose one of the following options:<ul><li>Add the host name to the daemon's " +
		"rpc-host-whitelist setting.</li><li>Reach the daemon by its IP address or a loopback name.</li></ul></p>\n"))
}

// noChallenge drops WWW-Authenticate from a 401, so a browser leaves the
// sign-in to the page.
type noChallenge struct{ http.ResponseWriter }

func (n noChallenge) WriteHeader(code int) {
	if code == http.StatusUnauthorized {
		n.Header().Del("WWW-Authenticate")
	}
	n.ResponseWriter.WriteHeader(code)
}
