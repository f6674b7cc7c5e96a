package persist

import (
	"bytes"
	"crypto/sha1"
	"strconv"
	"testing"

	"github.com/anacrolix/torrent/bencode"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid/core/metainfo"
)

func TestRecordRoundTrip(t *testing.T) {
	single, _ := makeTorrent(t, "one.iso", true, 16<<10, metainfo.FileSpec{Path: []string{"one.iso"}, Length: 100_000})
	multi, _ := makeTorrent(t, "album", false, 32<<10, multiSpecs()...)
	for _, mi := range []*metainfo.MetaInfo{single, multi} {
		t.Run(mi.Info.Name, func(t *testing.T) {
			want := sampleRecord(mi)
			b, err := EncodeRecord(want)
			require.NoError(t, err)
			assert.True(t, bytes.Contains(b, mi.InfoBytes), "info dict embedded verbatim")
			assert.True(t, bytes.HasPrefix(b, []byte("d")))
			got, err := DecodeRecord(b)
			require.NoError(t, err)
			assert.Equal(t, want, got)
			ih, ok := got.InfoHashArray()
			require.True(t, ok)
			assert.Equal(t, mi.InfoHash, ih)
		})
	}
}

func TestRecordMinimal(t *testing.T) {
	mi, _ := makeTorrent(t, "x", true, 16<<10, metainfo.FileSpec{Path: []string{"x"}, Length: 5})
	r := &Record{InfoHash: mi.InfoHash[:], Info: mi.InfoBytes, Bitfield: []byte{0}, NumPieces: 1}
	b, err := EncodeRecord(r)
	require.NoError(t, err)
	assert.Equal(t, 0, r.Version, "EncodeRecord must not modify its argument")
	got, err := DecodeRecord(b)
	require.NoError(t, err)
	assert.Equal(t, RecordVersion, got.Version)
	assert.Nil(t, got.Trackers)
	assert.Nil(t, got.FilePriorities)
	assert.False(t, got.Paused)
}

// rawEncode marshals a record without EncodeRecord's validation, to build
// records that must be refused.
func rawEncode(t *testing.T, r *Record) []byte {
	t.Helper()
	b, err := bencode.Marshal(r)
	require.NoError(t, err)
	return b
}

func TestDecodeRecordRejects(t *testing.T) {
	mi, _ := makeTorrent(t, "album", false, 32<<10, multiSpecs()...)
	other, _ := makeTorrent(t, "other", true, 16<<10, metainfo.FileSpec{Path: []string{"o"}, Length: 3})
	good := rawEncode(t, sampleRecord(mi))
	_, err := DecodeRecord(good)
	require.NoError(t, err)

	mutate := func(f func(r *Record)) []byte {
		r := sampleRecord(mi)
		f(r)
		return rawEncode(t, r)
	}
	cases := map[string][]byte{
		"empty":           nil,
		"garbage":         []byte("this is not bencode at all"),
		"not a dict":      []byte("li1ei2ee"),
		"trailing bytes":  append(append([]byte(nil), good...), 'x'),
		"truncated":       good[:len(good)/2],
		"version 0":       mutate(func(r *Record) { r.Version = 0 }),
		"version 2":       mutate(func(r *Record) { r.Version = 2 }),
		"short info hash": mutate(func(r *Record) { r.InfoHash = r.InfoHash[:19] }),
		"wrong info hash": mutate(func(r *Record) { r.InfoHash = other.InfoHash[:] }),
		"other info":      mutate(func(r *Record) { r.Info = other.InfoBytes }),
		"info not a torrent": mutate(func(r *Record) {
			r.Info = []byte("d3:fooi1ee")
			sum := sha1.Sum(r.Info)
			r.InfoHash = sum[:]
		}),
		"bitfield short":        mutate(func(r *Record) { r.Bitfield = r.Bitfield[:len(r.Bitfield)-1] }),
		"bitfield long":         mutate(func(r *Record) { r.Bitfield = append(r.Bitfield, 0) }),
		"bitfield spare bits":   mutate(func(r *Record) { r.Bitfield[len(r.Bitfield)-1] |= 1 }),
		"num pieces mismatch":   mutate(func(r *Record) { r.NumPieces++; r.Bitfield = make([]byte, (r.NumPieces+7)/8) }),
		"priorities count":      mutate(func(r *Record) { r.FilePriorities = r.FilePriorities[:1] }),
		"priority out of range": mutate(func(r *Record) { r.FilePriorities[0] = 1000 }),
		"file states count":     mutate(func(r *Record) { r.Files = append(r.Files, FileState{}) }),
		"file size below -1":    mutate(func(r *Record) { r.Files[0].Size = -2 }),
		"negative uploaded":     mutate(func(r *Record) { r.Uploaded = -1 }),
		"negative added":        mutate(func(r *Record) { r.AddedAt = -1 }),
		"name too long":         mutate(func(r *Record) { r.Name = string(make([]byte, maxTextLen+1)) }),
		"trackers too big": mutate(func(r *Record) {
			r.Trackers = [][]string{{string(make([]byte, maxTrackersRaw))}}
		}),
		"trackers not a list": []byte(string(good[:len(good)-1]) + "8:trackersi1ee"),
		"paused 2":            bytes.Replace(good, []byte("6:pausedi1e"), []byte("6:pausedi2e"), 1),
		"super_seed -1":       bytes.Replace(good, []byte("10:super_seedi1e"), []byte("10:super_seedi-1e"), 1),
		"too large":           append([]byte("d"), make([]byte, MaxRecordSize)...),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			r, err := DecodeRecord(b)
			require.ErrorIs(t, err, ErrCorruptRecord)
			assert.Nil(t, r)
		})
	}
}

