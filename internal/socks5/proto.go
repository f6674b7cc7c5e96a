package socks5

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
)

// RFC 1928's numbers.
const (
	version5 = 5

	methodNone     = 0x00
	methodUserPass = 0x02
	methodNoneOK   = 0xff // "no acceptable methods"

	userPassVersion = 1 // RFC 1929's subnegotiation

	cmdConnect      = 1
	cmdUDPAssociate = 3

	atypIPv4   = 1
	atypDomain = 3
	atypIPv6   = 4
)

// MaxUDPHeader is the longest UDP request header: 4 bytes, a 255-byte
// name with its length byte, and the port.
const MaxUDPHeader = 4 + 1 + 255 + 2

// Addr is an address as SOCKS carries it: an IP or a host name, and a port.
type Addr struct {
	IP   netip.Addr // valid for an IPv4 or IPv6 address
	Name string     // a host name otherwise
	Port uint16
}

// String is "host:port".
func (a Addr) String() string {
	host := a.Name
	if a.IP.IsValid() {
		host = a.IP.String()
	}
	return net.JoinHostPort(host, strconv.Itoa(int(a.Port)))
}

// ReplyError is a failure code in the proxy's reply (RFC 1928 section 6).
type ReplyError struct{ Code byte }

func (e *ReplyError) Error() string {
	msgs := [...]string{1: "general SOCKS server failure", 2: "connection not allowed by ruleset",
		3: "network unreachable", 4: "host unreachable", 5: "connection refused", 6: "TTL expired",
		7: "command not supported", 8: "address type not supported"}
	if int(e.Code) < len(msgs) && msgs[e.Code] != "" {
		return msgs[e.Code]
	}
	return fmt.Sprintf("failure code %d", e.Code)
}

// Is makes a ReplyError match ErrRefused.
func (e *ReplyError) Is(target error) bool { return target == ErrRefused }

// authenticate runs method selection, then RFC 1929's username/password
// exchange if the proxy chose it (only offered when user is set).
func authenticate(rw io.ReadWriter, user, pass string) error {
	greet := []byte{version5, 1, methodNone}
	if user != "" {
		greet = []byte{version5, 2, methodNone, methodUserPass}
	}
	if _, err := rw.Write(greet); err != nil {
		return fmt.Errorf("send greeting: %w", err)
	}
	var sel [2]byte
	if _, err := io.ReadFull(rw, sel[:]); err != nil {
		return fmt.Errorf("read method selection: %w", short(err))
	}
	if sel[0] != version5 {
		return fmt.Errorf("%w: version %d in method selection", ErrMalformed, sel[0])
	}
	switch {
	case sel[1] == methodNone:
		return nil
	case sel[1] == methodUserPass && user != "":
	case sel[1] == methodNoneOK && user == "":
		return fmt.Errorf("%w: the proxy wants credentials (socks5://user:pass@host:port)", ErrAuth)
	case sel[1] == methodNoneOK:
		return fmt.Errorf("%w: the proxy accepts none of our methods", ErrAuth)
	default:
		return fmt.Errorf("%w: the proxy chose method %d, which we did not offer", ErrMalformed, sel[1])
	}
	msg := make([]byte, 0, 3+len(user)+len(pass))
	msg = append(msg, userPassVersion, byte(len(user)))
	msg = append(msg, user...)
	msg = append(msg, byte(len(pass)))
	msg = append(msg, pass...)
	if _, err := rw.Write(msg); err != nil {
		return fmt.Errorf("send credentials: %w", err)
	}
	var st [2]byte
	if _, err := io.ReadFull(rw, st[:]); err != nil {
		return fmt.Errorf("read authentication status: %w", short(err))
	}
	// RFC 1929 says version 1; some servers echo 5.
	if st[0] != userPassVersion && st[0] != version5 {
		return fmt.Errorf("%w: version %d in authentication status", ErrMalformed, st[0])
	}
	if st[1] != 0 {
		return fmt.Errorf("%w: user %q (status %d)", ErrAuth, user, st[1])
	}
	return nil
}

// short turns a reply cut short into ErrMalformed.
func short(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: the proxy closed the connection", ErrMalformed)
	}
	return err
}

