package metainfo

import (
	"fmt"
	"strings"
)

// ValidatePathComponent reports whether s can be used as one file or
// directory name below the download directory on every platform Braid runs
// on. It refuses empty names, names made only of dots and spaces (".",
// "..", and what Windows trims to them), separators ('/', '\\'), NUL,
// Windows drive prefixes ("C:") and names longer than MaxComponentLen bytes.
func ValidatePathComponent(s string) error {
	var why string
	switch {
	case s == "":
		why = "empty"
	case len(s) > MaxComponentLen:
		why = fmt.Sprintf("%d bytes, limit %d", len(s), MaxComponentLen)
	case strings.TrimRight(s, ". ") == "":
		why = "only dots and spaces"
	case strings.ContainsAny(s, "/\\\x00"):
		why = "contains a separator or NUL"
	case len(s) >= 2 && s[1] == ':' && isASCIILetter(s[0]):
		why = "drive letter"
	default:
		return nil
	}
	return fmt.Errorf("metainfo: path component %q: %s: %w", clip(s), why, ErrUnsafePath)
}

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// validatePath checks every component of a file's path below the torrent
// directory, and the length of the whole path including the prefix (the
// torrent name for multi-file torrents, "" otherwise).
func validatePath(prefix string, path []string) error {
	if len(path) == 0 {
		return fmt.Errorf("metainfo: empty file path: %w", ErrMalformed)
	}
	total := len(prefix)
	for _, c := range path {
		if err := ValidatePathComponent(c); err != nil {
			return err
		}
		if total > 0 {
			total++ // separator
		}
		total += len(c)
		if total > MaxPathLen {
			return fmt.Errorf("metainfo: path %q: longer than %d bytes: %w", clip(strings.Join(path, "/")), MaxPathLen, ErrUnsafePath)
		}
	}
	return nil
}

// pathTree finds paths that collide: the same file twice, or a file that
// is also a directory of another file. A tree keeps this linear in the
// total path bytes.
type pathTree struct {
	children map[string]*pathTree
	file     bool
}

func (t *pathTree) insert(path []string) error {
	n := t
	for i, c := range path {
		if n.file {
			return fmt.Errorf("metainfo: path %q: %q is also a file: %w",
				clip(strings.Join(path, "/")), clip(strings.Join(path[:i], "/")), ErrUnsafePath)
		}
		child := n.children[c]
		if child == nil {
			if n.children == nil {
				n.children = make(map[string]*pathTree)
			}
			child = &pathTree{}
			n.children[c] = child
		}
		n = child
	}
	switch {
	case n.file:
		return fmt.Errorf("metainfo: path %q: duplicate file: %w", clip(strings.Join(path, "/")), ErrUnsafePath)
	case len(n.children) > 0:
		return fmt.Errorf("metainfo: path %q: is also a directory: %w", clip(strings.Join(path, "/")), ErrUnsafePath)
	}
	n.file = true
	return nil
}
