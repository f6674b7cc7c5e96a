// Package mse is BitTorrent's Message Stream Encryption (MSE, also called
// protocol encryption, PE): a Diffie-Hellman key exchange, then an RC4 or
// plaintext stream, negotiated before the BitTorrent handshake. libtorrent,
// qBittorrent, Transmission and aria2 speak it; peers set to require
// encryption talk to nothing else.
//
// The initiator (A) and receiver (B) exchange:
//
//	A→B Ya, PadA
//	B→A Yb, PadB
//	A→B HASH('req1', S), HASH('req2', SKEY) xor HASH('req3', S),
//	    ENCRYPT(VC, crypto_provide, len(PadC), PadC, len(IA)), ENCRYPT(IA)
//	B→A ENCRYPT(VC, crypto_select, len(padD), padD), ENCRYPT2(payload)
//
// where S is the shared secret, SKEY the torrent's info hash, VC eight
// zero bytes and IA the initiator's first payload (its BitTorrent
// handshake). Every length read from the peer is bounded.
package mse

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/rc4"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"sync"
)

// Method is a crypto_provide / crypto_select bit set.
type Method uint32

func (m Method) String() string {
	switch m {
	case Plaintext:
		return "plaintext"
	case RC4:
		return "rc4"
	case Plaintext | RC4:
		return "plaintext|rc4"
	}
	return fmt.Sprintf("%#x", uint32(m))
}

const (
	// Plaintext: only the handshake is encrypted; the stream is not.
	Plaintext Method = 1
	// RC4: the whole stream is RC4-encrypted.
	RC4 Method = 2
)

const (
	keyLen = 96  // bytes of a public key and of S
	maxPad = 512 // PadA..PadD
	// MaxInitialPayload bounds IA. A BitTorrent handshake is 68 bytes;
	// clients that add more stay far below this.
	MaxInitialPayload = 4096
	discard           = 1024 // RC4 keystream bytes dropped before use
)

// ErrNoCommonMethod: the peer offered no method we allow.
var ErrNoCommonMethod = errors.New("mse: no common crypto method")

// ErrUnknownTorrent: the peer's SKEY hash names no torrent of ours.
var ErrUnknownTorrent = errors.New("mse: unknown torrent")

var (
	prime = func() *big.Int {
		p, _ := new(big.Int).SetString("FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"+
			"020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374F"+
			"E1356D6D51C245E485B576625E7EC6F44C42E9A63A36210000000000090563", 16)
		return p
	}()
	generator = big.NewInt(2)
	vc        = make([]byte, 8)
	// random supplies keys and padding; tests make it deterministic.
	random io.Reader = rand.Reader
)

// keyPair is one side's Diffie-Hellman secret and public key.
type keyPair struct {
	private *big.Int
	public  [keyLen]byte
}

func newKeyPair() (keyPair, error) {
	var x [20]byte // 160 bits, as the specification recommends
	if _, err := io.ReadFull(random, x[:]); err != nil {
		return keyPair{}, fmt.Errorf("mse: random key: %w", err)
	}
	k := keyPair{private: new(big.Int).SetBytes(x[:])}
	new(big.Int).Exp(generator, k.private, prime).FillBytes(k.public[:])
	return k, nil
}

// secret computes S from the peer's public key, refusing the degenerate
// values (0, 1, P-1 and anything not below P) that fix S.
func (k keyPair) secret(theirs []byte) ([keyLen]byte, error) {
	var s [keyLen]byte
	y := new(big.Int).SetBytes(theirs)
	pm1 := new(big.Int).Sub(prime, big.NewInt(1))
	if y.Cmp(big.NewInt(1)) <= 0 || y.Cmp(pm1) >= 0 {
		return s, errors.New("mse: degenerate public key")
	}
	new(big.Int).Exp(y, k.private, prime).FillBytes(s[:])
	return s, nil
}

