package tracker

import (
	"net/http"
	"net/netip"

	"github.com/anacrolix/torrent/bencode"
)

// ServeHTTP answers announces at /announce and scrapes at /scrape, and
// hands WebSocket upgrades (at / or /announce) to the signalling server.
// Failures are bencoded "failure reason" replies with status 200, as
// clients expect.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if isWebSocketUpgrade(r) {
		s.serveWS(w, r)
		return
	}
	if r.Method != http.MethodGet {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	switch r.URL.Path {
	case "/announce":
		s.serveHTTPAnnounce(w, r)
	case "/scrape":
		s.serveHTTPScrape(w, r)
	default:
		http.NotFound(w, r)
	}
}

type httpPeerDict struct {
	IP     string `bencode:"ip"`
	PeerID string `bencode:"peer id,omitempty"`
	Port   uint16 `bencode:"port"`
}

func (s *Server) serveHTTPAnnounce(w http.ResponseWriter, r *http.Request) {
	a, err := parseHTTPAnnounceQuery(r.URL.RawQuery)
	if err != nil {
		writeFailure(w, err.Error())
		return
	}
	ip := remoteIP(r.RemoteAddr)
	if s.cfg.TrustIPParam && a.IP != "" {
		if p, err := netip.ParseAddr(a.IP); err == nil && p.Zone() == "" {
			ip = p.Unmap()
		}
	}
	if !ip.IsValid() {
		writeFailure(w, "cannot tell the client's address")
		return
	}
	res, err := s.announce(&a.Req, netip.AddrPortFrom(ip, a.Req.Port), familyAny)
	if err != nil {
		writeFailure(w, err.Error())
		return
	}
	reply := map[string]any{
		"interval":   int64(res.Interval.Seconds()),
		"complete":   res.Seeders,
		"incomplete": res.Leechers,
	}
	if s.cfg.MinInterval > 0 {
		reply["min interval"] = int64(s.cfg.MinInterval.Seconds())
	}
	if a.Compact {
		var v4, v6 []byte
		for _, p := range res.Peers {
			if p.addr.Addr().Is4() {
				v4 = appendCompactPeer(v4, p.addr)
			} else {
				v6 = appendCompactPeer(v6, p.addr)
			}
		}
		reply["peers"] = string(v4)
		if len(v6) > 0 {
			reply["peers6"] = string(v6)
		}
	} else {
		list := make([]httpPeerDict, 0, len(res.Peers))
		for _, p := range res.Peers {
			d := httpPeerDict{IP: p.addr.Addr().String(), Port: p.addr.Port()}
			if !a.NoPeerID {
				d.PeerID = string(p.id[:])
			}
			list = append(list, d)
		}
		reply["peers"] = list
	}
	writeBencode(w, reply)
}

func (s *Server) serveHTTPScrape(w http.ResponseWriter, r *http.Request) {
	hashes, err := parseHTTPScrapeQuery(r.URL.RawQuery)
	if err != nil {
		writeFailure(w, err.Error())
		return
	}
	res := s.scrape(hashes)
	files := make(map[string]map[string]int, len(hashes))
	for i, h := range hashes {
		files[string(h[:])] = map[string]int{
			"complete":   res[i].Seeders,
			"downloaded": res[i].Completed,
			"incomplete": res[i].Leechers,
		}
	}
	writeBencode(w, map[string]any{"files": files})
}

func remoteIP(remoteAddr string) netip.Addr {
	ap, err := netip.ParseAddrPort(remoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap().WithZone("")
}

func writeFailure(w http.ResponseWriter, reason string) {
	writeBencode(w, map[string]string{"failure reason": reason})
}

func writeBencode(w http.ResponseWriter, v any) {
	b, err := bencode.Marshal(v)
	if err != nil {
		http.Error(w, "encoding reply", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	_, _ = w.Write(b)
}
