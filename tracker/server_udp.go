package tracker

import (
	"errors"
	"net"
	"net/netip"
)

// errConnectionID tells a client to connect again.
const errConnectionID = "bad connection id"

// ServeUDP answers BEP 15 requests on conn until it is closed (then it
// returns nil). Requests with an unknown or expired connection id get a
// short error reply (never larger than the request, so the server cannot
// amplify traffic aimed at a spoofed address).
func (s *Server) ServeUDP(conn net.PacketConn) error {
	buf := make([]byte, udpMaxPacket+1)
	out := make([]byte, 0, 2048)
	for {
		n, from, err := conn.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		ua, ok := from.(*net.UDPAddr)
		if !ok {
			continue
		}
		reply := s.handleUDP(out[:0], buf[:n], ua.AddrPort())
		if len(reply) > 0 {
			_, _ = conn.WriteTo(reply, from)
		}
	}
}

// handleUDP appends the reply to one datagram to dst (nothing when the
// datagram deserves no answer).
func (s *Server) handleUDP(dst, pkt []byte, from netip.AddrPort) []byte {
	ip := from.Addr().Unmap().WithZone("")
	req, err := parseUDPRequest(pkt)
	if err != nil {
		if len(pkt) >= 16 && req.Action != actionConnect && s.validConnectionID(ip, req.ConnID) {
			return appendBoundedError(dst, pkt, req.TxID, err.Error())
		}
		return dst
	}
	if req.Action == actionConnect {
		return appendUDPConnectResponse(dst, req.TxID, s.newConnectionID(ip))
	}
	if !s.validConnectionID(ip, req.ConnID) {
		// The request is larger than this reply, so it reflects nothing.
		return appendBoundedError(dst, pkt, req.TxID, errConnectionID)
	}
	switch req.Action {
	case actionAnnounce:
		if s.cfg.TrustIPParam && req.IP != [4]byte{} {
			ip = netip.AddrFrom4(req.IP)
		}
		f := family4
		if ip.Is6() {
			f = family6
		}
		res, err := s.announce(&req.Announce, netip.AddrPortFrom(ip, req.Announce.Port), f)
		if err != nil {
			return appendBoundedError(dst, pkt, req.TxID, err.Error())
		}
		peers := make([]netip.AddrPort, len(res.Peers))
		for i, p := range res.Peers {
			peers[i] = p.addr
		}
		return appendUDPAnnounceResponse(dst, req.TxID, res.Interval, res.Leechers, res.Seeders, peers)
	case actionScrape:
		return appendUDPScrapeResponse(dst, req.TxID, s.scrape(req.Hashes))
	}
	return dst
}

// appendBoundedError writes an error reply no larger than the request.
func appendBoundedError(dst, pkt []byte, txID uint32, msg string) []byte {
	if n := len(pkt) - 8; len(msg) > n {
		msg = msg[:max(n, 0)]
	}
	return appendUDPError(dst, txID, msg)
}