func TestDecodeRecordEveryPrefix(t *testing.T) {
	mi, _ := makeTorrent(t, "album", false, 32<<10, multiSpecs()...)
	b, err := EncodeRecord(sampleRecord(mi))
	require.NoError(t, err)
	for n := range len(b) {
		_, err := DecodeRecord(b[:n])
		require.ErrorIs(t, err, ErrCorruptRecord, "prefix of %d bytes", n)
	}
}

func TestEncodeRecordRejectsInvalid(t *testing.T) {
	mi, _ := makeTorrent(t, "album", false, 32<<10, multiSpecs()...)
	_, err := EncodeRecord(nil)
	require.ErrorIs(t, err, ErrCorruptRecord)
	r := sampleRecord(mi)
	r.Bitfield = nil
	_, err = EncodeRecord(r)
	require.ErrorIs(t, err, ErrCorruptRecord)
	r = sampleRecord(mi)
	r.InfoHash[0] ^= 1
	_, err = EncodeRecord(r)
	require.ErrorIs(t, err, ErrCorruptRecord)
}

func TestDecodeRecordIgnoresUnknownKeys(t *testing.T) {
	mi, _ := makeTorrent(t, "album", false, 32<<10, multiSpecs()...)
	want := sampleRecord(mi)
	b := rawEncode(t, want)
	// A later minor addition: an unknown key sorted before the others.
	b = append([]byte("d5:aaaaali1ei2ee"), b[1:]...)
	got, err := DecodeRecord(b)
	require.NoError(t, err)
	assert.Equal(t, want, got)
}

// FuzzDecodeRecord: no input may panic, and whatever is accepted must
// re-encode to a record that decodes to the same bytes again.
func FuzzDecodeRecord(f *testing.F) {
	mi, _ := makeTorrent(f, "album", false, 32<<10, multiSpecs()...)
	b, err := EncodeRecord(sampleRecord(mi))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	v2, _ := v2Record(f) // a v2-only torrent's: 32-byte hash, piece layers
	if b, err = EncodeRecord(v2); err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeRecord(b)
		if err != nil {
			require.ErrorIs(t, err, ErrCorruptRecord)
			require.Nil(t, r)
			return
		}
		again, err := EncodeRecord(r)
		require.NoError(t, err)
		r2, err := DecodeRecord(again)
		require.NoError(t, err)
		again2, err := EncodeRecord(r2)
		require.NoError(t, err)
		require.Equal(t, again, again2)
	})
}

// FuzzRecordFields reaches the checks behind the info-hash gate: the record
// carries a valid info dict and hash, and the fuzzer picks everything else.
func FuzzRecordFields(f *testing.F) {
	mi, _ := makeTorrent(f, "album", false, 32<<10, multiSpecs()...)
	f.Add([]byte{0x80}, 4, []byte("ll3:urlee"), []byte("li0ei1ei2ei0ee"), []byte("ld4:sizei1eed4:sizei-1eededee"), []byte("6:pausedi1e"))
	f.Add([]byte{0xff}, 4, []byte("le"), []byte("le"), []byte("le"), []byte(""))
	f.Fuzz(func(t *testing.T, bf []byte, numPieces int, trackers, prios, files, extra []byte) {
		var b []byte
		add := func(key string, raw []byte) {
			b = append(b, strconv.Itoa(len(key))+":"+key...)
			b = append(b, raw...)
		}
		str := func(p []byte) []byte { return append([]byte(strconv.Itoa(len(p))+":"), p...) }
		b = append(b, 'd')
		add("braid_resume_version", []byte("i1e"))
		add("bitfield", str(bf))
		add("files", files)
		add("file_priorities", prios)
		add("info", mi.InfoBytes)
		add("info_hash", str(mi.InfoHash[:]))
		add("num_pieces", []byte("i"+strconv.Itoa(numPieces)+"e"))
		add("trackers", trackers)
		b = append(b, extra...)
		b = append(b, 'e')

		r, err := DecodeRecord(b)
		if err != nil {
			require.ErrorIs(t, err, ErrCorruptRecord)
			return
		}
		require.Equal(t, mi.Info.NumPieces(), r.NumPieces)
		require.Len(t, r.Bitfield, (r.NumPieces+7)/8)
		require.True(t, len(r.Files) == 0 || len(r.Files) == len(mi.Info.Files))
		again, err := EncodeRecord(r)
		require.NoError(t, err)
		r2, err := DecodeRecord(again)
		require.NoError(t, err)
		again2, err := EncodeRecord(r2)
		require.NoError(t, err)
		require.Equal(t, again, again2)
	})
}
