package dht

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeDHT answers lookups with fixed batches and records what it is told.
type fakeDHT struct {
	batches [][]netip.AddrPort
	err     error
	added   []string
	closed  bool
	addr    netip.AddrPort
}

func (f *fakeDHT) Announce(context.Context, [20]byte, int, bool) (<-chan []netip.AddrPort, error) {
	if f.err != nil {
		return nil, f.err
	}
	ch := make(chan []netip.AddrPort, len(f.batches))
	for _, b := range f.batches {
		ch <- b
	}
	close(ch)
	return ch, nil
}
func (f *fakeDHT) AddNode(addr string) error { f.added = append(f.added, addr); return nil }
func (f *fakeDHT) Addr() netip.AddrPort      { return f.addr }
func (f *fakeDHT) Close() error              { f.closed = true; return nil }

func collectPeers(t *testing.T, ch <-chan []netip.AddrPort) []netip.AddrPort {
	t.Helper()
	var all []netip.AddrPort
	for b := range ch {
		all = append(all, b...)
	}
	slices.SortFunc(all, netip.AddrPort.Compare)
	return all
}

func TestDual(t *testing.T) {
	p4 := netip.MustParseAddrPort("10.0.0.1:6881")
	p6 := netip.MustParseAddrPort("[2001:db8::1]:6881")
	v4 := &fakeDHT{batches: [][]netip.AddrPort{{p4}}, addr: netip.MustParseAddrPort("0.0.0.0:7000")}
	v6 := &fakeDHT{batches: [][]netip.AddrPort{{p6}}}
	d := Dual{V4: v4, V6: v6}

	ch, err := d.Announce(context.Background(), [20]byte{1}, 7000, false)
	require.NoError(t, err)
	assert.Equal(t, []netip.AddrPort{p4, p6}, collectPeers(t, ch), "what either family finds")

	v6.err = errors.New("no IPv6 nodes")
	ch, err = d.Announce(context.Background(), [20]byte{1}, 7000, false)
	require.NoError(t, err, "one family is enough")
	assert.Equal(t, []netip.AddrPort{p4}, collectPeers(t, ch))
	v4.err = errors.New("no IPv4 nodes")
	_, err = d.Announce(context.Background(), [20]byte{1}, 7000, false)
	require.Error(t, err)

	require.NoError(t, d.AddNode("10.0.0.2:6881"))
	require.NoError(t, d.AddNode("[2001:db8::2]:6881"))
	require.NoError(t, d.AddNode("[::ffff:10.0.0.3]:6881"))
	assert.Equal(t, []string{"10.0.0.2:6881", "[::ffff:10.0.0.3]:6881"}, v4.added)
	assert.Equal(t, []string{"[2001:db8::2]:6881"}, v6.added)
	assert.Equal(t, v4.addr, d.Addr())
	require.NoError(t, d.Close())
	assert.True(t, v4.closed && v6.closed)
}
