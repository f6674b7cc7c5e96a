package mse

import (
	"bytes"
	"crypto/rc4"
	"io"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	torrentA = [20]byte{'a', 1, 2, 3}
	torrentB = [20]byte{'b', 4, 5, 6}
)

// knows looks up the torrents a receiver has.
func knows(ihs ...[20]byte) func([20]byte) ([20]byte, bool) {
	return func(req2 [20]byte) ([20]byte, bool) {
		for _, ih := range ihs {
			if Req2(ih) == req2 {
				return ih, true
			}
		}
		return [20]byte{}, false
	}
}

// tcpPair is a connected loopback pair: MSE needs buffered writes both
// ways (net.Pipe would deadlock on the pads).
func tcpPair(t *testing.T) (a, b net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	got := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			close(got)
			return
		}
		got <- c
	}()
	a, err = net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	b = <-got
	require.NotNil(t, b)
	for _, c := range []net.Conn{a, b} {
		require.NoError(t, c.SetDeadline(time.Now().Add(10*time.Second)))
		t.Cleanup(func() { c.Close() })
	}
	return a, b
}

type result struct {
	c      net.Conn
	ih     [20]byte
	method Method
	err    error
}

// exchange runs both sides; the receiver first reads prefix bytes itself,
// as the engine does to tell MSE from a plain handshake.
func exchange(t *testing.T, skey [20]byte, provide, allow Method, ia []byte, prefix int, lookup func([20]byte) ([20]byte, bool)) (init, recv result) {
	t.Helper()
	a, b := tcpPair(t)
	done := make(chan result, 1)
	go func() {
		p := make([]byte, prefix)
		if _, err := io.ReadFull(b, p); err != nil {
			done <- result{err: err}
			return
		}
		c, ih, m, err := Accept(b, p, lookup, allow)
		if err != nil {
			b.Close() // as the engine does: the initiator sees the end
		}
		done <- result{c, ih, m, err}
	}()
	c, m, err := Initiate(a, skey, provide, ia)
	init = result{c: c, method: m, err: err}
	recv = <-done
	return init, recv
}

func TestExchangeCarriesDataBothWays(t *testing.T) {
	cases := []struct {
		name           string
		provide, allow Method
		want           Method
	}{
		{"both offered, both allowed: plaintext", Plaintext | RC4, Plaintext | RC4, Plaintext},
		{"both offered, RC4 allowed", Plaintext | RC4, RC4, RC4},
		{"RC4 only", RC4, Plaintext | RC4, RC4},
		{"plaintext only", Plaintext, Plaintext | RC4, Plaintext},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ia := []byte("\x13BitTorrent protocol: the initiator's handshake")
			init, recv := exchange(t, torrentB, tc.provide, tc.allow, ia, 20, knows(torrentA, torrentB))
			require.NoError(t, init.err)
			require.NoError(t, recv.err)
			assert.Equal(t, tc.want, init.method)
			assert.Equal(t, tc.want, recv.method)
			assert.Equal(t, torrentB, recv.ih)

			// The receiver reads the initial payload first, then the stream.
			fromA := append([]byte("more from A "), bytes.Repeat([]byte{7}, 200_000)...)
			go func() { _, _ = init.c.Write(fromA) }()
			got := make([]byte, len(ia)+len(fromA))
			_, err := io.ReadFull(recv.c, got)
			require.NoError(t, err)
			assert.Equal(t, append(append([]byte(nil), ia...), fromA...), got)

			fromB := bytes.Repeat([]byte("reply "), 30_000)
			go func() { _, _ = recv.c.Write(fromB) }()
			got = make([]byte, len(fromB))
			_, err = io.ReadFull(init.c, got)
			require.NoError(t, err)
			assert.Equal(t, fromB, got)
		})
	}
}

