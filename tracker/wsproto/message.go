package wsproto

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Bounds on what Decode accepts. WebTorrent sends at most 10 offers of a
// few KiB each; anything larger is hostile or broken.
const (
	MaxMessageSize = 64 << 10
	MaxOffers      = 10
	MaxSDPSize     = 16 << 10
	// MaxScrapeHashes bounds the info hashes of one scrape request or reply.
	MaxScrapeHashes = 64
)

// Actions.
const (
	ActionAnnounce = "announce"
	ActionScrape   = "scrape"
)

// ErrInvalid marks every frame Decode refuses.
var ErrInvalid = errors.New("invalid websocket tracker message")

// SDP is a WebRTC session description as simple-peer sends it.
type SDP struct {
	Type string `json:"type"`
	SDP  string `json:"sdp"`
}

// Offer is one pre-made WebRTC offer in an announce.
type Offer struct {
	OfferID ID  `json:"offer_id"`
	Offer   SDP `json:"offer"`
}

// ScrapeFile holds the counters of one torrent in a scrape reply.
type ScrapeFile struct {
	Complete   int `json:"complete"`
	Incomplete int `json:"incomplete"`
	Downloaded int `json:"downloaded"`
}

// Message is every frame, in both directions. Absent fields stay zero
// (IDs all zero, pointers nil, strings empty) and are omitted when
// encoding.
type Message struct {
	Action     string  `json:"action,omitempty"` // "announce" | "scrape"
	InfoHash   ID      `json:"info_hash"`
	PeerID     ID      `json:"peer_id"`
	ToPeerID   *ID     `json:"to_peer_id,omitempty"`
	OfferID    *ID     `json:"offer_id,omitempty"`
	Uploaded   *int64  `json:"uploaded,omitempty"`
	Downloaded *int64  `json:"downloaded,omitempty"`
	Left       *int64  `json:"left,omitempty"`
	Event      string  `json:"event,omitempty"`
	NumWant    *int    `json:"numwant,omitempty"`
	Offers     []Offer `json:"offers,omitempty"`
	Offer      *SDP    `json:"offer,omitempty"`
	Answer     *SDP    `json:"answer,omitempty"`

	Interval    *int `json:"interval,omitempty"`
	MinInterval *int `json:"min interval,omitempty"`
	Complete    *int `json:"complete,omitempty"`
	Incomplete  *int `json:"incomplete,omitempty"`

	FailureReason  string `json:"failure reason,omitempty"`
	WarningMessage string `json:"warning message,omitempty"`

	// InfoHashes lists every hash of a scrape request (info_hash may be a
	// string or an array; InfoHash is then the first). Encode writes an
	// array when it holds more than one hash.
	InfoHashes []ID `json:"-"`
	// Files is a scrape reply's counters by info hash.
	Files map[ID]ScrapeFile `json:"files,omitempty"`
}

// wireMessage is the encoded form: pointers so that absent ids are
// omitted, raw values where WebTorrent is loose about types.
type wireMessage struct {
	Action     string          `json:"action,omitempty"`
	InfoHash   json.RawMessage `json:"info_hash,omitempty"`
	PeerID     json.RawMessage `json:"peer_id,omitempty"`
	ToPeerID   json.RawMessage `json:"to_peer_id,omitempty"`
	OfferID    json.RawMessage `json:"offer_id,omitempty"`
	Uploaded   json.RawMessage `json:"uploaded,omitempty"`
	Downloaded json.RawMessage `json:"downloaded,omitempty"`
	Left       json.RawMessage `json:"left,omitempty"`
	Event      string          `json:"event,omitempty"`
	NumWant    json.RawMessage `json:"numwant,omitempty"`
	Offers     []Offer         `json:"offers,omitempty"`
	Offer      *SDP            `json:"offer,omitempty"`
	Answer     *SDP            `json:"answer,omitempty"`

	Interval    json.RawMessage `json:"interval,omitempty"`
	MinInterval json.RawMessage `json:"min interval,omitempty"`
	Complete    json.RawMessage `json:"complete,omitempty"`
	Incomplete  json.RawMessage `json:"incomplete,omitempty"`

	FailureReason  string `json:"failure reason,omitempty"`
	WarningMessage string `json:"warning message,omitempty"`

	Files map[ID]ScrapeFile `json:"files,omitempty"`
}