// appendAddr appends "host:port" as ATYP, address and port.
func appendAddr(dst []byte, hostport string) ([]byte, error) {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return nil, fmt.Errorf("socks5: address %q: %w", hostport, err)
	}
	pn, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("socks5: address %q: bad port", hostport)
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		ip = ip.Unmap()
		if ip.Is4() {
			dst = append(dst, atypIPv4)
		} else if ip.Zone() != "" {
			return nil, fmt.Errorf("socks5: address %q: a zone cannot be sent", hostport)
		} else {
			dst = append(dst, atypIPv6)
		}
		dst = append(dst, ip.AsSlice()...)
	} else {
		if len(host) == 0 || len(host) > 255 {
			return nil, fmt.Errorf("socks5: host name %q: 1 to 255 bytes", host)
		}
		dst = append(dst, atypDomain, byte(len(host)))
		dst = append(dst, host...)
	}
	return binary.BigEndian.AppendUint16(dst, uint16(pn)), nil
}

// appendRequest appends a request: cmd for addr.
func appendRequest(dst []byte, cmd byte, addr string) ([]byte, error) {
	return appendAddr(append(dst, version5, cmd, 0), addr)
}

// ReadReply reads the proxy's reply to a CONNECT or UDP ASSOCIATE request
// and returns its bound address (the relay's, for UDP ASSOCIATE). A
// failure code is a *ReplyError (matching ErrRefused); a reply that breaks
// the protocol wraps ErrMalformed. It reads at most 262 bytes.
func ReadReply(r io.Reader) (Addr, error) {
	var h [4]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return Addr{}, short(err)
	}
	if h[0] != version5 {
		return Addr{}, fmt.Errorf("%w: version %d in reply", ErrMalformed, h[0])
	}
	if h[1] != 0 {
		return Addr{}, &ReplyError{Code: h[1]}
	}
	return readAddr(r, h[3])
}

// readAddr reads an address of type atyp and its port.
func readAddr(r io.Reader, atyp byte) (Addr, error) {
	var buf [255]byte
	var a Addr
	switch atyp {
	case atypIPv4:
		if _, err := io.ReadFull(r, buf[:4]); err != nil {
			return Addr{}, short(err)
		}
		a.IP = netip.AddrFrom4([4]byte(buf[:4]))
	case atypIPv6:
		if _, err := io.ReadFull(r, buf[:16]); err != nil {
			return Addr{}, short(err)
		}
		a.IP = netip.AddrFrom16([16]byte(buf[:16]))
	case atypDomain:
		if _, err := io.ReadFull(r, buf[:1]); err != nil {
			return Addr{}, short(err)
		}
		n := int(buf[0])
		if n == 0 {
			return Addr{}, fmt.Errorf("%w: empty host name", ErrMalformed)
		}
		if _, err := io.ReadFull(r, buf[:n]); err != nil {
			return Addr{}, short(err)
		}
		a.Name = string(buf[:n])
	default:
		return Addr{}, fmt.Errorf("%w: address type %d", ErrMalformed, atyp)
	}
	if _, err := io.ReadFull(r, buf[:2]); err != nil {
		return Addr{}, short(err)
	}
	a.Port = binary.BigEndian.Uint16(buf[:2])
	return a, nil
}

// errFragment: a fragmented UDP datagram (FRAG not 0), which Braid does
// not reassemble (RFC 1928 allows dropping them).
var errFragment = fmt.Errorf("%w: fragmented datagram", ErrMalformed)

// ParseUDPHeader splits a datagram from the relay into the address it
// came from and its payload. A fragment (FRAG not 0), non-zero reserved
// bytes or a header cut short wrap ErrMalformed.
func ParseUDPHeader(b []byte) (Addr, []byte, error) {
	if len(b) < 4 {
		return Addr{}, nil, fmt.Errorf("%w: datagram of %d bytes", ErrMalformed, len(b))
	}
	if b[0] != 0 || b[1] != 0 {
		return Addr{}, nil, fmt.Errorf("%w: reserved bytes not zero", ErrMalformed)
	}
	if b[2] != 0 {
		return Addr{}, nil, errFragment
	}
	r := &sliceReader{b: b[4:]}
	a, err := readAddr(r, b[3])
	if err != nil {
		return Addr{}, nil, err
	}
	return a, r.b, nil
}

// AppendUDPHeader appends the header of a datagram to addr ("host:port").
func AppendUDPHeader(dst []byte, addr string) ([]byte, error) {
	return appendAddr(append(dst, 0, 0, 0), addr)
}

// sliceReader reads a byte slice, keeping the rest.
type sliceReader struct{ b []byte }

func (s *sliceReader) Read(p []byte) (int, error) {
	if len(s.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.b)
	s.b = s.b[n:]
	return n, nil
}
