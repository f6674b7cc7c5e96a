package metainfo

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// span is an inclusive range of file indices from a BEP 53 so= list.
type span struct{ lo, hi int }

// parseSelect appends the ranges of a so= value ("0,2,4-6") to spans.
// Ranges are kept unexpanded so a hostile list of huge overlapping ranges
// costs no more than its length.
func parseSelect(s string, spans []span) ([]span, error) {
	for item := range strings.SplitSeq(s, ",") {
		loStr, hiStr, isRange := strings.Cut(item, "-")
		lo, err := selectIndex(loStr)
		if err != nil {
			return nil, err
		}
		hi := lo
		if isRange {
			if hi, err = selectIndex(hiStr); err != nil {
				return nil, err
			}
			if hi < lo {
				return nil, fmt.Errorf("range %d-%d is reversed", lo, hi)
			}
		}
		spans = append(spans, span{lo, hi})
	}
	return spans, nil
}

func selectIndex(s string) (int, error) {
	if !allDigits(s) {
		return 0, fmt.Errorf("file index %q is not a number", clip(s))
	}
	n, err := strconv.Atoi(s)
	if err != nil || n >= MaxSelectIndex {
		return 0, errors.New("file index " + clip(s) + " too large, limit " + strconv.Itoa(MaxSelectIndex-1))
	}
	return n, nil
}

// mergeSpans sorts spans and joins overlapping or adjacent ones.
func mergeSpans(spans []span) []span {
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.lo, b.lo) })
	var out []span
	for _, s := range spans {
		if n := len(out); n > 0 && s.lo <= out[n-1].hi+1 {
			out[n-1].hi = max(out[n-1].hi, s.hi)
			continue
		}
		out = append(out, s)
	}
	return out
}

// expandSpans lists every index once, sorted; nil for no spans. Indices
// are below MaxSelectIndex, so the list is at most that long.
func expandSpans(spans []span) []int {
	var out []int
	for _, s := range mergeSpans(spans) {
		for i := s.lo; i <= s.hi; i++ {
			out = append(out, i)
		}
	}
	return out
}

// ParseFileList reads a list of file indices in BEP 53's so= form
// ("0,2,4-6", as `braid download --only` takes it): every index once,
// sorted.
func ParseFileList(s string) ([]int, error) {
	if s == "" {
		return nil, errors.New("no file index given")
	}
	spans, err := parseSelect(s, nil)
	if err != nil {
		return nil, err
	}
	return expandSpans(spans), nil
}