// Decode parses one text frame. Every failure wraps ErrInvalid.
func Decode(b []byte) (*Message, error) {
	if len(b) > MaxMessageSize {
		return nil, fmt.Errorf("wsproto: message of %d bytes exceeds %d: %w", len(b), MaxMessageSize, ErrInvalid)
	}
	var w wireMessage
	if err := json.Unmarshal(b, &w); err != nil {
		if errors.Is(err, ErrInvalid) {
			return nil, err
		}
		return nil, fmt.Errorf("wsproto: %v: %w", err, ErrInvalid)
	}
	m := &Message{
		Action: w.Action,
		Event:  w.Event, Offers: w.Offers, Offer: w.Offer, Answer: w.Answer,
		FailureReason: w.FailureReason, WarningMessage: w.WarningMessage,
		Files: w.Files,
	}
	switch m.Action {
	case "", ActionAnnounce, ActionScrape:
	default:
		return nil, fmt.Errorf("wsproto: action %.32q: %w", m.Action, ErrInvalid)
	}
	for _, f := range []struct {
		name string
		raw  json.RawMessage
		dst  **ID
	}{
		{"peer_id", w.PeerID, nil},
		{"to_peer_id", w.ToPeerID, &m.ToPeerID},
		{"offer_id", w.OfferID, &m.OfferID},
	} {
		raw := bytes.TrimSpace(f.raw)
		if len(raw) == 0 || string(raw) == "null" {
			continue
		}
		id := new(ID)
		if err := id.UnmarshalJSON(raw); err != nil {
			return nil, fmt.Errorf("wsproto: %s: %w", f.name, err)
		}
		if f.dst == nil {
			m.PeerID = *id
		} else {
			*f.dst = id
		}
	}
	if len(m.Offers) == 0 {
		m.Offers = nil // "offers":[] is no offers
	}
	if len(m.Files) == 0 {
		m.Files = nil
	}
	if err := m.decodeInfoHash(w.InfoHash); err != nil {
		return nil, err
	}
	if len(m.Offers) > MaxOffers {
		return nil, fmt.Errorf("wsproto: %d offers exceed %d: %w", len(m.Offers), MaxOffers, ErrInvalid)
	}
	if len(m.Files) > MaxScrapeHashes {
		return nil, fmt.Errorf("wsproto: %d scrape files exceed %d: %w", len(m.Files), MaxScrapeHashes, ErrInvalid)
	}
	for i := range m.Offers {
		if err := checkSDP("offers", &m.Offers[i].Offer); err != nil {
			return nil, err
		}
	}
	if err := checkSDP("offer", m.Offer); err != nil {
		return nil, err
	}
	if err := checkSDP("answer", m.Answer); err != nil {
		return nil, err
	}
	var err error
	for _, f := range []struct {
		name string
		raw  json.RawMessage
		dst  **int64
	}{
		{"uploaded", w.Uploaded, &m.Uploaded},
		{"downloaded", w.Downloaded, &m.Downloaded},
		{"left", w.Left, &m.Left},
	} {
		if *f.dst, err = decodeNumber(f.name, f.raw, math.MaxInt64); err != nil {
			return nil, err
		}
	}
	for _, f := range []struct {
		name string
		raw  json.RawMessage
		dst  **int
	}{
		{"numwant", w.NumWant, &m.NumWant},
		{"interval", w.Interval, &m.Interval},
		{"min interval", w.MinInterval, &m.MinInterval},
		{"complete", w.Complete, &m.Complete},
		{"incomplete", w.Incomplete, &m.Incomplete},
	} {
		v, err := decodeNumber(f.name, f.raw, math.MaxInt32)
		if err != nil {
			return nil, err
		}
		if v != nil {
			n := int(*v)
			*f.dst = &n
		}
	}
	return m, nil
}

// decodeInfoHash takes a string, or for scrapes an array of strings.
func (m *Message) decodeInfoHash(raw json.RawMessage) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if raw[0] != '[' {
		if err := m.InfoHash.UnmarshalJSON(raw); err != nil {
			return fmt.Errorf("wsproto: info_hash: %w", err)
		}
		if m.Action == ActionScrape {
			m.InfoHashes = []ID{m.InfoHash}
		}
		return nil
	}
	if m.Action != ActionScrape {
		return fmt.Errorf("wsproto: info_hash array outside a scrape: %w", ErrInvalid)
	}
	var hs []ID
	if err := json.Unmarshal(raw, &hs); err != nil {
		if errors.Is(err, ErrInvalid) {
			return fmt.Errorf("wsproto: info_hash: %w", err)
		}
		return fmt.Errorf("wsproto: info_hash: %v: %w", err, ErrInvalid)
	}
	if len(hs) > MaxScrapeHashes {
		return fmt.Errorf("wsproto: %d scrape hashes exceed %d: %w", len(hs), MaxScrapeHashes, ErrInvalid)
	}
	if len(hs) > 0 {
		m.InfoHash = hs[0]
		m.InfoHashes = hs
	}
	return nil
}

