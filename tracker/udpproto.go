package tracker

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"time"
)

// BEP 15 constants.
const (
	udpProtocolID = 0x41727101980

	actionConnect  = 0
	actionAnnounce = 1
	actionScrape   = 2
	actionError    = 3

	udpConnectLen   = 16
	udpAnnounceLen  = 98
	udpAnnounceResp = 20 // header before the peers
	udpScrapeMax    = 74 // info hashes per scrape packet (BEP 15)
	udpMaxURLData   = 1024
	udpMaxPacket    = 2048 // we never send or accept a request larger than this
)

// udpRequest is a client packet as the server reads it.
type udpRequest struct {
	ConnID   uint64
	Action   uint32
	TxID     uint32
	Announce AnnounceRequest // valid for actionAnnounce
	IP       [4]byte         // announce "IP address" field (0 = sender's)
	Hashes   [][20]byte      // valid for actionScrape
}

// parseUDPRequest decodes a connect, announce or scrape request. BEP 41
// options after an announce are ignored.
func parseUDPRequest(b []byte) (udpRequest, error) {
	var r udpRequest
	if len(b) < 16 {
		return r, fmt.Errorf("%w: UDP request of %d bytes", ErrMalformed, len(b))
	}
	if len(b) > udpMaxPacket {
		return r, fmt.Errorf("%w: UDP request of %d bytes", ErrMalformed, len(b))
	}
	r.ConnID = binary.BigEndian.Uint64(b)
	r.Action = binary.BigEndian.Uint32(b[8:])
	r.TxID = binary.BigEndian.Uint32(b[12:])
	switch r.Action {
	case actionConnect:
		if r.ConnID != udpProtocolID {
			return r, fmt.Errorf("%w: connect without the protocol id", ErrMalformed)
		}
	case actionAnnounce:
		if len(b) < udpAnnounceLen {
			return r, fmt.Errorf("%w: announce of %d bytes", ErrMalformed, len(b))
		}
		a := &r.Announce
		copy(a.InfoHash[:], b[16:36])
		copy(a.PeerID[:], b[36:56])
		a.Downloaded = clampInt64(binary.BigEndian.Uint64(b[56:]))
		a.Left = clampInt64(binary.BigEndian.Uint64(b[64:]))
		a.Uploaded = clampInt64(binary.BigEndian.Uint64(b[72:]))
		a.Event = eventFromUDP(binary.BigEndian.Uint32(b[80:]))
		copy(r.IP[:], b[84:88])
		a.Key = binary.BigEndian.Uint32(b[88:])
		a.NumWant = int(int32(binary.BigEndian.Uint32(b[92:])))
		a.Port = binary.BigEndian.Uint16(b[96:])
	case actionScrape:
		n := (len(b) - 16) / 20
		if (len(b)-16)%20 != 0 || n == 0 || n > udpScrapeMax {
			return r, fmt.Errorf("%w: scrape of %d bytes", ErrMalformed, len(b))
		}
		r.Hashes = make([][20]byte, n)
		for i := range r.Hashes {
			copy(r.Hashes[i][:], b[16+20*i:])
		}
	default:
		return r, fmt.Errorf("%w: unknown UDP action %d", ErrMalformed, r.Action)
	}
	return r, nil
}

// clampInt64 maps a wire uint64 counter onto the non-negative int64 range.
func clampInt64(v uint64) int64 {
	if v > 1<<63-1 {
		return 1<<63 - 1
	}
	return int64(v)
}

func appendUDPHeader(dst []byte, connID uint64, action, txID uint32) []byte {
	dst = binary.BigEndian.AppendUint64(dst, connID)
	dst = binary.BigEndian.AppendUint32(dst, action)
	return binary.BigEndian.AppendUint32(dst, txID)
}

func appendUDPConnect(dst []byte, txID uint32) []byte {
	return appendUDPHeader(dst, udpProtocolID, actionConnect, txID)
}

// appendUDPAnnounce writes an announce request; urlData is the BEP 41
// path-and-query of the announce URL ("" for none).
func appendUDPAnnounce(dst []byte, connID uint64, txID uint32, req *AnnounceRequest, urlData string) []byte {
	dst = appendUDPHeader(dst, connID, actionAnnounce, txID)
	dst = append(dst, req.InfoHash[:]...)
	dst = append(dst, req.PeerID[:]...)
	dst = binary.BigEndian.AppendUint64(dst, uint64(max(req.Downloaded, 0)))
	dst = binary.BigEndian.AppendUint64(dst, uint64(max(req.Left, 0)))
	dst = binary.BigEndian.AppendUint64(dst, uint64(max(req.Uploaded, 0)))
	dst = binary.BigEndian.AppendUint32(dst, req.Event.udpEvent())
	dst = binary.BigEndian.AppendUint32(dst, 0) // IP: the sender's
	dst = binary.BigEndian.AppendUint32(dst, req.Key)
	numWant := int32(-1)
	if req.NumWant > 0 {
		numWant = int32(min(req.NumWant, 1<<31-1))
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(numWant))
	dst = binary.BigEndian.AppendUint16(dst, req.Port)
	if len(urlData) > udpMaxURLData {
		urlData = urlData[:udpMaxURLData]
	}
	for len(urlData) > 0 {
		n := min(len(urlData), 255)
		dst = append(dst, 2, byte(n))
		dst = append(dst, urlData[:n]...)
		urlData = urlData[n:]
	}
	return dst
}

