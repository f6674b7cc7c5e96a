package tracker

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"sync"
	"time"
)

const (
	udpConnIDLife    = 60 * time.Second // BEP 15: a connection id is good for a minute
	udpBaseTimeout   = 15 * time.Second // BEP 15: 15 * 2^n
	udpRetransmits   = 3                // sends after the first; ctx bounds the total anyway
	udpReadBufferLen = 1 << 16
)

// udpClient announces to a BEP 15 tracker. Each call uses its own socket;
// the connection id is cached per tracker address, as trackers bind it to
// our IP rather than our port.
type udpClient struct {
	host    string // host:port as given
	urlData string // BEP 41 path and query, if any
	opts    ClientOptions

	mu       sync.Mutex // one transaction at a time
	connID   uint64
	connAt   time.Time
	connAddr string
}

func newUDPClient(u *url.URL, opts ClientOptions) (*udpClient, error) {
	if u.Host == "" || u.Port() == "" {
		return nil, fmt.Errorf("tracker: UDP announce URL %q needs host:port", u.Redacted())
	}
	c := &udpClient{host: u.Host, opts: opts}
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
		c.urlData = u.EscapedPath()
		if u.RawQuery != "" {
			c.urlData += "?" + u.RawQuery
		}
	}
	return c, nil
}

// Announce implements Client.
func (c *udpClient) Announce(ctx context.Context, req AnnounceRequest) (*AnnounceResponse, error) {
	var resp *AnnounceResponse
	err := c.transact(ctx, func(conn net.Conn, connID uint64, v6 bool) error {
		txID := rand.Uint32()
		pkt := appendUDPAnnounce(make([]byte, 0, udpAnnounceLen+udpMaxURLData), connID, txID, &req, c.urlData)
		reply, err := c.roundTrip(ctx, conn, pkt, actionAnnounce, txID)
		if err != nil {
			return err
		}
		resp, err = parseUDPAnnounceResponse(reply, v6)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("tracker udp://%s: %w", c.host, err)
	}
	return resp, nil
}

// Scrape implements Scraper, 74 torrents per packet.
func (c *udpClient) Scrape(ctx context.Context, infoHashes [][20]byte) ([]ScrapeResult, error) {
	out := make([]ScrapeResult, 0, len(infoHashes))
	if len(infoHashes) == 0 {
		return out, nil
	}
	err := c.transact(ctx, func(conn net.Conn, connID uint64, _ bool) error {
		for rest := infoHashes; len(rest) > 0; {
			batch := rest[:min(len(rest), udpScrapeMax)]
			rest = rest[len(batch):]
			txID := rand.Uint32()
			reply, err := c.roundTrip(ctx, conn, appendUDPScrape(nil, connID, txID, batch), actionScrape, txID)
			if err != nil {
				return err
			}
			res, err := parseUDPScrapeResponse(reply, len(batch))
			if err != nil {
				return err
			}
			out = append(out, res...)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("tracker udp://%s: %w", c.host, err)
	}
	return out, nil
}

func (c *udpClient) connect(ctx context.Context, conn net.Conn, addr string) error {
	c.connAddr = ""
	txID := rand.Uint32()
	reply, err := c.roundTrip(ctx, conn, appendUDPConnect(nil, txID), actionConnect, txID)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	id, err := parseUDPConnectResponse(reply)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	c.connID, c.connAt, c.connAddr = id, time.Now(), addr
	return nil
}

// roundTrip sends pkt and waits for the reply carrying txID, resending on
// the BEP 15 schedule (15·2^n s) with each wait capped at Timeout. Stray
// packets are ignored; an error reply becomes an ErrFailure.
func (c *udpClient) roundTrip(ctx context.Context, conn net.Conn, pkt []byte, want, txID uint32) ([]byte, error) {
	buf := make([]byte, udpReadBufferLen)
	for n := 0; n <= udpRetransmits; n++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if _, err := conn.Write(pkt); err != nil {
			return nil, err
		}
		deadline := time.Now().Add(min(udpBaseTimeout<<n, c.opts.timeout()))
		if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
			deadline = d
		}
		if err := conn.SetReadDeadline(deadline); err != nil {
			return nil, err
		}
		if err := ctx.Err(); err != nil { // lost a race with the AfterFunc
			return nil, err
		}
		for {
			k, err := conn.Read(buf)
			if err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					break // resend
				}
				return nil, err
			}
			action, got, err := parseUDPHeader(buf[:k])
			if err != nil || got != txID {
				continue // stray or stale packet
			}
			if action == actionError {
				return nil, fmt.Errorf("%w: %s", ErrFailure, parseUDPError(buf[:k]))
			}
			if action != want {
				return nil, fmt.Errorf("%w: action %d in reply to action %d", ErrMalformed, action, want)
			}
			return append([]byte(nil), buf[:k]...), nil
		}
	}
	return nil, fmt.Errorf("%w after %d sends", ErrTimeout, udpRetransmits+1)
}
