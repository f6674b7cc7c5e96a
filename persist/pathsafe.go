package persist

import (
	"fmt"
	"path/filepath"
	"strings"
)

// checkComponent is Braid's second line of defence behind
// metainfo.ValidatePathComponent: one path element must name an entry inside
// its parent, on every platform Braid runs on.
func checkComponent(c string) error {
	switch {
	case c == "" || c == "." || c == "..":
		return fmt.Errorf("path component %q: %w", c, ErrUnsafePath)
	case len(c) > 255:
		return fmt.Errorf("path component of %d bytes: %w", len(c), ErrUnsafePath)
	case strings.ContainsAny(c, "/\\\x00"):
		return fmt.Errorf("path component %q: separator or NUL: %w", c, ErrUnsafePath)
	case len(c) >= 2 && c[1] == ':' && isASCIILetter(c[0]):
		return fmt.Errorf("path component %q: drive letter: %w", c, ErrUnsafePath)
	case filepath.IsAbs(c) || filepath.VolumeName(c) != "":
		return fmt.Errorf("path component %q: absolute: %w", c, ErrUnsafePath)
	}
	return nil
}

func isASCIILetter(b byte) bool { return b|0x20 >= 'a' && b|0x20 <= 'z' }

// within reports whether p is root or lies below it; both must be clean and
// absolute.
func within(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	if err != nil || filepath.IsAbs(rel) {
		return false
	}
	return rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
