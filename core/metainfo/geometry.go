package metainfo

import "sort"

// NumPieces is the number of pieces covering Length bytes. It is computed
// from Length and PieceLength, so hand-built Infos without hashes work too.
func (i *Info) NumPieces() int {
	if i.PieceLength <= 0 || i.Length <= 0 {
		return 0
	}
	return int((i.Length + i.PieceLength - 1) / i.PieceLength)
}

// PieceSize is the length of piece p: PieceLength, except for a short last
// piece. Out-of-range pieces have size 0.
func (i *Info) PieceSize(p int) int64 {
	if p < 0 || p >= i.NumPieces() {
		return 0
	}
	if rest := i.Length - int64(p)*i.PieceLength; rest < i.PieceLength {
		return rest
	}
	return i.PieceLength
}

// PieceOffset is where piece p starts in the torrent's byte stream.
func (i *Info) PieceOffset(p int) int64 {
	return int64(p) * i.PieceLength
}

// FilePieces is the inclusive range of pieces holding bytes of file f.
// A zero-length file (or an out-of-range f) has first > last, with first
// the piece where it would start.
func (i *Info) FilePieces(f int) (first, last int) {
	if f < 0 || f >= len(i.Files) || i.PieceLength <= 0 {
		return 0, -1
	}
	file := i.Files[f]
	first = int(file.Offset / i.PieceLength)
	if file.Length <= 0 {
		return first, first - 1
	}
	last = int((file.Offset + file.Length - 1) / i.PieceLength)
	return first, last
}

// PieceFiles is the inclusive range of files overlapping piece p; zero-
// length files between them fall inside the range. Out of range: first > last.
func (i *Info) PieceFiles(p int) (first, last int) {
	size := i.PieceSize(p)
	if size == 0 {
		return 0, -1
	}
	start := i.PieceOffset(p)
	end := start + size
	first = sort.Search(len(i.Files), func(k int) bool {
		return i.Files[k].Offset+i.Files[k].Length > start
	})
	last = sort.Search(len(i.Files), func(k int) bool {
		return i.Files[k].Offset >= end
	}) - 1
	return first, last
}

// FilesLength is the bytes of the torrent's files: Length without BEP 47
// padding, which is zeros that are never stored or downloaded. What a
// user has, wants and has left is counted in these.
func (i *Info) FilesLength() int64 {
	n := i.Length
	for _, f := range i.Files {
		if f.Padding {
			n -= f.Length
		}
	}
	return n
}