func appendUDPScrape(dst []byte, connID uint64, txID uint32, hashes [][20]byte) []byte {
	dst = appendUDPHeader(dst, connID, actionScrape, txID)
	for _, h := range hashes {
		dst = append(dst, h[:]...)
	}
	return dst
}

// parseUDPHeader reads the action and transaction id that start every
// tracker reply.
func parseUDPHeader(b []byte) (action, txID uint32, err error) {
	if len(b) < 8 {
		return 0, 0, fmt.Errorf("%w: UDP reply of %d bytes", ErrMalformed, len(b))
	}
	return binary.BigEndian.Uint32(b), binary.BigEndian.Uint32(b[4:]), nil
}

func parseUDPConnectResponse(b []byte) (uint64, error) {
	if len(b) < 16 {
		return 0, fmt.Errorf("%w: connect reply of %d bytes", ErrMalformed, len(b))
	}
	return binary.BigEndian.Uint64(b[8:]), nil
}

// parseUDPAnnounceResponse decodes an announce reply whose peers are
// 6-byte (v6 false) or 18-byte entries.
func parseUDPAnnounceResponse(b []byte, v6 bool) (*AnnounceResponse, error) {
	if len(b) < udpAnnounceResp {
		return nil, fmt.Errorf("%w: announce reply of %d bytes", ErrMalformed, len(b))
	}
	peers, err := parseCompactPeers(b[udpAnnounceResp:], v6)
	if err != nil {
		return nil, err
	}
	return &AnnounceResponse{
		Interval: seconds(int64(binary.BigEndian.Uint32(b[8:]))),
		Leechers: count(int64(binary.BigEndian.Uint32(b[12:]))),
		Seeders:  count(int64(binary.BigEndian.Uint32(b[16:]))),
		Peers:    peers,
	}, nil
}

// parseUDPScrapeResponse decodes the counters for n requested torrents.
func parseUDPScrapeResponse(b []byte, n int) ([]ScrapeResult, error) {
	if len(b) < 8+12*n {
		return nil, fmt.Errorf("%w: scrape reply of %d bytes for %d torrents", ErrMalformed, len(b), n)
	}
	out := make([]ScrapeResult, n)
	for i := range out {
		e := b[8+12*i:]
		out[i] = ScrapeResult{
			Seeders:   count(int64(binary.BigEndian.Uint32(e))),
			Completed: count(int64(binary.BigEndian.Uint32(e[4:]))),
			Leechers:  count(int64(binary.BigEndian.Uint32(e[8:]))),
		}
	}
	return out, nil
}

// parseUDPError returns the message of an error reply (action 3).
func parseUDPError(b []byte) string {
	if len(b) < 8 {
		return ""
	}
	return sanitize(string(b[8:]))
}

func appendUDPConnectResponse(dst []byte, txID uint32, connID uint64) []byte {
	dst = binary.BigEndian.AppendUint32(dst, actionConnect)
	dst = binary.BigEndian.AppendUint32(dst, txID)
	return binary.BigEndian.AppendUint64(dst, connID)
}

func appendUDPAnnounceResponse(dst []byte, txID uint32, interval time.Duration, leechers, seeders int, peers []netip.AddrPort) []byte {
	dst = binary.BigEndian.AppendUint32(dst, actionAnnounce)
	dst = binary.BigEndian.AppendUint32(dst, txID)
	dst = binary.BigEndian.AppendUint32(dst, uint32(interval/time.Second))
	dst = binary.BigEndian.AppendUint32(dst, uint32(leechers))
	dst = binary.BigEndian.AppendUint32(dst, uint32(seeders))
	for _, p := range peers {
		dst = appendCompactPeer(dst, p)
	}
	return dst
}

func appendUDPScrapeResponse(dst []byte, txID uint32, res []ScrapeResult) []byte {
	dst = binary.BigEndian.AppendUint32(dst, actionScrape)
	dst = binary.BigEndian.AppendUint32(dst, txID)
	for _, r := range res {
		dst = binary.BigEndian.AppendUint32(dst, uint32(r.Seeders))
		dst = binary.BigEndian.AppendUint32(dst, uint32(r.Completed))
		dst = binary.BigEndian.AppendUint32(dst, uint32(r.Leechers))
	}
	return dst
}

func appendUDPError(dst []byte, txID uint32, msg string) []byte {
	dst = binary.BigEndian.AppendUint32(dst, actionError)
	dst = binary.BigEndian.AppendUint32(dst, txID)
	return append(dst, msg...)
}
