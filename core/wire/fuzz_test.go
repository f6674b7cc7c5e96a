package wire

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/anacrolix/torrent/bencode"
)

// Seed corpora live in testdata/fuzz/<FuzzName>/.

func FuzzParseMessage(f *testing.F) {
	for _, m := range sampleMessages() {
		f.Add(AppendMessage(nil, &m)[4:])
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := ParseMessage(body)
		if err != nil && !errors.Is(err, ErrUnknownMessage) {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error neither malformed nor unknown: %v", err)
			}
			return
		}
		enc := AppendMessage(nil, &m)
		if !bytes.Equal(enc[4:], body) {
			t.Fatalf("re-encoding %+v gave %x, want %x", m, enc[4:], body)
		}
		m2, err2 := ParseMessage(enc[4:])
		if (err == nil) != (err2 == nil) {
			t.Fatalf("re-parse error %v, first %v", err2, err)
		}
		if !messagesEqual(m, m2) {
			t.Fatalf("re-parse %+v, want %+v", m2, m)
		}
	})
}

func FuzzReadMessage(f *testing.F) {
	var stream []byte
	for _, m := range sampleMessages() {
		stream = AppendMessage(stream, &m)
	}
	f.Add(stream, uint16(200))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 7}, uint16(0))
	f.Fuzz(func(t *testing.T, data []byte, max uint16) {
		lim := Limits{MaxMessage: int(max)}
		r := bytes.NewReader(data)
		var buf []byte
		for {
			start := len(data) - r.Len()
			m, nb, err := ReadMessage(r, buf, lim)
			buf = nb
			switch {
			case err == nil, errors.Is(err, ErrUnknownMessage):
				enc := AppendMessage(nil, &m)
				if len(enc)-4 > lim.max() {
					t.Fatalf("message of %d bytes passed limit %d", len(enc)-4, lim.max())
				}
				if !bytes.Equal(enc, data[start:len(data)-r.Len()]) {
					t.Fatalf("re-encoding %+v differs from the stream", m)
				}
				continue
			case errors.Is(err, ErrMalformed):
				continue // the whole message was consumed: still in sync
			case err == io.EOF:
				if start != len(data) {
					t.Fatalf("io.EOF with %d bytes left", len(data)-start)
				}
			case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, ErrTooLong):
			default:
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
	})
}

func FuzzParseHandshake(f *testing.F) {
	h := sampleHandshake()
	h.SetExtended()
	h.SetFast()
	f.Add(h.Append(nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseHandshake(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if !bytes.Equal(h.Append(nil), b) {
			t.Fatalf("re-encoding differs")
		}
	})
}

func FuzzParseExtHandshake(f *testing.F) {
	e := ExtHandshake{M: map[string]int{"ut_metadata": 2, "ut_pex": 1}, V: "Braid", Port: 6881, ReqQ: 250, MetadataSize: 1000, YourIP: []byte{1, 2, 3, 4}}
	f.Add(e.Encode())
	f.Add([]byte("d1:md11:ut_metadatai3eee"))
	f.Add([]byte("d1:md11:lt_donthavei7e11:upload_onlyi3ee11:upload_onlyi1ee"))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := ParseExtHandshake(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLong) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		enc := e.Encode()
		var generic map[string]interface{}
		if err := bencode.Unmarshal(enc, &generic); err != nil {
			t.Fatalf("Encode gave invalid bencode %q: %v", enc, err)
		}
		e2, err := ParseExtHandshake(enc)
		if err != nil {
			t.Fatalf("re-parse of %q: %v", enc, err)
		}
		if !extEqual(e, e2) {
			t.Fatalf("re-parse %+v, want %+v", e2, e)
		}
	})
}

func messagesEqual(a, b Message) bool {
	return a.KeepAlive == b.KeepAlive && a.Type == b.Type && a.Index == b.Index &&
		a.Begin == b.Begin && a.Length == b.Length && a.Port == b.Port && a.ExtID == b.ExtID &&
		bytes.Equal(a.Block, b.Block) && bytes.Equal(a.Bitfield, b.Bitfield) && bytes.Equal(a.Payload, b.Payload)
}

func extEqual(a, b ExtHandshake) bool {
	if len(a.M) != len(b.M) {
		return false
	}
	for k, v := range a.M {
		if w, ok := b.M[k]; !ok || w != v {
			return false
		}
	}
	return a.V == b.V && a.Port == b.Port && a.ReqQ == b.ReqQ &&
		a.MetadataSize == b.MetadataSize && bytes.Equal(a.YourIP, b.YourIP) && a.UploadOnly == b.UploadOnly
}

func FuzzParseDontHave(f *testing.F) {
	f.Add(AppendDontHave(nil, 5))
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		i, err := ParseDontHave(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if !bytes.Equal(AppendDontHave(nil, i), b) {
			t.Fatalf("re-encoding %d gave a different payload than %x", i, b)
		}
	})
}
