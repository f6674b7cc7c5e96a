package blocklist

import (
	"bytes"
	"compress/gzip"
	"net/netip"
	"testing"
)

// fuzzParse parses data both strictly and skipping malformed lines: no
// panic, a strict success is a lenient one with nothing skipped, and
// every range's bounds are blocked.
func fuzzParse(t *testing.T, data []byte) {
	strict, err := Parse(bytes.NewReader(data), Options{})
	lenient, lerr := Parse(bytes.NewReader(data), Options{SkipMalformed: true})
	if err == nil {
		if lerr != nil || lenient.Skipped() != 0 || lenient.Len() != strict.Len() {
			t.Fatalf("strict parse ok, lenient: %v skipped %d", lerr, lenient.Skipped())
		}
	}
	if lerr != nil {
		return
	}
	for i, r := range lenient.v4 {
		lo, hi := netip.AddrFrom4(be4(r.lo)), netip.AddrFrom4(be4(r.hi))
		if !lenient.Contains(lo) || !lenient.Contains(hi) || !lenient.Contains(netip.AddrFrom16(lo.As16())) {
			t.Fatalf("range %s-%s not blocked", lo, hi)
		}
		if i > 0 && lenient.v4[i-1].hi >= r.lo-1 && r.lo > 0 {
			t.Fatalf("ranges not merged: %v %v", lenient.v4[i-1], r)
		}
	}
	for _, r := range lenient.v6 {
		if !lenient.Contains(addr16(r.lo)) || !lenient.Contains(addr16(r.hi)) || less(r.hi, r.lo) {
			t.Fatalf("range %v not blocked", r)
		}
	}
}

func be4(x uint32) [4]byte { return [4]byte{byte(x >> 24), byte(x >> 16), byte(x >> 8), byte(x)} }

func addr16(x u128) netip.Addr {
	var b [16]byte
	for i := range 8 {
		b[i] = byte(x.hi >> (56 - 8*i))
		b[8+i] = byte(x.lo >> (56 - 8*i))
	}
	return netip.AddrFrom16(b)
}

func FuzzParseP2P(f *testing.F) {
	f.Add([]byte("# comment\nSome org:1.2.3.0-1.2.3.255\nv6:2001:db8::-2001:db8::ffff\n"))
	f.Add([]byte("a:b:c:10.0.0.1-10.0.0.1\r\nbad line\n"))
	f.Add([]byte("m:::ffff:1.1.1.0-::ffff:1.1.1.9\n"))
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write([]byte("z:9.9.9.0-9.9.9.9\n"))
	_ = zw.Close()
	f.Add(buf.Bytes())
	f.Fuzz(fuzzParse)
}

func FuzzParseDat(f *testing.F) {
	f.Add([]byte("001.002.003.000 - 001.002.003.255 , 000 , Some range\n"))
	f.Add([]byte("// c\n006.000.000.000 - 006.000.000.010 , 128 , Allowed\n7.0.0.0 - 7.0.0.1 , 5\n"))
	f.Add([]byte("2001:db8::1 - 2001:db8::2 , 0 , v6, with, commas\n"))
	f.Add([]byte("1.2.3.4 - 1.2.3.5 , abc , d\n"))
	f.Fuzz(fuzzParse)
}
