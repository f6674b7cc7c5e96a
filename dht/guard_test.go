//go:build !js

package dht

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/anacrolix/dht/v2/krpc"
	"github.com/anacrolix/torrent/bencode"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const id20 = "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14"

// Datagrams the library would panic on (crashing the whole process) or
// that carry nothing for it.
var hostilePackets = map[string]string{
	"short value":            "d1:rd2:id20:" + id20 + "6:valuesl1:aee1:t2:aa1:y1:re",
	"empty value":            "d1:rd2:id20:" + id20 + "6:valuesl0:ee1:t2:aa1:y1:re",
	"short ip":               "d2:ip1:x1:rd2:id20:" + id20 + "e1:t2:aa1:y1:re",
	"announce without args":  "d1:q13:announce_peer1:t2:aa1:y1:qe",
	"get_peers without args": "d1:q9:get_peers1:t2:aa1:y1:qe",
	"put":                    "d1:ad2:id20:" + id20 + "3:seqi1e1:v1:x5:token1:xe1:q3:put1:t2:aa1:y1:qe",
	"get":                    "d1:ad2:id20:" + id20 + "6:target20:" + id20 + "e1:q3:get1:t2:aa1:y1:qe",
	"not a dict":             "l1:ae",
	"garbage":                "\x00\x01\x02",
	"truncated":              "d1:ad2:id20:" + id20,
	"unknown type":           "d1:t2:aa1:y1:ze",
	"unknown method":         "d1:ad2:id20:" + id20 + "e1:q6:x-9f3a1:t2:aa1:y1:qe",
	"huge string length":     "d1:t99999999999:aa1:y1:re",
	"deep nesting":           "d1:a" + strings.Repeat("l", 5000) + strings.Repeat("e", 5000) + "e",
}

func TestAdmitPacket(t *testing.T) {
	for name, p := range hostilePackets {
		assert.False(t, admitPacket([]byte(p)), name)
	}
	for name, p := range map[string]string{
		"ping":          "d1:ad2:id20:" + id20 + "e1:q4:ping1:t2:aa1:y1:qe",
		"find_node":     "d1:ad2:id20:" + id20 + "6:target20:" + id20 + "e1:q9:find_node1:t2:aa1:y1:qe",
		"response":      "d1:rd2:id20:" + id20 + "5:token2:tk6:valuesl6:\x7f\x00\x00\x01\x1a\xe1ee1:t2:aa1:y1:re",
		"error":         "d1:eli201e7:Generice1:t2:aa1:y1:ee",
		"trailing junk": "d1:ad2:id20:" + id20 + "e1:q4:ping1:t2:aa1:y1:qexx",
	} {
		assert.True(t, admitPacket([]byte(p)), name)
	}
}

// A node that receives every hostile datagram keeps serving.
func TestHostilePacketsDoNotStopTheNode(t *testing.T) {
	n := newTestNode(t, Config{})
	peer := newTestNode(t, Config{})
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	require.NoError(t, err)
	defer pc.Close()
	to := net.UDPAddrFromAddrPort(n.Addr())
	for _, p := range hostilePackets {
		_, err := pc.WriteTo([]byte(p), to)
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool { return n.conn.dropped.Load() >= int64(len(hostilePackets)) },
		5*time.Second, 10*time.Millisecond)

	// Still answering: a ping from another node gets it into that table.
	require.NoError(t, peer.AddNode(n.Addr().String()))
	require.Eventually(t, func() bool { return peer.Stats().GoodNodes == 1 }, 5*time.Second, 10*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, peer.Bootstrap(ctx))
}

// An unsolicited reply naming bad peers cannot reach a lookup, and values
// that do are cleaned: no port 0, no unspecified address, no repeats.
func TestCleanPeers(t *testing.T) {
	seen := map[netip.AddrPort]struct{}{}
	values := []krpc.NodeAddr{
		{IP: net.IPv4(10, 0, 0, 1), Port: 6881},
		{IP: net.IPv4(10, 0, 0, 1), Port: 6881},
		{IP: net.IPv4(10, 0, 0, 2), Port: 0},
		{IP: net.IPv4zero, Port: 6881},
		{IP: net.IP{1, 2, 3}, Port: 6881},
		{IP: net.IPv4bcast, Port: 6881},
		{IP: net.ParseIP("2001:db8::1"), Port: 6882},
		{IP: net.IPv4(10, 0, 0, 3), Port: 70000},
	}
	got := cleanPeers(seen, values)
	assert.Equal(t, []netip.AddrPort{
		netip.MustParseAddrPort("10.0.0.1:6881"),
		netip.MustParseAddrPort("[2001:db8::1]:6882"),
	}, got)
	assert.Empty(t, cleanPeers(seen, values[:1]), "already reported")
}

func FuzzAdmitPacket(f *testing.F) {
	for _, p := range hostilePackets {
		f.Add([]byte(p))
	}
	f.Add([]byte("d1:ad2:id20:" + id20 + "9:info_hash20:" + id20 + "4:porti6881e5:token2:tke1:q13:announce_peer1:t2:aa1:y1:qe"))
	f.Add([]byte("d1:rd2:id20:" + id20 + "5:nodes26:" + id20 + "\x7f\x00\x00\x01\x1a\xe1e1:t2:aa1:y1:re"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if !admitPacket(b) {
			return
		}
		// What the library then does with an admitted message must not
		// panic either: decode again and touch what it dereferences.
		var m krpc.Msg
		err := bencode.Unmarshal(b, &m)
		var trailing bencode.ErrUnusedTrailingBytes
		if err != nil && !errors.As(err, &trailing) {
			t.Fatalf("admitted a packet that does not decode: %v", err)
		}
		_ = m.SenderID()
		if m.Y == krpc.YQuery {
			_ = m.A.Token
			_ = m.A.InfoHash
		}
		if m.R != nil {
			seen := map[netip.AddrPort]struct{}{}
			_ = cleanPeers(seen, m.R.Values)
		}
	})
}
