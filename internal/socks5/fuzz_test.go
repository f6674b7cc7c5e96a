package socks5

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzReadReply: any bytes as the proxy's reply to CONNECT or UDP
// ASSOCIATE give an address or an error that is ErrMalformed or
// ErrRefused; never a panic, never more than 262 bytes read.
func FuzzReadReply(f *testing.F) {
	f.Add([]byte{5, 0, 0, 1, 127, 0, 0, 1, 0x1f, 0x90})                              // IPv4
	f.Add([]byte{5, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 80}) // IPv6
	f.Add([]byte{5, 0, 0, 3, 9, 'l', 'o', 'c', 'a', 'l', 'h', 'o', 's', 't', 0, 80}) // name
	f.Add([]byte{5, 5, 0, 1, 0, 0, 0, 0, 0, 0})                                      // refused
	f.Add([]byte{5, 0, 0, 3, 0, 0, 80})                                              // empty name
	f.Add([]byte{4, 90, 0, 0})                                                       // SOCKS4
	f.Add([]byte{5, 0, 0, 9})
	f.Add([]byte{5, 0, 0, 1, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bytes.NewReader(b)
		a, err := ReadReply(r)
		if read := len(b) - r.Len(); read > 4+1+255+2 {
			t.Fatalf("read %d bytes", read)
		}
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrRefused) {
				t.Fatalf("error %v is neither malformed nor refused", err)
			}
			return
		}
		if a.IP.IsValid() == (a.Name != "") {
			t.Fatalf("address %+v: want an IP or a name", a)
		}
	})
}

// FuzzParseUDPHeader: any datagram from the relay splits into an address
// and a payload that is a suffix of it, or fails with ErrMalformed.
func FuzzParseUDPHeader(f *testing.F) {
	for _, addr := range []string{"10.0.0.1:6969", "[2001:db8::1]:80", "tracker.example:1337"} {
		h, err := AppendUDPHeader(nil, addr)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(append(h, "payload"...))
	}
	f.Add([]byte{0, 0, 1, 1, 1, 2, 3, 4, 0, 80, 'x'}) // a fragment
	f.Add([]byte{0, 1, 0, 1, 1, 2, 3, 4, 0, 80})
	f.Add([]byte{0, 0, 0, 3, 200, 'a'})
	f.Add([]byte{0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		a, payload, err := ParseUDPHeader(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v is not ErrMalformed", err)
			}
			return
		}
		if !bytes.HasSuffix(b, payload) || len(b)-len(payload) > MaxUDPHeader {
			t.Fatalf("payload of %d bytes from a datagram of %d", len(payload), len(b))
		}
		if a.Name != "" {
			return // any bytes of a name parse; they are never sent back
		}
		// An IP address re-encodes to the same header.
		h, err := AppendUDPHeader(nil, a.String())
		if err != nil {
			t.Fatalf("re-encode %v: %v", a, err)
		}
		if !bytes.Equal(h, b[:len(b)-len(payload)]) {
			t.Fatalf("re-encoded %x, parsed %x", h, b[:len(b)-len(payload)])
		}
	})
}

// FuzzAuthenticate: any bytes as the proxy's side of method selection and
// RFC 1929's exchange end in success or an error, never a panic or a hang.
func FuzzAuthenticate(f *testing.F) {
	f.Add([]byte{5, 0}, true)
	f.Add([]byte{5, 2, 1, 0}, true)
	f.Add([]byte{5, 2, 1, 1}, true)
	f.Add([]byte{5, 0xff}, false)
	f.Add([]byte{5, 2}, false)
	f.Add([]byte{5, 2, 5, 0}, true)
	f.Add([]byte{1}, true)
	f.Fuzz(func(t *testing.T, server []byte, creds bool) {
		user, pass := "", ""
		if creds {
			user, pass = "user", "secret"
		}
		rw := &fakeConn{r: bytes.NewReader(server)}
		err := authenticate(rw, user, pass)
		if err == nil {
			// Success needs the method we offered and, for ours, status 0.
			if !bytes.HasPrefix(server, []byte{5, 0}) && !(creds && bytes.HasPrefix(server, []byte{5, 2}) && len(server) >= 4 && server[3] == 0) {
				t.Fatalf("accepted %x", server)
			}
		}
	})
}

// fakeConn reads a script and records what is written.
type fakeConn struct {
	r *bytes.Reader
	w bytes.Buffer
}

func (c *fakeConn) Read(p []byte) (int, error) {
	if c.r.Len() == 0 {
		return 0, io.EOF
	}
	return c.r.Read(p)
}

func (c *fakeConn) Write(p []byte) (int, error) { return c.w.Write(p) }
