package persist

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"errors"
	"fmt"
	"math"

	"github.com/anacrolix/torrent/bencode"

	"github.com/braid-bt/braid/core/bitfield"
	"github.com/braid-bt/braid/core/metainfo"
)

// RecordVersion is the resume-record format this package writes and reads.
const RecordVersion = 1

// Bounds on a resume record. A record is read back from disk after crashes
// and may be torn or tampered with, so every part is limited before it is
// decoded into memory.
const (
	MaxRecordSize   = 64 << 20 // whole encoded record
	maxTextLen      = 64 << 10 // name, save path
	maxTrackersRaw  = 1 << 20  // encoded tracker tiers
	maxURLListRaw   = 1 << 20  // encoded web seeds
	maxIntEncoding  = 22       // "i-9223372036854775808e"
	maxFileStateRaw = 64       // one encoded FileState, generously
)

var (
	// ErrNoRecord is returned by StateStore.Load when no record exists.
	ErrNoRecord = errors.New("persist: no resume record")
	// ErrCorruptRecord wraps every reason a record is refused: it is reported
	// and ignored, never trusted.
	ErrCorruptRecord = errors.New("persist: corrupt resume record")
)

// FileState is what a file looked like on disk when the record was written,
// so a resume can tell whether data changed behind Braid's back.
type FileState struct {
	Size  int64 `bencode:"size"`  // -1 when the file is missing
	MTime int64 `bencode:"mtime"` // unix nanoseconds
}

// Record is a torrent's resume record: everything needed to resume it
// offline, including the raw info dictionary of a magnet download.
type Record struct {
	Version int `bencode:"braid_resume_version"`
	// InfoHash is the SHA-1 info hash (20 bytes) of a v1 or hybrid
	// torrent, or the SHA-256 one (32 bytes) of a v2-only torrent.
	InfoHash []byte        `bencode:"info_hash"`
	Info     bencode.Bytes `bencode:"info"` // raw info dict, embedded verbatim so its hash survives
	// PieceLayers is a v2-only torrent's bencoded "piece layers"
	// dictionary, which its pieces verify against; a hybrid's may keep
	// them too (a hybrid magnet's, once fetched). Absent for v1.
	PieceLayers    bencode.Bytes `bencode:"piece_layers,omitempty"`
	Name           string        `bencode:"name"`
	Trackers       [][]string    `bencode:"trackers,omitempty"`
	URLList        []string      `bencode:"url_list,omitempty"`
	SavePath       string        `bencode:"save_path"`
	Bitfield       []byte        `bencode:"bitfield"`
	NumPieces      int           `bencode:"num_pieces"`
	FilePriorities []int         `bencode:"file_priorities,omitempty"`
	Uploaded       int64         `bencode:"uploaded"`
	Downloaded     int64         `bencode:"downloaded"`
	AddedAt        int64         `bencode:"added_at"`     // unix seconds
	CompletedAt    int64         `bencode:"completed_at"` // unix seconds, 0 while incomplete
	Files          []FileState   `bencode:"files,omitempty"`
	Paused         bool          `bencode:"paused"`
	SuperSeed      bool          `bencode:"super_seed,omitempty"` // BEP 16, once complete
}

// rawRecord is the first decoding stage: scalars are read directly, lists
// are kept raw so their sizes can be checked before they are expanded.
type rawRecord struct {
	Version        int           `bencode:"braid_resume_version"`
	InfoHash       []byte        `bencode:"info_hash"`
	Info           bencode.Bytes `bencode:"info"`
	PieceLayers    bencode.Bytes `bencode:"piece_layers"`
	Name           string        `bencode:"name"`
	Trackers       bencode.Bytes `bencode:"trackers"`
	URLList        bencode.Bytes `bencode:"url_list"`
	SavePath       string        `bencode:"save_path"`
	Bitfield       []byte        `bencode:"bitfield"`
	NumPieces      int           `bencode:"num_pieces"`
	FilePriorities bencode.Bytes `bencode:"file_priorities"`
	Uploaded       int64         `bencode:"uploaded"`
	Downloaded     int64         `bencode:"downloaded"`
	AddedAt        int64         `bencode:"added_at"`
	CompletedAt    int64         `bencode:"completed_at"`
	Files          bencode.Bytes `bencode:"files"`
	Paused         int64         `bencode:"paused"`
	SuperSeed      int64         `bencode:"super_seed"`
}

