package webseed

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/braid-bt/braid/core/metainfo"
)

func FuzzParseContentRange(f *testing.F) {
	for _, s := range []string{"bytes 0-9/10", "bytes 5-9/*", "bytes */10", "bytes 9-0/10", "bytes=0-9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		first, last, total, err := ParseContentRange(s)
		if err != nil {
			return
		}
		if first < 0 || last < first || total < -1 || (total >= 0 && last >= total) {
			t.Fatalf("%q: accepted %d-%d/%d", s, first, last, total)
		}
		again := fmt.Sprintf("bytes %d-%d/%d", first, last, total)
		if total < 0 {
			again = fmt.Sprintf("bytes %d-%d/*", first, last)
		}
		f2, l2, t2, err := ParseContentRange(again)
		if err != nil || f2 != first || l2 != last || t2 != total {
			t.Fatalf("%q: round trip %q: %d-%d/%d, %v", s, again, f2, l2, t2, err)
		}
	})
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"120", "0", "Wed, 21 Oct 2015 07:28:00 GMT", "-1", "soon"} {
		f.Add(s)
	}
	now := time.Date(2015, 10, 21, 7, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := ParseRetryAfter(s, now)
		if d < 0 || d > MaxBackoff || (!ok && d != 0) {
			t.Fatalf("%q: %v, %v", s, d, ok)
		}
	})
}

// fixedReply answers every request with the same hostile reply, without a
// network, so the fuzzer can drive the whole response path.
type fixedReply struct {
	status        int
	contentRange  string
	contentLength int64
	encoding      string
	body          []byte
}

func (r *fixedReply) RoundTrip(req *http.Request) (*http.Response, error) {
	h := http.Header{}
	if r.contentRange != "" {
		h.Set("Content-Range", r.contentRange)
	}
	if r.encoding != "" {
		h.Set("Content-Encoding", r.encoding)
	}
	h.Set("Retry-After", r.contentRange)
	return &http.Response{
		StatusCode: r.status, Header: h, ContentLength: r.contentLength,
		Body: io.NopCloser(bytes.NewReader(r.body)), Request: req,
	}, nil
}

// FuzzResponse feeds arbitrary replies to pieces over two files of 30 and
// 10 bytes: FetchPiece must never panic, and must return either an error
// (and back off or disable) or exactly the piece's length, holding the
// reply's bytes at the right offsets (a 200 carries the whole file, a 206
// the segment). Pieces are fetched in sequences, forward and back, so the
// kept files and open bodies of servers ignoring Range are driven too.
func FuzzResponse(f *testing.F) {
	f.Add(206, "bytes 20-29/30", int64(10), "", []byte("0123456789"))
	f.Add(206, "bytes 20-29/*", int64(-1), "", []byte("0123456789"))
	f.Add(200, "", int64(30), "", bytes.Repeat([]byte("x"), 30))
	f.Add(200, "", int64(-1), "", bytes.Repeat([]byte("x"), 31))
	f.Add(200, "", int64(10), "", []byte("0123456789"))
	f.Add(200, "", int64(30), "", []byte("0123456789abcdefghijklmnopqrst"))
	f.Add(200, "", int64(30), "", []byte("0123456789abcdefghij"))
	f.Add(200, "", int64(-1), "", []byte("0123456789abcdefghijklmnopqrst"))
	f.Add(206, "bytes 20-29/30", int64(11), "gzip", []byte("0123456789"))
	f.Add(503, "120", int64(0), "", []byte(nil))
	f.Add(404, "", int64(-1), "", []byte("not here"))
	f.Add(206, "bytes 0-9/10", int64(10), "identity", []byte("0123456789"))
	f.Add(206, "bytes 16-29/30", int64(14), "", []byte("abcdefghijklmn"))
	f.Add(206, "bytes 2-9/10", int64(8), "", []byte("abcdefgh"))
	f.Add(206, "bytes 16-29/31", int64(14), "", []byte("abcdefghijklmn"))
	info := &metainfo.Info{
		Name: "t", PieceLength: 16 << 10, Length: 40, MultiFile: true,
		Files: []metainfo.File{
			{Path: []string{"a"}, Length: 30},
			{Path: []string{"b"}, Length: 10, Offset: 30},
		},
	}
	// With 16-byte pieces, piece 1 is bytes 16..29 of a and 0..1 of b.
	small := &metainfo.Info{
		Name: "t", PieceLength: 16, Length: 40, MultiFile: true,
		Files: info.Files,
	}
	f.Fuzz(func(t *testing.T, status int, contentRange string, contentLength int64, encoding string, body []byte) {
		reply := &fixedReply{status, contentRange, contentLength, encoding, body}
		for _, tc := range []struct {
			info     *metainfo.Info
			wholeMax int64
			pieces   []int
		}{
			{info, MaxWholeFile, []int{0}},
			{small, MaxWholeFile, []int{1, 2, 0}},
			{small, 1, []int{0, 1, 2, 0}}, // open bodies, read forward then again
		} {
			in := tc.info
			c, err := New("http://seed.invalid/"+strconv.Itoa(status), in, Options{HTTPClient: &http.Client{Transport: reply}})
			if err != nil {
				t.Fatal(err)
			}
			c.wholeMax = tc.wholeMax
			for _, piece := range tc.pieces {
				got, err := c.FetchPiece(t.Context(), piece, nil)
				if err != nil {
					if got != nil || c.Usable(c.now()) {
						t.Fatalf("error %v with %d bytes, usable %v", err, len(got), c.Usable(c.now()))
					}
					if st := c.Status(c.now()); st.State == "ok" || st.Reason == "" {
						t.Fatalf("error %v, status %+v", err, st)
					}
					break
				}
				if int64(len(got)) != in.PieceSize(piece) {
					t.Fatalf("got %d bytes, want %d", len(got), in.PieceSize(piece))
				}
				start := in.PieceOffset(piece)
				first, last := in.PieceFiles(piece)
				for fi := first; fi <= last; fi++ {
					file := in.Files[fi]
					lo, hi := max(start, file.Offset), min(start+int64(len(got)), file.Offset+file.Length)
					want := body
					if status == http.StatusOK {
						want = body[lo-file.Offset : hi-file.Offset]
					}
					if !bytes.Equal(got[lo-start:hi-start], want) {
						t.Fatalf("piece %d, file %d: got %q, want %q", piece, fi, got[lo-start:hi-start], want)
					}
				}
			}
			c.Close()
		}
	})
}