func hash(parts ...[]byte) [20]byte {
	h := sha1.New()
	for _, p := range parts {
		h.Write(p)
	}
	var out [20]byte
	h.Sum(out[:0])
	return out
}

// Req2 is HASH('req2', SKEY): what a receiver compares the initiator's
// obfuscated SKEY with to find the torrent.
func Req2(skey [20]byte) [20]byte { return hash([]byte("req2"), skey[:]) }

// cipher is RC4 keyed with HASH(name, S, SKEY), its first 1024 bytes dropped.
func cipher(name string, s [keyLen]byte, skey [20]byte) *rc4.Cipher {
	key := hash([]byte(name), s[:], skey[:])
	c, _ := rc4.NewCipher(key[:]) // a 20-byte key is always valid
	var drop [discard]byte
	c.XORKeyStream(drop[:], drop[:])
	return c
}

// randomPad is 0..maxPad random bytes.
func randomPad() ([]byte, error) {
	var n [2]byte
	if _, err := io.ReadFull(random, n[:]); err != nil {
		return nil, fmt.Errorf("mse: random pad: %w", err)
	}
	pad := make([]byte, int(binary.BigEndian.Uint16(n[:]))%(maxPad+1))
	if _, err := io.ReadFull(random, pad); err != nil {
		return nil, fmt.Errorf("mse: random pad: %w", err)
	}
	return pad, nil
}

// syncTo consumes r up to and including the first occurrence of pattern,
// which must start within maxPad bytes.
func syncTo(r *bufio.Reader, pattern []byte) error {
	window := make([]byte, 0, maxPad+len(pattern))
	for len(window) < cap(window) {
		b, err := r.ReadByte()
		if err != nil {
			return fmt.Errorf("mse: looking for the peer's sync marker: %w", err)
		}
		window = append(window, b)
		if bytes.HasSuffix(window, pattern) {
			return nil
		}
	}
	return errors.New("mse: no sync marker within the padding limit")
}

// readDecrypted reads exactly len(p) bytes and decrypts them in place.
func readDecrypted(r io.Reader, dec *rc4.Cipher, p []byte) error {
	if _, err := io.ReadFull(r, p); err != nil {
		return err
	}
	dec.XORKeyStream(p, p)
	return nil
}

// Initiate runs the initiator's side on c for the torrent skey, offering
// provide (Plaintext, RC4 or both) and sending ia (our BitTorrent
// handshake) inside the exchange. It returns the stream to use from then
// on and the method the receiver chose. The caller bounds the time with
// c's deadline.
func Initiate(c net.Conn, skey [20]byte, provide Method, ia []byte) (net.Conn, Method, error) {
	if len(ia) > MaxInitialPayload {
		return nil, 0, fmt.Errorf("mse: initial payload of %d bytes", len(ia))
	}
	k, err := newKeyPair()
	if err != nil {
		return nil, 0, err
	}
	padA, err := randomPad()
	if err != nil {
		return nil, 0, err
	}
	if _, err := c.Write(append(k.public[:], padA...)); err != nil {
		return nil, 0, fmt.Errorf("mse: send public key: %w", err)
	}
	br := bufio.NewReaderSize(c, 4096)
	var yb [keyLen]byte
	if _, err := io.ReadFull(br, yb[:]); err != nil {
		return nil, 0, fmt.Errorf("mse: read public key: %w", err)
	}
	s, err := k.secret(yb[:])
	if err != nil {
		return nil, 0, err
	}
	enc, dec := cipher("keyA", s, skey), cipher("keyB", s, skey)

	req1, req2, req3 := hash([]byte("req1"), s[:]), Req2(skey), hash([]byte("req3"), s[:])
	msg := make([]byte, 0, 40+8+4+2+2+len(ia))
	msg = append(msg, req1[:]...)
	for i := range req2 {
		msg = append(msg, req2[i]^req3[i])
	}
	plain := len(msg)
	msg = append(msg, vc...)
	msg = binary.BigEndian.AppendUint32(msg, uint32(provide))
	msg = binary.BigEndian.AppendUint16(msg, 0) // no PadC
	msg = binary.BigEndian.AppendUint16(msg, uint16(len(ia)))
	msg = append(msg, ia...)
	enc.XORKeyStream(msg[plain:], msg[plain:])
	if _, err := c.Write(msg); err != nil {
		return nil, 0, fmt.Errorf("mse: send crypto offer: %w", err)
	}

	// The receiver's answer starts with VC encrypted by keyB, somewhere
	// after its PadB.
	marker := make([]byte, len(vc))
	dec.XORKeyStream(marker, vc)
	if err := syncTo(br, marker); err != nil {
		return nil, 0, err
	}
	var sel [6]byte
	if err := readDecrypted(br, dec, sel[:]); err != nil {
		return nil, 0, fmt.Errorf("mse: read crypto select: %w", err)
	}
	method := Method(binary.BigEndian.Uint32(sel[:4]))
	if padD := int(binary.BigEndian.Uint16(sel[4:])); padD > maxPad {
		return nil, 0, fmt.Errorf("mse: padD of %d bytes", padD)
	} else if err := readDecrypted(br, dec, make([]byte, padD)); err != nil {
		return nil, 0, fmt.Errorf("mse: read padD: %w", err)
	}
	if method != Plaintext && method != RC4 || method&provide == 0 {
		return nil, 0, fmt.Errorf("mse: peer selected %#x of %#x: %w", method, provide, ErrNoCommonMethod)
	}
	return wrap(c, br, nil, method, enc, dec), method, nil
}

