package tracker

import (
	"bytes"
	"net/netip"
	"testing"
	"time"
)

func FuzzParseHTTPResponse(f *testing.F) {
	f.Add([]byte("d8:completei0e10:incompletei1e8:intervali1702e12:min intervali851e5:peers6:\x7f\x00\x00\x01\x1a\xe1e"))
	f.Add([]byte("d14:failure reason5:nope!e"))
	f.Fuzz(func(t *testing.T, data []byte) {
		resp, _, err := parseHTTPResponse(data)
		if err == nil {
			if resp.Interval < 0 || resp.MinInterval < 0 || resp.Seeders < 0 || resp.Leechers < 0 {
				t.Fatalf("negative field in %+v", resp)
			}
			if len(resp.Warning) > 3*maxMessageLen {
				t.Fatalf("unbounded warning of %d bytes", len(resp.Warning))
			}
			for _, p := range resp.Peers {
				if p.Port() == 0 || !p.Addr().IsValid() || p.Addr().Is4In6() {
					t.Fatalf("bad peer %v", p)
				}
			}
		}
		_, _ = parseHTTPScrape(data, [][20]byte{hash(1)})
	})
}

func FuzzParseUDPResponse(f *testing.F) {
	f.Add(appendUDPConnectResponse(nil, 1, 2), false)
	f.Add(appendUDPAnnounceResponse(nil, 1, time.Minute, 2, 3, []netip.AddrPort{netip.MustParseAddrPort("1.2.3.4:5")}), false)
	f.Fuzz(func(t *testing.T, data []byte, v6 bool) {
		if _, _, err := parseUDPHeader(data); err != nil {
			return
		}
		_, _ = parseUDPConnectResponse(data)
		_ = parseUDPError(data)
		if n := (len(data) - 8) / 12; n >= 0 && n <= udpScrapeMax {
			if res, err := parseUDPScrapeResponse(data, n); err == nil && len(res) != n {
				t.Fatalf("scrape: %d results for %d torrents", len(res), n)
			}
		}
		resp, err := parseUDPAnnounceResponse(data, v6)
		if err != nil {
			return
		}
		for _, p := range resp.Peers {
			if p.Port() == 0 {
				t.Fatalf("peer with port 0: %v", p)
			}
		}
		if v6 {
			return
		}
		// Re-encoding what we parsed gives what we parsed.
		enc := appendUDPAnnounceResponse(nil, 0, resp.Interval, resp.Leechers, resp.Seeders, resp.Peers)
		again, err := parseUDPAnnounceResponse(enc, false)
		if err != nil || again.Interval != resp.Interval || len(again.Peers) != len(resp.Peers) {
			t.Fatalf("round trip: %v %+v %+v", err, again, resp)
		}
	})
}

func FuzzParseHTTPAnnounceQuery(f *testing.F) {
	req := AnnounceRequest{InfoHash: hash(1), PeerID: peerID(1), Port: 6881, Left: 5, Event: EventStarted, NumWant: 30, Key: 7}
	f.Add(appendAnnounceQuery("", &req, ""))
	f.Fuzz(func(t *testing.T, q string) {
		_, _ = parseHTTPScrapeQuery(q)
		a, err := parseHTTPAnnounceQuery(q)
		if err != nil {
			return
		}
		if a.Req.Port == 0 || a.Req.Uploaded < 0 || a.Req.Downloaded < 0 || a.Req.Left < 0 || a.Req.NumWant < 0 {
			t.Fatalf("out of range: %+v", a.Req)
		}
		// What we parse, our client would send the same way.
		b, err := parseHTTPAnnounceQuery(appendAnnounceQuery("", &a.Req, ""))
		if err != nil || b.Req != a.Req {
			t.Fatalf("round trip: %v\n%+v\n%+v", err, a.Req, b.Req)
		}
	})
}

func FuzzParseUDPRequest(f *testing.F) {
	req := AnnounceRequest{InfoHash: hash(1), PeerID: peerID(1), Port: 6881, Left: 5, Event: EventStarted}
	f.Add(appendUDPConnect(nil, 9), false)
	f.Add(appendUDPAnnounce(nil, 1, 2, &req, "/announce"), true)
	f.Add(appendUDPScrape(nil, 1, 2, [][20]byte{hash(1)}), true)
	clock := newFakeClock()
	s := NewServer(ServerConfig{Now: clock.Now, Secret: []byte("fuzz"), MaxSwarms: 64, MaxPeersPerSwarm: 64})
	from := netip.MustParseAddrPort("192.0.2.1:1000")
	f.Fuzz(func(t *testing.T, data []byte, withID bool) {
		if withID && len(data) >= 8 {
			// Let the fuzzer past the connection id check.
			data = append([]byte(nil), data...)
			id := s.newConnectionID(from.Addr())
			for i := range 8 {
				data[i] = byte(id >> (56 - 8*i))
			}
		}
		reply := s.handleUDP(nil, data, from)
		if len(reply) > 0 && len(reply) < 8 {
			t.Fatalf("reply of %d bytes", len(reply))
		}
		r, err := parseUDPRequest(data)
		if err != nil || r.Action != actionAnnounce {
			return
		}
		enc := appendUDPAnnounce(nil, r.ConnID, r.TxID, &r.Announce, "")
		again, err := parseUDPRequest(enc)
		if err != nil {
			t.Fatal(err)
		}
		want := r.Announce
		if want.NumWant <= 0 {
			want.NumWant = -1
		}
		if again.Announce != want || !bytes.Equal(enc[:56], data[:56]) {
			t.Fatalf("round trip:\n%+v\n%+v", again.Announce, want)
		}
	})
}

// FuzzParseHTTPScrape checks a scrape reply never panics and, when
// accepted, gives one non-negative result per torrent asked for.
func FuzzParseHTTPScrape(f *testing.F) {
	h := hash(1)
	f.Add([]byte("d5:filesd20:" + string(h[:]) + "d8:completei3e10:downloadedi5e10:incompletei4eeee"))
	f.Add([]byte("d14:failure reason4:nopee"))
	f.Fuzz(func(t *testing.T, data []byte) {
		hashes := [][20]byte{hash(1), hash(2)}
		res, err := parseHTTPScrape(data, hashes)
		if err != nil {
			return
		}
		if len(res) != len(hashes) {
			t.Fatalf("%d results for %d torrents", len(res), len(hashes))
		}
		for _, r := range res {
			if r.Seeders < 0 || r.Leechers < 0 || r.Completed < 0 {
				t.Fatalf("negative counter in %+v", r)
			}
		}
	})
}
