package metainfo

import (
	"fmt"
	"sort"

	"github.com/braid-bt/braid/core/benc"
)

// Marshal encodes m as a .torrent file. The info dict is written from
// InfoBytes unchanged so the info hash is preserved; Info is not consulted.
// A v2 torrent's piece layers are written beside it.
// Announce-list is left out when it would only repeat announce, and
// announce defaults to its first URL, as mktorrent does.
func (m *MetaInfo) Marshal() ([]byte, error) {
	if len(m.InfoBytes) == 0 || m.InfoBytes[0] != 'd' {
		return nil, fmt.Errorf("metainfo: marshal: info bytes are not a dictionary: %w", ErrMalformed)
	}
	var d dict
	var urls int
	var first string
	for _, tier := range m.AnnounceList {
		if urls == 0 && len(tier) > 0 {
			first = tier[0]
		}
		urls += len(tier)
	}
	announce := m.Announce
	if announce == "" {
		announce = first
	}
	if announce != "" {
		d.add("announce", benc.AppendString(nil, announce))
	}
	if urls > 1 || urls == 1 && first != announce {
		var b []byte
		b = append(b, 'l')
		for _, tier := range m.AnnounceList {
			if len(tier) == 0 {
				continue
			}
			b = benc.AppendStrings(b, tier)
		}
		d.add("announce-list", append(b, 'e'))
	}
	if m.Comment != "" {
		d.add("comment", benc.AppendString(nil, m.Comment))
	}
	if m.CreatedBy != "" {
		d.add("created by", benc.AppendString(nil, m.CreatedBy))
	}
	if m.CreationDate != 0 {
		d.add("creation date", benc.AppendInt(nil, m.CreationDate))
	}
	d.add("info", m.InfoBytes)
	if len(m.PieceLayers) > 0 {
		d.add("piece layers", AppendPieceLayers(nil, m.PieceLayers))
	}
	if len(m.URLList) > 0 {
		d.add("url-list", benc.AppendStrings(nil, m.URLList))
	}
	return d.append(nil), nil
}

// dict builds a bencoded dictionary from pre-encoded values, sorting keys
// by their raw bytes as BEP 3 requires.
type dict struct{ entries []entry }

func (d *dict) add(key string, val []byte) {
	d.entries = append(d.entries, entry{key: key, val: val})
}

func (d *dict) append(b []byte) []byte {
	sort.Slice(d.entries, func(i, j int) bool { return d.entries[i].key < d.entries[j].key })
	b = append(b, 'd')
	for _, e := range d.entries {
		b = benc.AppendString(b, e.key)
		b = append(b, e.val...)
	}
	return append(b, 'e')
}