// InfoHashArray returns the 20 bytes the torrent is known by: its v1 info
// hash, or a v2-only torrent's SHA-256 info hash truncated (its swarm's
// name, BEP 52). ok is false unless the info hash is 20 or 32 bytes.
func (r *Record) InfoHashArray() (ih [20]byte, ok bool) {
	if len(r.InfoHash) != sha1.Size && len(r.InfoHash) != sha256.Size {
		return ih, false
	}
	copy(ih[:], r.InfoHash)
	return ih, true
}

// EncodeRecord validates r as DecodeRecord would and bencodes it with the
// current RecordVersion, so a record that is written can always be read.
func EncodeRecord(r *Record) ([]byte, error) {
	if r == nil {
		return nil, fmt.Errorf("persist: encode nil record: %w", ErrCorruptRecord)
	}
	c := *r
	c.Version = RecordVersion
	if _, err := validateRecord(&c); err != nil {
		return nil, err
	}
	b, err := bencode.Marshal(&c)
	if err != nil {
		return nil, fmt.Errorf("persist: encode record: %w", err)
	}
	if len(b) > MaxRecordSize {
		return nil, fmt.Errorf("persist: record of %d bytes exceeds %d: %w", len(b), MaxRecordSize, ErrCorruptRecord)
	}
	return b, nil
}

// DecodeRecord parses and strictly validates a record: known version, a
// 20-byte info hash equal to SHA-1 of the embedded info dictionary, an info
// dictionary that parses, a bitfield of exactly the piece count, and bounded
// lists that match the torrent's files. Every failure wraps ErrCorruptRecord.
func DecodeRecord(b []byte) (rec *Record, err error) {
	defer func() {
		// The bencode decoder re-panics runtime errors; a record must never
		// take the process down.
		if p := recover(); p != nil {
			rec, err = nil, fmt.Errorf("persist: decode record: %v: %w", p, ErrCorruptRecord)
		}
	}()
	if len(b) > MaxRecordSize {
		return nil, corrupt("record of %d bytes exceeds %d", len(b), MaxRecordSize)
	}
	var raw rawRecord
	if err := bencode.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("persist: decode record: %w: %w", ErrCorruptRecord, err)
	}
	if raw.Version != RecordVersion {
		return nil, corrupt("unknown version %d", raw.Version)
	}
	if raw.Paused != 0 && raw.Paused != 1 {
		return nil, corrupt("paused %d is not a boolean", raw.Paused)
	}
	if raw.SuperSeed != 0 && raw.SuperSeed != 1 {
		return nil, corrupt("super_seed %d is not a boolean", raw.SuperSeed)
	}
	r := &Record{
		Version:     raw.Version,
		InfoHash:    raw.InfoHash,
		Info:        raw.Info,
		PieceLayers: raw.PieceLayers,
		Name:        raw.Name,
		SavePath:    raw.SavePath,
		Bitfield:    raw.Bitfield,
		NumPieces:   raw.NumPieces,
		Uploaded:    raw.Uploaded,
		Downloaded:  raw.Downloaded,
		AddedAt:     raw.AddedAt,
		CompletedAt: raw.CompletedAt,
		Paused:      raw.Paused == 1,
		SuperSeed:   raw.SuperSeed == 1,
	}
	info, err := validateHeader(r)
	if err != nil {
		return nil, err
	}
	nFiles := len(info.Files)
	if err := decodeList("trackers", raw.Trackers, maxTrackersRaw, &r.Trackers); err != nil {
		return nil, err
	}
	if err := decodeList("url_list", raw.URLList, maxURLListRaw, &r.URLList); err != nil {
		return nil, err
	}
	if err := decodeList("file_priorities", raw.FilePriorities, 2+nFiles*maxIntEncoding, &r.FilePriorities); err != nil {
		return nil, err
	}
	if err := decodeList("files", raw.Files, 2+nFiles*maxFileStateRaw, &r.Files); err != nil {
		return nil, err
	}
	if err := validateLists(r, nFiles); err != nil {
		return nil, err
	}
	return r, nil
}

// decodeList decodes one raw list field after bounding its encoded size, so a
// crafted record cannot expand into far more memory than the torrent needs.
func decodeList(key string, raw []byte, limit int, dst any) error {
	if len(raw) == 0 {
		return nil
	}
	if len(raw) > limit {
		return corrupt("%s: %d encoded bytes exceed %d", key, len(raw), limit)
	}
	if raw[0] != 'l' {
		return corrupt("%s: not a list", key)
	}
	if err := bencode.Unmarshal(raw, dst); err != nil {
		return fmt.Errorf("persist: record %s: %w: %w", key, ErrCorruptRecord, err)
	}
	return nil
}

