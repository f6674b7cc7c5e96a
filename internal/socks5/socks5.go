// Package socks5 is a SOCKS5 client (RFC 1928, with RFC 1929's
// username/password authentication): CONNECT for TCP streams and UDP
// ASSOCIATE for datagrams. Host names are sent to the proxy unresolved, so
// no name is looked up outside it. Every read from the proxy is bounded
// and every wait has a deadline. Native builds only use it; it imports
// nothing of Braid's.
package socks5

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Errors callers can test with errors.Is.
var (
	// ErrBadURL: a proxy URL that is not socks5://[user:pass@]host:port.
	ErrBadURL = errors.New("socks5: bad proxy URL")
	// ErrAuth: the proxy refused our credentials, or wants credentials
	// (or a method) we do not have.
	ErrAuth = errors.New("socks5: authentication refused")
	// ErrMalformed: the proxy broke the protocol (a bad version, an
	// unknown address type, a reply cut short).
	ErrMalformed = errors.New("socks5: malformed reply")
	// ErrRefused: the proxy answered a request with a failure code (see
	// ReplyError for which).
	ErrRefused = errors.New("socks5: request refused")
	// ErrUnsupported: a network the proxy cannot carry.
	ErrUnsupported = errors.New("socks5: unsupported network")
)

// DefaultTimeout bounds the exchange with the proxy (connecting to it,
// authenticating, and its reply to our request).
const DefaultTimeout = 15 * time.Second

// DefaultPort is SOCKS's port when a URL names none.
const DefaultPort = 1080

// Proxy is a SOCKS5 proxy to reach others through. Its zero value is not
// usable: Addr is required. Safe for concurrent use.
type Proxy struct {
	// Addr is the proxy's "host:port".
	Addr string
	// Username and Password, when Username is set, are offered with RFC
	// 1929; otherwise only "no authentication" is offered.
	Username, Password string
	// Timeout bounds the exchange with the proxy (default DefaultTimeout).
	Timeout time.Duration
	// DialProxy opens the TCP connection to the proxy itself (default a
	// net.Dialer); tests wrap it.
	DialProxy func(ctx context.Context, network, addr string) (net.Conn, error)
}

// ParseURL reads socks5://[user:pass@]host[:port] (socks5h:// is taken as
// the same: names always go to the proxy unresolved). A missing port is
// DefaultPort. Errors wrap ErrBadURL and say what is wrong in one line.
func ParseURL(raw string) (*Proxy, error) {
	bad := func(why string) error { return fmt.Errorf("%w %q: %s", ErrBadURL, redact(raw), why) }
	u, err := url.Parse(raw)
	if err != nil {
		return nil, bad("not a URL")
	}
	switch strings.ToLower(u.Scheme) {
	case "socks5", "socks5h":
	case "":
		return nil, bad("want socks5://[user:pass@]host:port")
	default:
		return nil, bad("scheme " + u.Scheme + " is not socks5")
	}
	if u.Opaque != "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, bad("want socks5://[user:pass@]host:port, nothing after the port")
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		return nil, bad("no host")
	}
	if port == "" {
		port = strconv.Itoa(DefaultPort)
	} else if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
		return nil, bad("port " + port + " is not 1-65535")
	}
	p := &Proxy{Addr: net.JoinHostPort(host, port)}
	if u.User != nil {
		p.Username = u.User.Username()
		p.Password, _ = u.User.Password()
		if p.Username == "" || p.Password == "" {
			return nil, bad("user and password must both be given (user:pass@)")
		}
		if len(p.Username) > 255 || len(p.Password) > 255 {
			return nil, bad("user and password are at most 255 bytes each")
		}
	}
	return p, nil
}

// redact hides a URL's password, for error messages and logs.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// String is the proxy's URL, without the password.
func (p *Proxy) String() string {
	if p.Username != "" {
		return "socks5://" + p.Username + ":xxxxx@" + p.Addr
	}
	return "socks5://" + p.Addr
}

func (p *Proxy) timeout() time.Duration {
	if p.Timeout > 0 {
		return p.Timeout
	}
	return DefaultTimeout
}

// open connects to the proxy and authenticates, within ctx and the
// proxy's timeout. The returned connection has a deadline set: callers
// clear it when their request is answered.
func (p *Proxy) open(ctx context.Context) (net.Conn, error) {
	dial := p.DialProxy
	if dial == nil {
		var d net.Dialer
		dial = d.DialContext
	}
	ctx, cancel := context.WithTimeout(ctx, p.timeout())
	defer cancel()
	c, err := dial(ctx, "tcp", p.Addr)
	if err != nil {
		return nil, fmt.Errorf("socks5: connect to proxy %s: %w", p.Addr, err)
	}
	deadline, _ := ctx.Deadline()
	_ = c.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if err := authenticate(c, p.Username, p.Password); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("socks5 proxy %s: %w", p.Addr, err)
	}
	return c, nil
}

// request sends cmd for addr on an authenticated connection and reads the
// reply, within ctx and the proxy's timeout; the deadline is cleared after.
func (p *Proxy) request(ctx context.Context, c net.Conn, cmd byte, addr string) (Addr, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout())
	defer cancel()
	deadline, _ := ctx.Deadline()
	_ = c.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	req, err := appendRequest(nil, cmd, addr)
	if err != nil {
		return Addr{}, err
	}
	if _, err := c.Write(req); err != nil {
		return Addr{}, fmt.Errorf("socks5 proxy %s: send request: %w", p.Addr, err)
	}
	bnd, err := ReadReply(c)
	if err != nil {
		return Addr{}, fmt.Errorf("socks5 proxy %s: %s %s: %w", p.Addr, cmdName(cmd), addr, err)
	}
	if !stop() {
		return Addr{}, fmt.Errorf("socks5 proxy %s: %w", p.Addr, context.Cause(ctx))
	}
	_ = c.SetDeadline(time.Time{})
	return bnd, nil
}

func cmdName(cmd byte) string {
	switch cmd {
	case cmdConnect:
		return "CONNECT"
	case cmdUDPAssociate:
		return "UDP ASSOCIATE"
	}
	return "command " + strconv.Itoa(int(cmd))
}
