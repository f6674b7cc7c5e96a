//go:build !js

package main

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/internal/atomicfile"
)

const createSynopsis = "braid create -o OUT [--protocol v1|v2|hybrid] [--announce URL]... [--piece-length BYTES] [--webseed URL]... [--private] PATH"

func runCreate(args []string, stdout io.Writer) error {
	fs := newFlagSet("create")
	out := fs.String("o", "", "write the .torrent here (required)")
	var announce, webseeds listFlag
	fs.Var(&announce, "announce", "tracker `URL` (repeatable; each one its own tier)")
	fs.Var(&webseeds, "webseed", "web seed `URL` (repeatable, BEP 19)")
	pieceLen := fs.String("piece-length", "", "piece size in bytes (262144; 256KiB also accepted); default chosen from the content size")
	private := fs.Bool("private", false, "mark the torrent private (BEP 27)")
	comment := fs.String("comment", "", "comment stored in the torrent")
	protocol := fs.String("protocol", "v1", "`v1|v2|hybrid`: the torrent kind (BEP 52). v1 is the default because v2 peers are not yet the norm:\n"+
		"a v2 torrent reaches only v2 clients; a hybrid reaches both (v1 clients see its padding files)")
	pos, err := parseArgs(fs, args, stdout, createSynopsis)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("create: want exactly one PATH to share, got %d", len(pos))
	}
	if *out == "" {
		return usagef("create: -o OUT is required")
	}
	proto, err := metainfo.ParseProtocol(*protocol)
	if err != nil {
		return usagef("create: --protocol: %q: want v1, v2 or hybrid", *protocol)
	}
	var plen int64
	if *pieceLen != "" {
		plen, err = parseSize(*pieceLen)
		if err != nil {
			return usagef("create: --piece-length: %v", err)
		}
	}
	root := filepath.Clean(pos[0])
	files, single, err := collectFiles(root)
	if err != nil {
		return err
	}
	if proto != metainfo.ProtocolV1 {
		// A v2 file tree lists a directory's files together.
		sort.SliceStable(files, func(i, j int) bool { return metainfo.CompareFileTreePaths(files[i].rel, files[j].rel) < 0 })
		if plen != 0 {
			if plen < metainfo.MinPieceLength || plen&(plen-1) != 0 {
				return usagef("create: --piece-length %d: %s torrents need a power of two of at least 16KiB", plen, proto)
			}
		}
	}
	var total int64
	specs := make([]metainfo.FileSpec, len(files))
	for i, f := range files {
		specs[i] = metainfo.FileSpec{Path: f.rel, Length: f.size, Executable: f.exec}
		total += f.size
	}
	if plen == 0 {
		plen = metainfo.DefaultPieceLength(total)
	}
	tiers := make([][]string, 0, len(announce))
	for _, a := range announce {
		tiers = append(tiers, []string{a})
	}
	content := &multiFileReader{files: files}
	defer content.Close()
	data, err := metainfo.Create(metainfo.CreateOptions{
		Name: filepath.Base(root), Files: specs, SingleFile: single, PieceLength: plen,
		Announce: tiers, URLList: webseeds, Private: *private, Comment: *comment,
		CreatedBy: "Braid " + semverString(), CreationDate: time.Now().Unix(), Protocol: proto,
	}, content)
	if err != nil {
		return fmt.Errorf("create: %w", err)
	}
	mi, err := metainfo.Parse(data)
	if err != nil {
		return fmt.Errorf("create: the new torrent does not parse: %w", err)
	}
	if err := atomicfile.Write(*out, data, 0o644); err != nil {
		return fmt.Errorf("create: %w", err)
	}
	name, hashes := mi.Info.Name, fmt.Sprintf("info hash %x", mi.InfoHash)
	switch proto {
	case metainfo.ProtocolV2:
		name, hashes = name+" (v2)", fmt.Sprintf("v2 info hash %x", mi.InfoHashV2)
	case metainfo.ProtocolHybrid:
		name, hashes = name+" (hybrid)", fmt.Sprintf("info hash %x, v2 info hash %x", mi.InfoHash, mi.InfoHashV2)
	}
	fmt.Fprintf(stdout, "created %s: %s, %d files, %s, %d pieces of %s, %s\n",
		*out, name, len(files), humanBytes(float64(total)), mi.Info.NumPieces(), humanBytes(float64(plen)), hashes)
	return nil
}

// parseSize reads "262144", "256KiB", "256k", "1MiB", "1m".
func parseSize(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"kib", 1 << 10}, {"mib", 1 << 20}, {"kb", 1 << 10}, {"mb", 1 << 20}, {"k", 1 << 10}, {"m", 1 << 20}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.m
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a size in bytes", s)
	}
	return n * mult, nil
}

type sourceFile struct {
	abs  string
	rel  []string
	size int64
	exec bool // any execute bit: attr "x" in v2 and hybrid torrents
}

// collectFiles lists the regular files to share, in a stable order.
// Symbolic links are not followed: a torrent shares what is really there.
func collectFiles(root string) ([]sourceFile, bool, error) {
	fi, err := os.Stat(root)
	if err != nil {
		return nil, false, fmt.Errorf("create: %w", err)
	}
	if !fi.IsDir() {
		return []sourceFile{{abs: root, rel: []string{filepath.Base(root)}, size: fi.Size(), exec: fi.Mode()&0o111 != 0}}, true, nil
	}
	var files []sourceFile
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		files = append(files, sourceFile{abs: p, rel: strings.Split(filepath.ToSlash(rel), "/"), size: info.Size(), exec: info.Mode()&0o111 != 0})
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("create: %w", err)
	}
	if len(files) == 0 {
		return nil, false, fmt.Errorf("create: %s holds no files", root)
	}
	sort.Slice(files, func(i, j int) bool {
		return strings.Join(files[i].rel, "/") < strings.Join(files[j].rel, "/")
	})
	return files, false, nil
}

// multiFileReader reads the files one after another, opening each lazily.
type multiFileReader struct {
	files []sourceFile
	i     int
	cur   *os.File
	left  int64
}

func (m *multiFileReader) Read(p []byte) (int, error) {
	for {
		if m.cur == nil {
			if m.i >= len(m.files) {
				return 0, io.EOF
			}
			f, err := os.Open(m.files[m.i].abs)
			if err != nil {
				return 0, err
			}
			m.cur, m.left = f, m.files[m.i].size
		}
		if m.left > 0 {
			if int64(len(p)) > m.left {
				p = p[:m.left]
			}
			n, err := m.cur.Read(p)
			m.left -= int64(n)
			if err == io.EOF && m.left > 0 {
				return n, fmt.Errorf("%s shrank while being read", m.files[m.i].abs)
			}
			if n > 0 || (err != nil && err != io.EOF) {
				return n, err
			}
		}
		_ = m.cur.Close()
		m.cur = nil
		m.i++
	}
}

func (m *multiFileReader) Close() {
	if m.cur != nil {
		_ = m.cur.Close()
	}
}