// validateRecord checks a fully populated record (the encoding side).
func validateRecord(r *Record) (*metainfo.Info, error) {
	info, err := validateHeader(r)
	if err != nil {
		return nil, err
	}
	if err := checkRaw("trackers", r.Trackers, maxTrackersRaw); err != nil {
		return nil, err
	}
	if err := checkRaw("url_list", r.URLList, maxURLListRaw); err != nil {
		return nil, err
	}
	return info, validateLists(r, len(info.Files))
}

func checkRaw(key string, v any, limit int) error {
	b, err := bencode.Marshal(v)
	if err != nil {
		return fmt.Errorf("persist: record %s: %w", key, err)
	}
	if len(b) > limit {
		return corrupt("%s: %d encoded bytes exceed %d", key, len(b), limit)
	}
	return nil
}

// validateHeader checks the scalar fields and the info dictionary.
func validateHeader(r *Record) (*metainfo.Info, error) {
	if r.Version != RecordVersion {
		return nil, corrupt("unknown version %d", r.Version)
	}
	if len(r.Info) == 0 {
		return nil, corrupt("missing info dictionary")
	}
	var sum []byte
	switch len(r.InfoHash) {
	case sha1.Size:
		s := sha1.Sum(r.Info)
		sum = s[:]
	case sha256.Size: // a v2-only torrent
		s := sha256.Sum256(r.Info)
		sum = s[:]
	default:
		return nil, corrupt("info hash is %d bytes, want %d or %d", len(r.InfoHash), sha1.Size, sha256.Size)
	}
	if !bytes.Equal(sum, r.InfoHash) {
		return nil, corrupt("info dictionary hashes to %x, record says %x", sum, r.InfoHash)
	}
	info, err := parseRecordInfo(r.Info)
	if err != nil {
		return nil, fmt.Errorf("persist: record info: %w: %w", ErrCorruptRecord, err)
	}
	if v2only := !info.HasV1(); v2only != (len(r.InfoHash) == sha256.Size) {
		return nil, corrupt("a %d-byte info hash for a torrent with v1 pieces %t", len(r.InfoHash), !v2only)
	}
	if !info.HasV1() {
		if _, err := metainfo.ParsePieceLayers(r.PieceLayers, info); err != nil {
			return nil, fmt.Errorf("persist: record piece layers: %w: %w", ErrCorruptRecord, err)
		}
	} else if len(r.PieceLayers) > 0 {
		if !info.HasV2() {
			return nil, corrupt("piece layers in a record of a v1 torrent")
		}
		if _, err := metainfo.ParsePieceLayers(r.PieceLayers, info); err != nil { // a hybrid's
			return nil, fmt.Errorf("persist: record piece layers: %w: %w", ErrCorruptRecord, err)
		}
	}
	if len(r.Name) > maxTextLen || len(r.SavePath) > maxTextLen {
		return nil, corrupt("name or save path longer than %d bytes", maxTextLen)
	}
	if r.NumPieces != info.NumPieces() {
		return nil, corrupt("num_pieces %d, info has %d", r.NumPieces, info.NumPieces())
	}
	if _, err := bitfield.FromBytes(r.Bitfield, r.NumPieces); err != nil {
		return nil, fmt.Errorf("persist: record bitfield: %w: %w", ErrCorruptRecord, err)
	}
	if r.Uploaded < 0 || r.Downloaded < 0 {
		return nil, corrupt("negative transfer totals %d/%d", r.Uploaded, r.Downloaded)
	}
	if r.AddedAt < 0 || r.CompletedAt < 0 {
		return nil, corrupt("negative timestamps %d/%d", r.AddedAt, r.CompletedAt)
	}
	return info, nil
}

// validateLists checks that per-file lists are absent or describe every file.
func validateLists(r *Record, nFiles int) error {
	if n := len(r.FilePriorities); n != 0 && n != nFiles {
		return corrupt("%d file priorities for %d files", n, nFiles)
	}
	for i, p := range r.FilePriorities {
		if p < math.MinInt8 || p > math.MaxInt8 {
			return corrupt("file %d priority %d out of range", i, p)
		}
	}
	if n := len(r.Files); n != 0 && n != nFiles {
		return corrupt("%d file states for %d files", n, nFiles)
	}
	for i, f := range r.Files {
		if f.Size < -1 {
			return corrupt("file %d size %d", i, f.Size)
		}
	}
	return nil
}

func corrupt(format string, args ...any) error {
	return fmt.Errorf("persist: record: "+format+": %w", append(args, ErrCorruptRecord)...)
}
