// Package benc appends bencoded (BEP 3) values to a byte slice, for the
// messages and files the core writes by hand. Decoding is
// github.com/anacrolix/torrent/bencode's; this package's name differs from
// it so a file can import both.
package benc

import "strconv"

// AppendString appends s as a bencoded byte string: <length>:<bytes>.
func AppendString(b []byte, s string) []byte {
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, ':')
	return append(b, s...)
}

// AppendInt appends n as a bencoded integer: i<n>e.
func AppendInt(b []byte, n int64) []byte {
	b = append(b, 'i')
	b = strconv.AppendInt(b, n, 10)
	return append(b, 'e')
}

// AppendStrings appends ss as a bencoded list of byte strings.
func AppendStrings(b []byte, ss []string) []byte {
	b = append(b, 'l')
	for _, s := range ss {
		b = AppendString(b, s)
	}
	return append(b, 'e')
}