func checkSDP(field string, s *SDP) error {
	if s == nil {
		return nil
	}
	if n := len(s.SDP) + len(s.Type); n > MaxSDPSize {
		return fmt.Errorf("wsproto: %s SDP of %d bytes exceeds %d: %w", field, n, MaxSDPSize, ErrInvalid)
	}
	return nil
}

// decodeNumber reads what JavaScript's Number() would accept from a
// tracker client: null (absent), an integer, a float (truncated) or a
// numeric string. Values outside [-limit, limit] are refused.
func decodeNumber(field string, raw json.RawMessage, limit int64) (*int64, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	text := string(raw)
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("wsproto: %s: %v: %w", field, err, ErrInvalid)
		}
		text = strings.TrimSpace(s)
		if text == "" {
			v := int64(0) // Number("") is 0
			return &v, nil
		}
	}
	if v, err := strconv.ParseInt(text, 10, 64); err == nil {
		if v > limit || v < -limit {
			return nil, fmt.Errorf("wsproto: %s %d out of range: %w", field, v, ErrInvalid)
		}
		return &v, nil
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		if len(text) > 32 {
			text = text[:32]
		}
		return nil, fmt.Errorf("wsproto: %s %q is not a number: %w", field, text, ErrInvalid)
	}
	if f >= float64(limit) || f <= -float64(limit) {
		return nil, fmt.Errorf("wsproto: %s %g out of range: %w", field, f, ErrInvalid)
	}
	v := int64(f)
	return &v, nil
}

// Encode writes m as one text frame. Zero ids and nil fields are omitted.
func Encode(m *Message) ([]byte, error) {
	if m == nil {
		return nil, fmt.Errorf("wsproto: encode nil message: %w", ErrInvalid)
	}
	w := wireMessage{
		Action: m.Action,
		Event:  m.Event, Offers: m.Offers, Offer: m.Offer, Answer: m.Answer,
		FailureReason: m.FailureReason, WarningMessage: m.WarningMessage,
		Files:    m.Files,
		Uploaded: rawInt64(m.Uploaded), Downloaded: rawInt64(m.Downloaded), Left: rawInt64(m.Left),
		NumWant: rawInt(m.NumWant), Interval: rawInt(m.Interval), MinInterval: rawInt(m.MinInterval),
		Complete: rawInt(m.Complete), Incomplete: rawInt(m.Incomplete),
	}
	var err error
	for _, f := range []struct {
		id  *ID
		dst *json.RawMessage
	}{
		{&m.PeerID, &w.PeerID}, {m.ToPeerID, &w.ToPeerID}, {m.OfferID, &w.OfferID},
	} {
		if f.id != nil && (f.id != &m.PeerID || !m.PeerID.IsZero()) {
			if *f.dst, err = f.id.MarshalJSON(); err != nil {
				return nil, fmt.Errorf("wsproto: encode id: %w", err)
			}
		}
	}
	switch {
	case len(m.InfoHashes) > 1:
		w.InfoHash, err = json.Marshal(m.InfoHashes)
	case !m.InfoHash.IsZero():
		w.InfoHash, err = m.InfoHash.MarshalJSON()
	case len(m.InfoHashes) == 1:
		w.InfoHash, err = m.InfoHashes[0].MarshalJSON()
	}
	if err != nil {
		return nil, fmt.Errorf("wsproto: encode info_hash: %w", err)
	}
	b, err := json.Marshal(&w)
	if err != nil {
		return nil, fmt.Errorf("wsproto: encode: %w", err)
	}
	if len(b) > MaxMessageSize {
		return nil, fmt.Errorf("wsproto: encoded message of %d bytes exceeds %d: %w", len(b), MaxMessageSize, ErrInvalid)
	}
	return b, nil
}

func rawInt64(p *int64) json.RawMessage {
	if p == nil {
		return nil
	}
	return strconv.AppendInt(nil, *p, 10)
}

func rawInt(p *int) json.RawMessage {
	if p == nil {
		return nil
	}
	return strconv.AppendInt(nil, int64(*p), 10)
}

// MarshalJSON makes json.Marshal of a Message match Encode.
func (m Message) MarshalJSON() ([]byte, error) { return Encode(&m) }

// UnmarshalJSON makes json.Unmarshal into a Message match Decode.
func (m *Message) UnmarshalJSON(b []byte) error {
	d, err := Decode(b)
	if err != nil {
		return err
	}
	*m = *d
	return nil
}