// On the wire, an RC4 stream shows none of what was written; a
// plaintext one does.
func TestRC4HidesTheStream(t *testing.T) {
	for _, m := range []Method{RC4, Plaintext} {
		a, b := tcpPair(t)
		done := make(chan error, 1)
		go func() {
			p := make([]byte, 5)
			_, _ = io.ReadFull(b, p)
			_, _, _, err := Accept(b, p, knows(torrentA), m)
			done <- err
		}()
		ic, _, err := Initiate(a, torrentA, m, nil)
		require.NoError(t, err)
		require.NoError(t, <-done)
		// The initiator writes only after the exchange, so nothing of
		// this sits in the receiver's buffer: b shows the wire bytes.
		secret := []byte("interested in piece 12345, secret text")
		_, err = ic.Write(secret)
		require.NoError(t, err)
		raw := make([]byte, len(secret))
		_, err = io.ReadFull(b, raw)
		require.NoError(t, err)
		if m == RC4 {
			assert.NotContains(t, string(raw), "secret")
		} else {
			assert.Equal(t, secret, raw)
		}
	}
}

func TestUnknownTorrentRefused(t *testing.T) {
	init, recv := exchange(t, torrentB, Plaintext|RC4, Plaintext|RC4, nil, 0, knows(torrentA))
	require.ErrorIs(t, recv.err, ErrUnknownTorrent)
	require.Error(t, init.err)
}

func TestNoCommonMethod(t *testing.T) {
	init, recv := exchange(t, torrentA, Plaintext, RC4, nil, 0, knows(torrentA))
	require.ErrorIs(t, recv.err, ErrNoCommonMethod)
	require.Error(t, init.err)
}

// A receiver fed random bytes (a plain client's garbage, a scanner) fails
// after bounded reading, whatever it gets.
func TestAcceptRefusesGarbage(t *testing.T) {
	rng := rand.New(rand.NewChaCha8([32]byte{1}))
	for _, n := range []int{0, 50, keyLen, keyLen + 600, 10_000} {
		junk := make([]byte, n)
		for i := range junk {
			junk[i] = byte(rng.Uint32())
		}
		c := &scripted{in: bytes.NewReader(junk)}
		_, _, _, err := Accept(c, nil, knows(torrentA), Plaintext|RC4)
		require.Error(t, err, "%d bytes", n)
		assert.LessOrEqual(t, c.read, keyLen+maxPad+20+4096, "read %d bytes of junk", c.read)
	}
}

func TestDegeneratePublicKeysRefused(t *testing.T) {
	k, err := newKeyPair()
	require.NoError(t, err)
	pm1 := make([]byte, keyLen)
	prime.FillBytes(pm1)
	pm1[keyLen-1]--
	for _, y := range [][]byte{make([]byte, keyLen), append(make([]byte, keyLen-1), 1), pm1} {
		_, err := k.secret(y)
		assert.Error(t, err)
	}
}

// The RC4 keys follow the specification: keystream of HASH('keyA', S,
// SKEY) after 1024 bytes, checked against an independent computation.
func TestCipherKeys(t *testing.T) {
	var s [keyLen]byte
	s[0] = 9
	key := hash([]byte("keyA"), s[:], torrentA[:])
	ref, err := rc4.NewCipher(key[:])
	require.NoError(t, err)
	want := make([]byte, 1024+16)
	ref.XORKeyStream(want, want)
	got := make([]byte, 16)
	cipher("keyA", s, torrentA).XORKeyStream(got, got)
	assert.Equal(t, want[1024:], got)
}

// scripted is a net.Conn that reads from a script and swallows writes.
type scripted struct {
	net.Conn
	in   io.Reader
	read int
}

func (c *scripted) Read(p []byte) (int, error) {
	n, err := c.in.Read(p)
	c.read += n
	return n, err
}

func (c *scripted) Write(p []byte) (int, error) { return len(p), nil }

// The cost of one side's key work (a key pair and the secret): what an
// incoming MSE connection costs before it names a torrent.
func BenchmarkKeyExchange(b *testing.B) {
	peer, err := newKeyPair()
	require.NoError(b, err)
	for b.Loop() {
		k, err := newKeyPair()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := k.secret(peer.public[:]); err != nil {
			b.Fatal(err)
		}
	}
}

// RC4 stream throughput: what an encrypted peer costs per byte.
func BenchmarkRC4Write(b *testing.B) {
	c := &Conn{Conn: discardConn{}, enc: cipher("keyA", [keyLen]byte{1}, torrentA)}
	buf := make([]byte, 16<<10)
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		if _, err := c.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
}

type discardConn struct{ net.Conn }

func (discardConn) Write(p []byte) (int, error) { return len(p), nil }
