package tracker

import (
	"bytes"
	"context"
	"encoding/binary"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeUDP is a scripted UDP tracker: handle returns the datagrams to send
// back for the n-th packet received (n counts from 0).
type fakeUDP struct {
	conn net.PacketConn
	mu   sync.Mutex
	got  [][]byte
}

func startFakeUDP(t *testing.T, network, addr string, handle func(n int, pkt []byte) [][]byte) *fakeUDP {
	t.Helper()
	pc, err := net.ListenPacket(network, addr)
	require.NoError(t, err)
	f := &fakeUDP{conn: pc}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for n := 0; ; n++ {
			k, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pkt := append([]byte(nil), buf[:k]...)
			f.mu.Lock()
			f.got = append(f.got, pkt)
			f.mu.Unlock()
			for _, r := range handle(n, pkt) {
				_, _ = pc.WriteTo(r, from)
			}
		}
	}()
	t.Cleanup(func() { pc.Close(); <-done })
	return f
}

func (f *fakeUDP) url() string { return "udp://" + f.conn.LocalAddr().String() + "/announce" }

func (f *fakeUDP) packets() [][]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]byte(nil), f.got...)
}

func (f *fakeUDP) actions() []uint32 {
	var out []uint32
	for _, p := range f.packets() {
		out = append(out, binary.BigEndian.Uint32(p[8:]))
	}
	return out
}

const fakeConnID = 0x1122334455667788

// replyOK answers connects and announces correctly (two IPv4 peers, or
// one IPv6 peer when v6).
func replyOK(pkt []byte, v6 bool) []byte {
	req, err := parseUDPRequest(pkt)
	if err != nil {
		return nil
	}
	switch req.Action {
	case actionConnect:
		return appendUDPConnectResponse(nil, req.TxID, fakeConnID)
	case actionAnnounce:
		if req.ConnID != fakeConnID {
			return appendUDPError(nil, req.TxID, "bad connection id")
		}
		peers := []netip.AddrPort{netip.MustParseAddrPort("10.1.2.3:6881"), netip.MustParseAddrPort("10.1.2.4:0")}
		if v6 {
			peers = []netip.AddrPort{netip.MustParseAddrPort("[2001:db8::7]:6881")}
		}
		return appendUDPAnnounceResponse(nil, req.TxID, 120*time.Second, 5, 6, peers)
	case actionScrape:
		res := make([]ScrapeResult, len(req.Hashes))
		for i := range res {
			res[i] = ScrapeResult{Seeders: i, Completed: 10 + i, Leechers: 20 + i}
		}
		return appendUDPScrapeResponse(nil, req.TxID, res)
	}
	return nil
}

func udpClientFor(t *testing.T, url string, timeout time.Duration) Client {
	t.Helper()
	c, err := NewClient(url, ClientOptions{Timeout: timeout})
	require.NoError(t, err)
	return c
}

func TestUDPClientRetransmits(t *testing.T) {
	f := startFakeUDP(t, "udp", "127.0.0.1:0", func(n int, pkt []byte) [][]byte {
		if n == 0 || n == 1 || n == 3 { // drop two connects and the first announce
			return nil
		}
		return [][]byte{replyOK(pkt, false)}
	})
	req := AnnounceRequest{InfoHash: hash(1), PeerID: peerID(1), Port: 6881, Left: 9, Event: EventStarted, NumWant: 7, Key: 42}
	resp, err := udpClientFor(t, f.url(), 30*time.Millisecond).Announce(testCtx(t), req)
	require.NoError(t, err)
	assert.Equal(t, &AnnounceResponse{Interval: 2 * time.Minute, Leechers: 5, Seeders: 6,
		Peers: []netip.AddrPort{netip.MustParseAddrPort("10.1.2.3:6881")}}, resp)
	assert.Equal(t, []uint32{actionConnect, actionConnect, actionConnect, actionAnnounce, actionAnnounce}, f.actions())

	// Retransmits repeat the same transaction id.
	pk := f.packets()
	assert.Equal(t, pk[0][12:16], pk[2][12:16])
	assert.Equal(t, pk[3], pk[4])

	// The announce carries our fields, and BEP 41 URL data.
	got, err := parseUDPRequest(pk[3])
	require.NoError(t, err)
	assert.Equal(t, req, got.Announce)
	assert.Equal(t, uint64(fakeConnID), got.ConnID)
	assert.Equal(t, append([]byte{2, 9}, "/announce"...), pk[3][udpAnnounceLen:])
}

func TestUDPClientIgnoresStrayPackets(t *testing.T) {
	f := startFakeUDP(t, "udp", "127.0.0.1:0", func(n int, pkt []byte) [][]byte {
		good := replyOK(pkt, false)
		wrongTx := append([]byte(nil), good...)
		wrongTx[7] ^= 0xff
		errWrongTx := appendUDPError(nil, binary.BigEndian.Uint32(wrongTx[4:]), "not for you")
		return [][]byte{{1, 2, 3}, wrongTx, errWrongTx, good}
	})
	resp, err := udpClientFor(t, f.url(), 2*time.Second).Announce(testCtx(t), AnnounceRequest{Port: 1})
	require.NoError(t, err)
	assert.Len(t, resp.Peers, 1)
	assert.Equal(t, []uint32{actionConnect, actionAnnounce}, f.actions(), "no retransmit was needed")
}

