package wsproto

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func idOf(s string) ID {
	var id ID
	copy(id[:], s)
	return id
}

// binID has every kind of byte the runes mapping must survive.
var binID = ID{0, 1, 0x1f, '"', '\\', 0x7f, 0x80, 0xa0, 0xff, '<', '>', '&', 'a', 'b', 'c', 'd', 'e', 0xfe, 0x10, 0x20}

func TestIDRoundTrip(t *testing.T) {
	b, err := binID.MarshalJSON()
	require.NoError(t, err)
	var s string
	require.NoError(t, json.Unmarshal(b, &s))
	assert.Equal(t, 20, len([]rune(s)), "one character per byte")
	for i, r := range []rune(s) {
		assert.Equal(t, rune(binID[i]), r)
	}
	var got ID
	require.NoError(t, got.UnmarshalJSON(b))
	assert.Equal(t, binID, got)
}

func TestIDRejects(t *testing.T) {
	for name, in := range map[string]string{
		"short":             `"abc"`,
		"long":              `"aaaaaaaaaaaaaaaaaaaaa"`,
		"wide rune":         `"aaaaaaaaaaaaaaaaaaa\u0100"`,
		"not string":        `12345`,
		"array":             `["aaaaaaaaaaaaaaaaaaaa"]`,
		"bytes 20 runes 10": `"` + strings.Repeat("é", 10) + `"`,
	} {
		t.Run(name, func(t *testing.T) {
			var id ID
			err := id.UnmarshalJSON([]byte(in))
			require.ErrorIs(t, err, ErrInvalid)
			assert.True(t, id.IsZero(), "left untouched")
		})
	}
	var id ID
	require.NoError(t, id.UnmarshalJSON([]byte(`"`+strings.Repeat("é", 20)+`"`)))
	assert.Equal(t, byte(0xe9), id[19])
}

func ptr[T any](v T) *T { return &v }