// Accept runs the receiver's side on c, whose first bytes (prefix, fewer
// than a public key) the caller has already read. lookup finds the info
// hash whose Req2 the initiator sent; allow is the set of methods we
// accept. Plaintext is chosen when both are offered and allowed, as
// libtorrent does by default: the handshake is hidden either way, and
// RC4 costs a core at about 500 MB/s. To insist on RC4, allow only RC4.
// It returns
// the stream, which starts with the initiator's initial payload, the
// torrent's info hash and the chosen method.
func Accept(c net.Conn, prefix []byte, lookup func(req2 [20]byte) ([20]byte, bool), allow Method) (net.Conn, [20]byte, Method, error) {
	var skey [20]byte
	if len(prefix) > keyLen {
		return nil, skey, 0, errors.New("mse: prefix longer than a public key")
	}
	br := bufio.NewReaderSize(c, 4096)
	var ya [keyLen]byte
	copy(ya[:], prefix)
	if _, err := io.ReadFull(br, ya[len(prefix):]); err != nil {
		return nil, skey, 0, fmt.Errorf("mse: read public key: %w", err)
	}
	k, err := newKeyPair()
	if err != nil {
		return nil, skey, 0, err
	}
	s, err := k.secret(ya[:])
	if err != nil {
		return nil, skey, 0, err
	}
	padB, err := randomPad()
	if err != nil {
		return nil, skey, 0, err
	}
	if _, err := c.Write(append(k.public[:], padB...)); err != nil {
		return nil, skey, 0, fmt.Errorf("mse: send public key: %w", err)
	}

	req1 := hash([]byte("req1"), s[:])
	if err := syncTo(br, req1[:]); err != nil {
		return nil, skey, 0, err
	}
	var obf [20]byte
	if _, err := io.ReadFull(br, obf[:]); err != nil {
		return nil, skey, 0, fmt.Errorf("mse: read torrent hash: %w", err)
	}
	req3 := hash([]byte("req3"), s[:])
	for i := range obf {
		obf[i] ^= req3[i]
	}
	skey, ok := lookup(obf)
	if !ok {
		return nil, skey, 0, ErrUnknownTorrent
	}
	dec, enc := cipher("keyA", s, skey), cipher("keyB", s, skey)

	var head [14]byte // VC, crypto_provide, len(PadC)
	if err := readDecrypted(br, dec, head[:]); err != nil {
		return nil, skey, 0, fmt.Errorf("mse: read crypto offer: %w", err)
	}
	if !bytes.Equal(head[:8], vc) {
		return nil, skey, 0, errors.New("mse: bad verification constant")
	}
	provide := Method(binary.BigEndian.Uint32(head[8:12]))
	padC := int(binary.BigEndian.Uint16(head[12:]))
	if padC > maxPad {
		return nil, skey, 0, fmt.Errorf("mse: PadC of %d bytes", padC)
	}
	rest := make([]byte, padC+2)
	if err := readDecrypted(br, dec, rest); err != nil {
		return nil, skey, 0, fmt.Errorf("mse: read PadC: %w", err)
	}
	iaLen := int(binary.BigEndian.Uint16(rest[padC:]))
	if iaLen > MaxInitialPayload {
		return nil, skey, 0, fmt.Errorf("mse: initial payload of %d bytes", iaLen)
	}
	ia := make([]byte, iaLen)
	if err := readDecrypted(br, dec, ia); err != nil {
		return nil, skey, 0, fmt.Errorf("mse: read initial payload: %w", err)
	}

	var method Method
	switch common := provide & allow; {
	case common&Plaintext != 0:
		method = Plaintext
	case common&RC4 != 0:
		method = RC4
	default:
		return nil, skey, 0, fmt.Errorf("mse: peer offers %#x, we allow %#x: %w", provide, allow, ErrNoCommonMethod)
	}
	reply := make([]byte, 0, 14)
	reply = append(reply, vc...)
	reply = binary.BigEndian.AppendUint32(reply, uint32(method))
	reply = binary.BigEndian.AppendUint16(reply, 0) // no padD
	enc.XORKeyStream(reply, reply)
	if _, err := c.Write(reply); err != nil {
		return nil, skey, 0, fmt.Errorf("mse: send crypto select: %w", err)
	}
	return wrap(c, br, ia, method, enc, dec), skey, method, nil
}

