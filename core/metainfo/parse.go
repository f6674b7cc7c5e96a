package metainfo

import (
	"crypto/sha1"
	"crypto/sha256"
	"fmt"
	"math"
	"strings"
)

// Parse reads a .torrent file. The info hash is the SHA-1 of the info
// dict's bytes exactly as they appear in data, so torrents with unusual
// (but valid) encodings keep the hash every other client computes.
// Optional top-level fields of the wrong type are ignored, as other
// clients do; anything wrong inside the info dict is an error.
func Parse(data []byte) (*MetaInfo, error) {
	if len(data) > MaxTorrentSize {
		return nil, fmt.Errorf("metainfo: torrent is %d bytes, limit %d: %w", len(data), MaxTorrentSize, ErrTooLarge)
	}
	entries, err := dictEntries("torrent", data)
	if err != nil {
		return nil, err
	}
	m := &MetaInfo{}
	var comment, commentUTF8 string
	var pieceLayers []byte
	for _, e := range entries {
		switch e.key {
		case "info":
			m.InfoBytes = e.val
		case "piece layers":
			pieceLayers = e.val
		case "announce":
			m.Announce, _ = rawString(e.val)
		case "announce-list":
			if m.AnnounceList, err = parseAnnounceList(e.val); err != nil {
				return nil, err
			}
		case "url-list":
			if m.URLList, err = parseURLList(e.val); err != nil {
				return nil, err
			}
		case "comment":
			comment, _ = rawString(e.val)
		case "comment.utf-8":
			commentUTF8, _ = rawString(e.val)
		case "created by":
			m.CreatedBy, _ = rawString(e.val)
		case "creation date":
			m.CreationDate, _ = rawInt(e.val)
		}
	}
	m.Comment = comment
	if commentUTF8 != "" {
		m.Comment = commentUTF8
	}
	if m.InfoBytes == nil {
		return nil, fmt.Errorf("metainfo: no info dictionary: %w", ErrMalformed)
	}
	if m.Info, err = ParseInfo(m.InfoBytes); err != nil {
		return nil, err
	}
	if m.Info.HasV1() {
		m.InfoHash = sha1.Sum(m.InfoBytes)
	}
	if m.Info.HasV2() {
		m.InfoHashV2 = sha256.Sum256(m.InfoBytes)
		if m.PieceLayers, err = parsePieceLayers(pieceLayers, m.Info); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// parseAnnounceList keeps the string URLs of a BEP 12 announce-list,
// dropping other values, empty tiers and URLs seen before.
func parseAnnounceList(raw []byte) ([][]string, error) {
	tiers, err := rawList(raw)
	if err != nil {
		return nil, nil // wrong type: ignored like other optional fields
	}
	var out [][]string
	seen := make(map[string]struct{})
	for _, t := range tiers {
		urls, err := rawList(t)
		if err != nil {
			continue
		}
		var tier []string
		for _, u := range urls {
			s, err := rawString(u)
			if err != nil || s == "" {
				continue
			}
			if _, dup := seen[s]; dup {
				continue
			}
			if len(seen) == MaxTrackers {
				return nil, fmt.Errorf("metainfo: announce-list: more than %d trackers: %w", MaxTrackers, ErrMalformed)
			}
			seen[s] = struct{}{}
			tier = append(tier, s)
		}
		if len(tier) > 0 {
			out = append(out, tier)
		}
	}
	return out, nil
}

// parseURLList reads BEP 19 web seeds: one string or a list of strings.
func parseURLList(raw []byte) ([]string, error) {
	if s, err := rawString(raw); err == nil {
		if s == "" {
			return nil, nil
		}
		return []string{s}, nil
	}
	items, err := rawList(raw)
	if err != nil {
		return nil, nil
	}
	var out []string
	for _, it := range items {
		s, err := rawString(it)
		if err != nil || s == "" {
			continue
		}
		if len(out) == MaxWebSeeds {
			return nil, fmt.Errorf("metainfo: url-list: more than %d web seeds: %w", MaxWebSeeds, ErrMalformed)
		}
		out = append(out, s)
	}
	return out, nil
}

// ParseInfo reads a raw bencoded info dict, as found in a .torrent file,
// received by BEP 9 metadata exchange or kept in a resume record. The
// caller checks its SHA-1 against the expected info hash.
func ParseInfo(infoBytes []byte) (*Info, error) {
	if len(infoBytes) > MaxTorrentSize {
		return nil, fmt.Errorf("metainfo: info is %d bytes, limit %d: %w", len(infoBytes), MaxTorrentSize, ErrTooLarge)
	}
	entries, err := dictEntries("info", infoBytes)
	if err != nil {
		return nil, err
	}
	var (
		name, nameUTF8         []byte
		pieceLen, pieces       []byte
		length, files, private []byte
		metaVersion, fileTree  []byte
	)
	for _, e := range entries {
		switch e.key {
		case "name":
			name = e.val
		case "name.utf-8":
			nameUTF8 = e.val
		case "piece length":
			pieceLen = e.val
		case "pieces":
			pieces = e.val
		case "length":
			length = e.val
		case "files":
			files = e.val
		case "private":
			private = e.val
		case "meta version":
			metaVersion = e.val
		case "file tree":
			fileTree = e.val
		}
	}

	info := &Info{}
	if info.MetaVersion, err = parseMetaVersion(metaVersion); err != nil {
		return nil, err
	}
	if info.PieceLength, err = parsePieceLength(pieceLen); err != nil {
		return nil, err
	}
	if info.HasV2() {
		if err := checkPieceLengthV2(info.PieceLength); err != nil {
			return nil, err
		}
		if fileTree == nil {
			return nil, fmt.Errorf("metainfo: meta version 2 without a file tree: %w", ErrMalformed)
		}
	}
	if info.Name, err = parseName(name, nameUTF8); err != nil {
		return nil, err
	}
	if private != nil {
		p, err := rawInt(private)
		if err != nil {
			return nil, fmt.Errorf("metainfo: private: %w", err)
		}
		info.Private = p != 0
	}

	if info.HasV2() {
		if info.FilesV2, info.MultiFile, err = parseFileTree(info.Name, fileTree); err != nil {
			return nil, err
		}
		if pieces == nil {
			return finishV2Only(info, length, files)
		}
	}

	switch {
	case length != nil && files != nil:
		return nil, fmt.Errorf("metainfo: info has both length and files: %w", ErrMalformed)
	case length != nil:
		n, err := rawInt(length)
		if err != nil {
			return nil, fmt.Errorf("metainfo: length: %w", err)
		}
		if n < 0 {
			return nil, fmt.Errorf("metainfo: length %d: negative: %w", n, ErrMalformed)
		}
		info.Files = []File{{Path: []string{info.Name}, Length: n}}
		info.Length = n
		info.MultiFile = false
	case files != nil:
		if info.Files, info.Length, err = parseFiles(info.Name, files); err != nil {
			return nil, err
		}
		info.MultiFile = true
	default:
		return nil, fmt.Errorf("metainfo: info has neither length nor files: %w", ErrMalformed)
	}
	if info.Length == 0 {
		return nil, fmt.Errorf("metainfo: torrent holds no data: %w", ErrMalformed)
	}

	if info.Pieces, err = parsePieces(pieces, info.Length, info.PieceLength); err != nil {
		return nil, err
	}
	if info.HasV2() {
		if err := checkHybrid(info); err != nil {
			return nil, err
		}
	}
	return info, nil
}

// finishV2Only lays out a v2-only torrent's files; v1 file keys without v1
// pieces are refused.
func finishV2Only(info *Info, length, files []byte) (*Info, error) {
	if length != nil || files != nil {
		return nil, fmt.Errorf("metainfo: v1 file list without v1 pieces: %w", ErrMalformed)
	}
	var err error
	if info.Files, info.Length, err = layoutV2(info.FilesV2, info.PieceLength); err != nil {
		return nil, err
	}
	if info.Length == 0 {
		return nil, fmt.Errorf("metainfo: torrent holds no data: %w", ErrMalformed)
	}
	return info, nil
}

func parsePieceLength(raw []byte) (int64, error) {
	if raw == nil {
		return 0, fmt.Errorf("metainfo: no piece length: %w", ErrMalformed)
	}
	n, err := rawInt(raw)
	if err != nil {
		return 0, fmt.Errorf("metainfo: piece length: %w", err)
	}
	if err := checkPieceLength(n); err != nil {
		return 0, err
	}
	return n, nil
}

// checkPieceLength accepts what real clients produce: a positive multiple
// of the 16 KiB block size, at most MaxPieceLength.
func checkPieceLength(n int64) error {
	switch {
	case n <= 0:
		return fmt.Errorf("metainfo: piece length %d: not positive: %w", n, ErrMalformed)
	case n%MinPieceLength != 0:
		return fmt.Errorf("metainfo: piece length %d: not a multiple of %d: %w", n, MinPieceLength, ErrMalformed)
	case n > MaxPieceLength:
		return fmt.Errorf("metainfo: piece length %d: over %d: %w", n, MaxPieceLength, ErrMalformed)
	}
	return nil
}

// parseName prefers name.utf-8 when it is a string, as other clients do.
func parseName(name, nameUTF8 []byte) (string, error) {
	raw := name
	if nameUTF8 != nil {
		if _, err := rawString(nameUTF8); err == nil {
			raw = nameUTF8
		}
	}
	if raw == nil {
		return "", fmt.Errorf("metainfo: no name: %w", ErrMalformed)
	}
	s, err := rawString(raw)
	if err != nil {
		return "", fmt.Errorf("metainfo: name: %w", err)
	}
	if err := ValidatePathComponent(s); err != nil {
		return "", fmt.Errorf("metainfo: name: %w", err)
	}
	return s, nil
}

func parseFiles(name string, raw []byte) ([]File, int64, error) {
	items, err := rawList(raw)
	if err != nil {
		return nil, 0, fmt.Errorf("metainfo: files: %w", err)
	}
	switch {
	case len(items) == 0:
		return nil, 0, fmt.Errorf("metainfo: files: empty list: %w", ErrMalformed)
	case len(items) > MaxFiles:
		return nil, 0, fmt.Errorf("metainfo: files: %d entries, limit %d: %w", len(items), MaxFiles, ErrMalformed)
	}
	out := make([]File, len(items))
	var total int64
	var tree pathTree
	for i, it := range items {
		f, err := parseFile(name, it)
		if err != nil {
			return nil, 0, fmt.Errorf("metainfo: files[%d]: %w", i, err)
		}
		if f.Length > math.MaxInt64-total {
			return nil, 0, fmt.Errorf("metainfo: files[%d]: total length overflows: %w", i, ErrMalformed)
		}
		f.Offset = total
		total += f.Length
		// Padding files of one size share a name (".pad/N"); storage never
		// writes them, so they cannot collide with anything.
		if !f.Padding {
			if err := tree.insert(f.Path); err != nil {
				return nil, 0, fmt.Errorf("metainfo: files[%d]: %w", i, err)
			}
		}
		out[i] = f
	}
	return out, total, nil
}

func parseFile(name string, raw []byte) (File, error) {
	var f File
	entries, err := dictEntries("file", raw)
	if err != nil {
		return f, err
	}
	var length, path, pathUTF8, attr []byte
	for _, e := range entries {
		switch e.key {
		case "length":
			length = e.val
		case "path":
			path = e.val
		case "path.utf-8":
			pathUTF8 = e.val
		case "attr":
			attr = e.val
		}
	}
	if length == nil {
		return f, fmt.Errorf("no length: %w", ErrMalformed)
	}
	if f.Length, err = rawInt(length); err != nil {
		return f, fmt.Errorf("length: %w", err)
	}
	if f.Length < 0 {
		return f, fmt.Errorf("length %d: negative: %w", f.Length, ErrMalformed)
	}
	if attr != nil {
		if a, err := rawString(attr); err == nil {
			f.Padding = strings.Contains(a, "p")
		}
	}
	f.Path, err = parsePath(pathUTF8)
	if pathUTF8 == nil || err != nil {
		if path == nil {
			return f, fmt.Errorf("no path: %w", ErrMalformed)
		}
		if f.Path, err = parsePath(path); err != nil {
			return f, err
		}
	}
	if err := validatePath(name, f.Path); err != nil {
		return f, err
	}
	return f, nil
}

// parsePath decodes a list of strings; validation is validatePath's job.
func parsePath(raw []byte) ([]string, error) {
	items, err := rawList(raw)
	if err != nil {
		return nil, fmt.Errorf("path: %w", err)
	}
	out := make([]string, len(items))
	for i, it := range items {
		if out[i], err = rawString(it); err != nil {
			return nil, fmt.Errorf("path[%d]: %w", i, err)
		}
	}
	return out, nil
}

func parsePieces(raw []byte, total, pieceLen int64) ([][20]byte, error) {
	if raw == nil {
		return nil, fmt.Errorf("metainfo: no pieces: %w", ErrMalformed)
	}
	s, err := rawString(raw)
	if err != nil {
		return nil, fmt.Errorf("metainfo: pieces: %w", err)
	}
	if len(s)%20 != 0 {
		return nil, fmt.Errorf("metainfo: pieces: %d bytes, not a multiple of 20: %w", len(s), ErrMalformed)
	}
	want := total / pieceLen
	if total%pieceLen != 0 {
		want++
	}
	if got := int64(len(s) / 20); got != want {
		return nil, fmt.Errorf("metainfo: pieces: %d hashes, want %d for %d bytes in %d-byte pieces: %w",
			got, want, total, pieceLen, ErrMalformed)
	}
	out := make([][20]byte, len(s)/20)
	for i := range out {
		copy(out[i][:], s[i*20:])
	}
	return out, nil
}