func TestUDPClientErrors(t *testing.T) {
	tests := []struct {
		name    string
		reply   func(n int, pkt []byte) []byte
		wantErr error
		text    string
	}{
		{"error action", func(n int, pkt []byte) []byte {
			if n == 0 {
				return replyOK(pkt, false)
			}
			return appendUDPError(nil, binary.BigEndian.Uint32(pkt[12:]), "torrent not registered\x00")
		}, ErrFailure, "torrent not registered"},
		{"error on connect", func(n int, pkt []byte) []byte {
			return appendUDPError(nil, binary.BigEndian.Uint32(pkt[12:]), "go away")
		}, ErrFailure, "go away"},
		{"wrong action", func(n int, pkt []byte) []byte {
			if n == 0 {
				return replyOK(pkt, false)
			}
			return appendUDPConnectResponse(nil, binary.BigEndian.Uint32(pkt[12:]), 1)
		}, ErrMalformed, "action"},
		{"short announce reply", func(n int, pkt []byte) []byte {
			r := replyOK(pkt, false)
			if n == 0 {
				return r
			}
			return r[:19]
		}, ErrMalformed, "19 bytes"},
		{"ragged peers", func(n int, pkt []byte) []byte {
			r := replyOK(pkt, false)
			if n == 0 {
				return r
			}
			return r[:len(r)-1]
		}, ErrMalformed, "multiple"},
		{"short connect reply", func(n int, pkt []byte) []byte {
			return replyOK(pkt, false)[:12]
		}, ErrMalformed, "connect"},
		{"silence", func(n int, pkt []byte) []byte { return nil }, ErrTimeout, "4 sends"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := startFakeUDP(t, "udp", "127.0.0.1:0", func(n int, pkt []byte) [][]byte {
				if r := tc.reply(n, pkt); r != nil {
					return [][]byte{r}
				}
				return nil
			})
			_, err := udpClientFor(t, f.url(), 10*time.Millisecond).Announce(testCtx(t), AnnounceRequest{Port: 1})
			require.ErrorIs(t, err, tc.wantErr)
			assert.Contains(t, err.Error(), tc.text)
		})
	}
}

func TestUDPClientCachesConnectionID(t *testing.T) {
	var mu sync.Mutex
	reject := false
	f := startFakeUDP(t, "udp", "127.0.0.1:0", func(n int, pkt []byte) [][]byte {
		mu.Lock()
		defer mu.Unlock()
		if reject && binary.BigEndian.Uint32(pkt[8:]) == actionAnnounce {
			reject = false
			return [][]byte{appendUDPError(nil, binary.BigEndian.Uint32(pkt[12:]), "bad connection id")}
		}
		return [][]byte{replyOK(pkt, false)}
	})
	c := udpClientFor(t, f.url(), time.Second)
	for range 3 {
		_, err := c.Announce(testCtx(t), AnnounceRequest{Port: 1})
		require.NoError(t, err)
	}
	assert.Equal(t, []uint32{actionConnect, actionAnnounce, actionAnnounce, actionAnnounce}, f.actions())
	// A tracker that forgot the id answers with an error: connect again, once.
	mu.Lock()
	reject = true
	mu.Unlock()
	_, err := c.Announce(testCtx(t), AnnounceRequest{Port: 1})
	require.NoError(t, err)
	assert.Equal(t, []uint32{actionAnnounce, actionConnect, actionAnnounce}, f.actions()[4:])
}

func TestUDPClientCancel(t *testing.T) {
	f := startFakeUDP(t, "udp", "127.0.0.1:0", func(int, []byte) [][]byte { return nil })
	c := udpClientFor(t, f.url(), time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := c.Announce(ctx, AnnounceRequest{Port: 1})
		errc <- err
	}()
	require.Eventually(t, func() bool { return len(f.packets()) > 0 }, 5*time.Second, time.Millisecond)
	cancel()
	select {
	case err := <-errc:
		require.ErrorIs(t, err, context.Canceled)
	case <-time.After(5 * time.Second):
		t.Fatal("Announce ignored ctx cancellation")
	}
}

func TestUDPClientClosedPort(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := pc.LocalAddr().String()
	pc.Close()
	_, err = udpClientFor(t, "udp://"+addr, time.Minute).Announce(testCtx(t), AnnounceRequest{Port: 1})
	require.Error(t, err, "ICMP port unreachable fails fast")
}

func TestUDPClientIPv6(t *testing.T) {
	if ln, err := net.ListenPacket("udp6", "[::1]:0"); err != nil {
		t.Skip("no IPv6 loopback:", err)
	} else {
		ln.Close()
	}
	f := startFakeUDP(t, "udp6", "[::1]:0", func(n int, pkt []byte) [][]byte {
		return [][]byte{replyOK(pkt, true)}
	})
	resp, err := udpClientFor(t, f.url(), time.Second).Announce(testCtx(t), AnnounceRequest{Port: 1})
	require.NoError(t, err)
	assert.Equal(t, []netip.AddrPort{netip.MustParseAddrPort("[2001:db8::7]:6881")}, resp.Peers)
}

func TestUDPClientScrape(t *testing.T) {
	f := startFakeUDP(t, "udp", "127.0.0.1:0", func(n int, pkt []byte) [][]byte {
		return [][]byte{replyOK(pkt, false)}
	})
	c := udpClientFor(t, f.url(), time.Second).(Scraper)
	hashes := make([][20]byte, 80) // two packets: 74 + 6
	for i := range hashes {
		hashes[i] = hash(byte(i))
	}
	res, err := c.Scrape(testCtx(t), hashes)
	require.NoError(t, err)
	require.Len(t, res, 80)
	assert.Equal(t, ScrapeResult{Seeders: 0, Completed: 10, Leechers: 20}, res[0])
	assert.Equal(t, ScrapeResult{Seeders: 5, Completed: 15, Leechers: 25}, res[79])
	assert.Equal(t, []uint32{actionConnect, actionScrape, actionScrape}, f.actions())
	pk := f.packets()
	assert.True(t, bytes.Equal(pk[2][16:36], hashes[74][:]))
}