// wrap returns the stream after the exchange: bytes read ahead (and the
// initial payload) come first; RC4 applies both ways if chosen. With
// plaintext and nothing read ahead, it is c itself.
func wrap(c net.Conn, br *bufio.Reader, pre []byte, method Method, enc, dec *rc4.Cipher) net.Conn {
	if method == Plaintext {
		if br.Buffered() == 0 && len(pre) == 0 {
			return c
		}
		enc, dec = nil, nil
	}
	return &Conn{Conn: c, r: br, pre: pre, enc: enc, dec: dec}
}

// Conn is a connection after an MSE exchange.
type Conn struct {
	net.Conn
	r        io.Reader
	pre      []byte
	enc, dec *rc4.Cipher // nil for a plaintext stream

	wmu  sync.Mutex
	wbuf []byte
}

// Read serves the initial payload, then the (decrypted) stream.
func (c *Conn) Read(p []byte) (int, error) {
	if len(c.pre) > 0 {
		n := copy(p, c.pre)
		c.pre = c.pre[n:]
		return n, nil
	}
	n, err := c.r.Read(p)
	if c.dec != nil && n > 0 {
		c.dec.XORKeyStream(p[:n], p[:n])
	}
	return n, err
}

// writeChunk bounds the encryption buffer a Conn keeps.
const writeChunk = 64 << 10

// Write encrypts p (without touching it) when the stream is RC4.
func (c *Conn) Write(p []byte) (int, error) {
	if c.enc == nil {
		return c.Conn.Write(p)
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.wbuf == nil {
		c.wbuf = make([]byte, writeChunk)
	}
	written := 0
	for len(p) > 0 {
		n := min(len(p), writeChunk)
		c.enc.XORKeyStream(c.wbuf[:n], p[:n])
		m, err := c.Conn.Write(c.wbuf[:n])
		written += m
		if err != nil {
			// The keystream moved past bytes never sent: the stream is
			// unusable, as any failed write on a peer connection is.
			return written, err
		}
		p = p[n:]
	}
	return written, nil
}