func TestRoundTrip(t *testing.T) {
	offerID := idOf("OOOOOOOOOOOOOOOOOOOO")
	cases := map[string]*Message{
		"announce with offers": {
			Action: ActionAnnounce, InfoHash: binID, PeerID: idOf("-WW0208-abcdefghijkl"),
			Uploaded: ptr(int64(0)), Downloaded: ptr(int64(12)), Left: ptr(int64(1 << 40)),
			Event: "started", NumWant: ptr(2),
			Offers: []Offer{
				{OfferID: offerID, Offer: SDP{Type: "offer", SDP: "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}},
				{OfferID: binID, Offer: SDP{Type: "offer", SDP: "v=0\r\n"}},
			},
		},
		"relayed offer": {
			Action: ActionAnnounce, InfoHash: binID, PeerID: idOf("-WW0208-abcdefghijkl"),
			OfferID: &offerID, Offer: &SDP{Type: "offer", SDP: "v=0"},
		},
		"answer": {
			Action: ActionAnnounce, InfoHash: binID, PeerID: idOf("-BR0001-abcdefghijkl"),
			ToPeerID: ptr(idOf("-WW0208-abcdefghijkl")), OfferID: &offerID,
			Answer: &SDP{Type: "answer", SDP: "v=0\r\na=x"},
		},
		"announce reply": {
			Action: ActionAnnounce, InfoHash: binID, Interval: ptr(120), MinInterval: ptr(60),
			Complete: ptr(0), Incomplete: ptr(3), WarningMessage: "be nice",
		},
		"failure": {FailureReason: "invalid info_hash"},
		"scrape many": {
			Action: ActionScrape, InfoHash: binID, InfoHashes: []ID{binID, offerID},
		},
		"scrape one": {
			Action: ActionScrape, InfoHash: binID, InfoHashes: []ID{binID},
		},
		"scrape reply": {
			Action: ActionScrape,
			Files:  map[ID]ScrapeFile{binID: {Complete: 1, Incomplete: 2, Downloaded: 3}, offerID: {}},
		},
	}
	for name, m := range cases {
		t.Run(name, func(t *testing.T) {
			b, err := Encode(m)
			require.NoError(t, err)
			got, err := Decode(b)
			require.NoError(t, err)
			assert.Equal(t, m, got)
			// json.Marshal of the struct is the same frame.
			b2, err := json.Marshal(m)
			require.NoError(t, err)
			assert.JSONEq(t, string(b), string(b2))
		})
	}
}

func TestEncodeOmits(t *testing.T) {
	b, err := Encode(&Message{FailureReason: "nope"})
	require.NoError(t, err)
	assert.JSONEq(t, `{"failure reason":"nope"}`, string(b))

	b, err = Encode(&Message{Action: ActionAnnounce, InfoHash: idOf("aaaaaaaaaaaaaaaaaaaa"), Complete: ptr(0), Incomplete: ptr(1), Interval: ptr(120)})
	require.NoError(t, err)
	assert.JSONEq(t, `{"action":"announce","info_hash":"aaaaaaaaaaaaaaaaaaaa","complete":0,"incomplete":1,"interval":120}`, string(b))

	_, err = Encode(nil)
	require.ErrorIs(t, err, ErrInvalid)
	_, err = Encode(&Message{FailureReason: strings.Repeat("x", MaxMessageSize)})
	require.ErrorIs(t, err, ErrInvalid)
}

// A frame as WebTorrent 2.8.5 sends it (ids as JavaScript binary strings).
const webtorrentAnnounce = `{"numwant":1,"uploaded":0,"downloaded":0,"left":null,"event":"started","action":"announce","info_hash":"\u0012\u0034\u00e9\u00ff\u0000abcdefghijklmno","peer_id":"-WW0208-kQv3xEFXJ0uX","offers":[{"offer":{"type":"offer","sdp":"v=0\r\no=- 4611 2 IN IP4 127.0.0.1\r\n"},"offer_id":"\u0001\u0002\u0003abcdefghijklmnop\u00fe"}],"trackerid":"x"}`

func TestDecodeWebTorrent(t *testing.T) {
	m, err := Decode([]byte(webtorrentAnnounce))
	require.NoError(t, err)
	assert.Equal(t, ActionAnnounce, m.Action)
	assert.Equal(t, ID{0x12, 0x34, 0xe9, 0xff, 0, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o'}, m.InfoHash)
	assert.Equal(t, idOf("-WW0208-kQv3xEFXJ0uX"), m.PeerID)
	assert.Nil(t, m.Left, "null left is unknown")
	require.NotNil(t, m.NumWant)
	assert.Equal(t, 1, *m.NumWant)
	require.Len(t, m.Offers, 1)
	assert.Equal(t, byte(0xfe), m.Offers[0].OfferID[19])
	assert.Equal(t, "offer", m.Offers[0].Offer.Type)
	assert.Nil(t, m.InfoHashes, "only scrapes list hashes")
}

func TestDecodeLenientNumbers(t *testing.T) {
	for in, want := range map[string]*int64{
		`null`: nil, `0`: ptr(int64(0)), `12.9`: ptr(int64(12)), `"42"`: ptr(int64(42)),
		`""`: ptr(int64(0)), `1e3`: ptr(int64(1000)), `-5`: ptr(int64(-5)),
	} {
		m, err := Decode([]byte(`{"action":"announce","left":` + in + `}`))
		require.NoError(t, err, in)
		assert.Equal(t, want, m.Left, in)
	}
}

func TestDecodeScrapeForms(t *testing.T) {
	m, err := Decode([]byte(`{"action":"scrape","info_hash":"aaaaaaaaaaaaaaaaaaaa"}`))
	require.NoError(t, err)
	assert.Equal(t, []ID{idOf("aaaaaaaaaaaaaaaaaaaa")}, m.InfoHashes)

	m, err = Decode([]byte(`{"action":"scrape","info_hash":["aaaaaaaaaaaaaaaaaaaa","bbbbbbbbbbbbbbbbbbbb"]}`))
	require.NoError(t, err)
	assert.Equal(t, []ID{idOf("aaaaaaaaaaaaaaaaaaaa"), idOf("bbbbbbbbbbbbbbbbbbbb")}, m.InfoHashes)
	assert.Equal(t, idOf("aaaaaaaaaaaaaaaaaaaa"), m.InfoHash)

	m, err = Decode([]byte(`{"action":"scrape"}`))
	require.NoError(t, err)
	assert.Empty(t, m.InfoHashes, "scrape of everything")
}

func TestDecodeMalformed(t *testing.T) {
	h := `"aaaaaaaaaaaaaaaaaaaa"`
	offer := `{"offer_id":` + h + `,"offer":{"type":"offer","sdp":"v=0"}}`
	many := strings.TrimSuffix(strings.Repeat(offer+",", MaxOffers+1), ",")
	hashes := strings.TrimSuffix(strings.Repeat(h+",", MaxScrapeHashes+1), ",")
	for name, in := range map[string]string{
		"empty":             ``,
		"not json":          `hello`,
		"truncated":         `{"action":"announce"`,
		"array":             `[1,2]`,
		"bad action":        `{"action":"connect"}`,
		"action type":       `{"action":1}`,
		"short info_hash":   `{"action":"announce","info_hash":"abc"}`,
		"long peer_id":      `{"action":"announce","peer_id":"aaaaaaaaaaaaaaaaaaaaa"}`,
		"wide to_peer_id":   `{"action":"announce","to_peer_id":"aaaaaaaaaaaaaaaaaaa\u4e00"}`,
		"short offer_id":    `{"action":"announce","offers":[{"offer_id":"x","offer":{}}]}`,
		"hash array":        `{"action":"announce","info_hash":[` + h + `]}`,
		"bad hash in array": `{"action":"scrape","info_hash":[` + h + `,"x"]}`,
		"too many hashes":   `{"action":"scrape","info_hash":[` + hashes + `]}`,
		"too many offers":   `{"action":"announce","offers":[` + many + `]}`,
		"huge sdp":          `{"action":"announce","answer":{"type":"answer","sdp":"` + strings.Repeat("x", MaxSDPSize+1) + `"}}`,
		"huge offer sdp":    `{"action":"announce","offers":[{"offer_id":` + h + `,"offer":{"sdp":"` + strings.Repeat("x", MaxSDPSize+1) + `"}}]}`,
		"oversize":          `{"action":"announce","x":"` + strings.Repeat("x", MaxMessageSize) + `"}`,
		"left word":         `{"left":"lots"}`,
		"left object":       `{"left":{}}`,
		"left huge":         `{"left":1e300}`,
		"numwant huge":      `{"numwant":99999999999}`,
		"offers not array":  `{"offers":{}}`,
		"offer not object":  `{"offer":"v=0"}`,
	} {
		t.Run(name, func(t *testing.T) {
			m, err := Decode([]byte(in))
			require.ErrorIs(t, err, ErrInvalid)
			assert.Nil(t, m)
		})
	}
}

func TestDecodeIgnoresUnknown(t *testing.T) {
	m, err := Decode([]byte(`{"action":"announce","trackerid":"abc","flags":{"x":1},"peers":[]}`))
	require.NoError(t, err)
	assert.Equal(t, ActionAnnounce, m.Action)
}

func BenchmarkDecode(b *testing.B) {
	in := []byte(webtorrentAnnounce)
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := Decode(in); err != nil {
			b.Fatal(err)
		}
	}
}
