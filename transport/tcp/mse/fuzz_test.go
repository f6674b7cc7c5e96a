package mse

import (
	"bytes"
	"encoding/binary"
	"io"
	"math/big"
	"math/rand/v2"
	"testing"
)

// receiverSeed fixes the receiver's key in FuzzAccept, so recorded
// initiator transcripts reach past the key exchange.
var receiverSeed = [32]byte{'m', 's', 'e'}

// transcript is what an initiator sends a receiver whose randomness is
// ChaCha8(receiverSeed): Ya, PadA, the hashes and the encrypted offer.
func transcript(skey [20]byte, provide Method, padA, padC int, ia []byte) []byte {
	var xb [20]byte
	_, _ = io.ReadFull(rand.NewChaCha8(receiverSeed), xb[:])
	yb := new(big.Int).Exp(generator, new(big.Int).SetBytes(xb[:]), prime)
	xa := big.NewInt(0x5eed)
	var ya, s [keyLen]byte
	new(big.Int).Exp(generator, xa, prime).FillBytes(ya[:])
	new(big.Int).Exp(yb, xa, prime).FillBytes(s[:])

	out := append(ya[:], make([]byte, padA)...)
	req1, req2, req3 := hash([]byte("req1"), s[:]), Req2(skey), hash([]byte("req3"), s[:])
	out = append(out, req1[:]...)
	for i := range req2 {
		out = append(out, req2[i]^req3[i])
	}
	enc := cipher("keyA", s, skey)
	offer := append([]byte(nil), vc...)
	offer = binary.BigEndian.AppendUint32(offer, uint32(provide))
	offer = binary.BigEndian.AppendUint16(offer, uint16(padC))
	offer = append(offer, make([]byte, padC)...)
	offer = binary.BigEndian.AppendUint16(offer, uint16(len(ia)))
	offer = append(offer, ia...)
	enc.XORKeyStream(offer, offer)
	return append(out, offer...)
}

func FuzzAccept(f *testing.F) {
	hs := append([]byte("\x13BitTorrent protocol"), make([]byte, 48)...)
	f.Add(transcript(torrentA, Plaintext|RC4, 0, 0, hs))
	f.Add(transcript(torrentA, RC4, 511, 17, hs))
	f.Add(transcript(torrentA, Plaintext, 3, 512, nil))
	f.Add(transcript(torrentB, RC4, 0, 0, hs)) // unknown torrent
	f.Add([]byte("\x13BitTorrent protocol"))
	f.Fuzz(func(t *testing.T, in []byte) {
		old := random
		random = rand.NewChaCha8(receiverSeed)
		defer func() { random = old }()
		c := &scripted{in: bytes.NewReader(in)}
		sc, ih, m, err := Accept(c, nil, knows(torrentA), Plaintext|RC4)
		if c.read > keyLen+maxPad+20+14+maxPad+2+MaxInitialPayload {
			t.Fatalf("read %d bytes", c.read)
		}
		if err != nil {
			return
		}
		if ih != torrentA || (m != RC4 && m != Plaintext) {
			t.Fatalf("accepted torrent %x with method %d", ih, m)
		}
		ia, _ := io.ReadAll(io.LimitReader(sc, MaxInitialPayload+1))
		_ = ia
	})
}

// The recorded transcripts are accepted: the fuzzer starts from inputs
// that pass the key exchange, not only from ones refused at once.
func TestTranscriptsAccepted(t *testing.T) {
	old := random
	defer func() { random = old }()
	hs := append([]byte("\x13BitTorrent protocol"), make([]byte, 48)...)
	for _, tc := range []struct {
		provide Method
		padA    int
		want    Method
	}{{Plaintext | RC4, 0, Plaintext}, {RC4, 511, RC4}, {Plaintext, 3, Plaintext}} {
		random = rand.NewChaCha8(receiverSeed)
		c := &scripted{in: bytes.NewReader(transcript(torrentA, tc.provide, tc.padA, 5, hs))}
		sc, ih, m, err := Accept(c, nil, knows(torrentA), Plaintext|RC4)
		if err != nil {
			t.Fatalf("transcript refused: %v", err)
		}
		if ih != torrentA || m != tc.want {
			t.Fatalf("torrent %x method %d, want %d", ih, m, tc.want)
		}
		got := make([]byte, len(hs))
		if _, err := io.ReadFull(sc, got); err != nil || !bytes.Equal(got, hs) {
			t.Fatalf("initial payload %q, %v", got, err)
		}
	}
}
