//go:build !js

package persist

import (
	"fmt"
	"io"
)

// maxIOV bounds the buffers one vectored call is given (Linux's IOV_MAX).
const maxIOV = 1024

// WriteVAt writes bufs, one after another, at off: what WriteAt(concat(bufs),
// off) writes, without building the concatenation. Each file the span
// covers takes one vectored write (pwritev where the platform has it).
func (s *FileStorage) WriteVAt(bufs [][]byte, off int64) (int, error) {
	total := vlen(bufs)
	if off < 0 || off > s.total || total > s.total-off {
		return 0, fmt.Errorf("persist: write %d bytes at %d of %d: %w", total, off, s.total, ErrOutOfRange)
	}
	if s.readOnly {
		return 0, ErrReadOnly
	}
	n := 0
	err := s.eachSpan(bufs, off, func(i int, iov [][]byte, fileOff int64) error {
		df := &s.files[i]
		if df.padding {
			n += int(vlen(iov))
			return nil
		}
		h, err := s.acquire(i, true)
		if err != nil {
			return fmt.Errorf("persist: write: %w", err)
		}
		m, err := writev(h.f, iov, fileOff)
		s.releaseAfter(h, true)
		n += m
		if err != nil {
			return fmt.Errorf("persist: write %s: %w", df.path, err)
		}
		return nil
	})
	return n, err
}

// ReadVAt fills bufs, one after another, from off: what ReadAt of their
// concatenation reads, with one vectored read per file the span covers.
// Errors are ReadAt's; a span past the end is refused whole.
func (s *FileStorage) ReadVAt(bufs [][]byte, off int64) (int, error) {
	total := vlen(bufs)
	if off < 0 || off > s.total || total > s.total-off {
		return 0, fmt.Errorf("persist: read %d bytes at %d of %d: %w", total, off, s.total, ErrOutOfRange)
	}
	n := 0
	err := s.eachSpan(bufs, off, func(i int, iov [][]byte, fileOff int64) error {
		df := &s.files[i]
		want := int(vlen(iov))
		if df.padding {
			for _, b := range iov {
				clear(b)
			}
			n += want
			return nil
		}
		h, err := s.acquire(i, false)
		if err != nil {
			return fmt.Errorf("persist: read: %w", err)
		}
		m, err := readv(h.f, iov, fileOff)
		s.release(h)
		n += m
		if err == nil && m < want {
			err = io.EOF
		}
		if err == io.EOF {
			return fmt.Errorf("persist: read %s: shorter than %d bytes: %w", df.path, df.length, io.ErrUnexpectedEOF)
		}
		if err != nil {
			return fmt.Errorf("persist: read: %w", err)
		}
		return nil
	})
	return n, err
}

// eachSpan calls fn once per file (zero-length files skipped) that the
// bytes of bufs placed at off cover, with the pieces of bufs that fall in
// it (at most maxIOV per call) and the offset in that file.
func (s *FileStorage) eachSpan(bufs [][]byte, off int64, fn func(i int, iov [][]byte, fileOff int64) error) error {
	var iov [][]byte
	bi, bo := 0, 0 // position in bufs: buffer, offset within it
	skipEmpty := func() {
		for bi < len(bufs) && bo == len(bufs[bi]) {
			bi, bo = bi+1, 0
		}
	}
	skipEmpty()
	for i := s.fileAt(off); bi < len(bufs); i++ {
		df := &s.files[i]
		if df.length == 0 {
			continue
		}
		fileOff := off - df.offset
		room := df.length - fileOff
		iov = iov[:0]
		var got int64
		for bi < len(bufs) && got < room && len(iov) < maxIOV {
			b := bufs[bi][bo:]
			if int64(len(b)) > room-got {
				b = b[:room-got]
			}
			iov = append(iov, b)
			got += int64(len(b))
			bo += len(b)
			skipEmpty()
		}
		if err := fn(i, iov, fileOff); err != nil {
			return err
		}
		off += got
		if got < room {
			i-- // maxIOV reached: the same file again
		}
	}
	return nil
}

func vlen(bufs [][]byte) int64 {
	var n int64
	for _, b := range bufs {
		n += int64(len(b))
	}
	return n
}

var _ VectorStorage = (*FileStorage)(nil)
