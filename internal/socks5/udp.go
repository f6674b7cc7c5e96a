package socks5

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"
)

// maxDatagram bounds a datagram from the relay.
const maxDatagram = 64 << 10

// DialUDP opens a UDP association through the proxy (UDP ASSOCIATE) and
// returns a connection whose datagrams go to addr ("host:port"; a host
// name goes to the proxy unresolved) and which receives only the
// relay's datagrams from addr (from any source when addr names a host).
// The association lives as long as the connection: closing it closes
// the control connection, and the proxy closing that closes the
// connection's socket. Fragments are dropped. RemoteAddr is addr.
func (p *Proxy) DialUDP(ctx context.Context, addr string) (net.Conn, error) {
	hdr, err := AppendUDPHeader(nil, addr)
	if err != nil {
		return nil, err
	}
	ctrl, err := p.open(ctx)
	if err != nil {
		return nil, err
	}
	// We do not know the address our datagrams will come from (a NAT may
	// change it): zeros, as RFC 1928 allows.
	bnd, err := p.request(ctx, ctrl, cmdUDPAssociate, "0.0.0.0:0")
	if err != nil {
		_ = ctrl.Close()
		return nil, err
	}
	relay, err := relayAddr(bnd, ctrl.RemoteAddr())
	if err != nil {
		_ = ctrl.Close()
		return nil, fmt.Errorf("socks5 proxy %s: %w", p.Addr, err)
	}
	udp, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(relay))
	if err != nil {
		_ = ctrl.Close()
		return nil, fmt.Errorf("socks5 proxy %s: relay %s: %w", p.Addr, relay, err)
	}
	c := &udpConn{sock: udp, ctrl: ctrl, hdr: hdr, remote: targetAddr("udp", addr), done: make(chan struct{})}
	if ap, err := netip.ParseAddrPort(addr); err == nil {
		c.want = ap
	}
	go c.watch()
	return c, nil
}

// relayAddr is where datagrams go: the bound address of the reply, or the
// proxy's own IP when the reply leaves it unspecified.
func relayAddr(bnd Addr, ctrlRemote net.Addr) (netip.AddrPort, error) {
	if !bnd.IP.IsValid() {
		return netip.AddrPort{}, fmt.Errorf("%w: UDP relay named by host name %q", ErrMalformed, bnd.Name)
	}
	if bnd.Port == 0 {
		return netip.AddrPort{}, fmt.Errorf("%w: UDP relay on port 0", ErrMalformed)
	}
	ip := bnd.IP
	if ip.IsUnspecified() {
		ap, err := netip.ParseAddrPort(ctrlRemote.String())
		if err != nil {
			return netip.AddrPort{}, fmt.Errorf("UDP relay unspecified and the proxy's address unknown: %w", err)
		}
		ip = ap.Addr()
	}
	return netip.AddrPortFrom(ip.Unmap(), bnd.Port), nil
}

// udpConn is one target's datagrams through a UDP relay.
type udpConn struct {
	sock   *net.UDPConn
	ctrl   net.Conn
	hdr    []byte         // our header to the target
	want   netip.AddrPort // the target, when an IP: others' datagrams are dropped
	remote net.Addr
	done   chan struct{}

	rmu sync.Mutex
	buf []byte
}

// watch waits for the control connection to end (the proxy sends nothing
// on it) and then ends the association.
func (c *udpConn) watch() {
	defer close(c.done)
	var b [64]byte
	for {
		if _, err := c.ctrl.Read(b[:]); err != nil {
			_ = c.sock.Close()
			return
		}
	}
}

func (c *udpConn) RemoteAddr() net.Addr { return c.remote }

// Write sends p to the target through the relay.
func (c *udpConn) Write(p []byte) (int, error) {
	pkt := make([]byte, 0, len(c.hdr)+len(p))
	pkt = append(append(pkt, c.hdr...), p...)
	if _, err := c.sock.Write(pkt); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Read returns the payload of the next datagram from the target (cut to
// len(p), as UDP reads are), skipping malformed ones, fragments and
// others' datagrams.
func (c *udpConn) Read(p []byte) (int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if c.buf == nil {
		c.buf = make([]byte, maxDatagram)
	}
	for {
		n, err := c.sock.Read(c.buf)
		if err != nil {
			return 0, err
		}
		from, payload, err := ParseUDPHeader(c.buf[:n])
		if err != nil {
			continue
		}
		if c.want.IsValid() && (from.IP.Unmap() != c.want.Addr().Unmap() || from.Port != c.want.Port()) {
			continue
		}
		return copy(p, payload), nil
	}
}

// Close ends the association and the socket.
func (c *udpConn) Close() error {
	err := c.ctrl.Close()
	<-c.done
	if uerr := c.sock.Close(); uerr != nil && !errors.Is(uerr, net.ErrClosed) {
		err = errors.Join(err, uerr)
	}
	return err
}

func (c *udpConn) LocalAddr() net.Addr                { return c.sock.LocalAddr() }
func (c *udpConn) SetDeadline(t time.Time) error      { return c.sock.SetDeadline(t) }
func (c *udpConn) SetReadDeadline(t time.Time) error  { return c.sock.SetReadDeadline(t) }
func (c *udpConn) SetWriteDeadline(t time.Time) error { return c.sock.SetWriteDeadline(t) }
