package main

import (
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"github.com/braid-bt/braid"
	"github.com/braid-bt/braid/core/metainfo"
)

func semverString() string { return braid.Release() }
func peerPrefix() string   { return braid.Version() }

func runInfo(args []string, stdout io.Writer) error {
	fs := newFlagSet("info")
	pos, err := parseArgs(fs, args, stdout, "braid info TORRENT")
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("info: want exactly one torrent")
	}
	fi, err := os.Stat(pos[0])
	if err != nil {
		return fmt.Errorf("torrent file %s: %w", pos[0], unwrapPathError(err))
	}
	if fi.Size() > metainfo.MaxTorrentSize {
		return fmt.Errorf("torrent file %s: too large (%d bytes)", pos[0], fi.Size())
	}
	data, err := os.ReadFile(pos[0])
	if err != nil {
		return fmt.Errorf("torrent file %s: %w", pos[0], unwrapPathError(err))
	}
	mi, err := metainfo.Parse(data)
	if err != nil {
		return fmt.Errorf("%s: invalid torrent: %w", pos[0], err)
	}
	in := mi.Info
	fmt.Fprintf(stdout, "name:         %s\n", in.Name)
	fmt.Fprintf(stdout, "info hash:    %x\n", mi.InfoHash)
	pads := 0
	for _, f := range in.Files {
		if f.Padding {
			pads++
		}
	}
	if pads > 0 {
		// BEP 47 padding: zeros aligning files to pieces, never on disk.
		files := in.FilesLength()
		fmt.Fprintf(stdout, "size:         %s (%d bytes in files, plus %d bytes of padding)\n", humanBytes(float64(files)), files, in.Length-files)
	} else {
		fmt.Fprintf(stdout, "size:         %s (%d bytes)\n", humanBytes(float64(in.Length)), in.Length)
	}
	fmt.Fprintf(stdout, "pieces:       %d × %s\n", in.NumPieces(), humanBytes(float64(in.PieceLength)))
	fmt.Fprintf(stdout, "private:      %v\n", in.Private)
	for i, tier := range mi.Tiers() {
		fmt.Fprintf(stdout, "tracker tier %d: %s\n", i, strings.Join(tier, " "))
	}
	for _, u := range mi.URLList {
		fmt.Fprintf(stdout, "web seed:     %s\n", u)
	}
	if mi.Comment != "" {
		fmt.Fprintf(stdout, "comment:      %s\n", mi.Comment)
	}
	if mi.CreatedBy != "" {
		fmt.Fprintf(stdout, "created by:   %s\n", mi.CreatedBy)
	}
	if pads > 0 {
		fmt.Fprintf(stdout, "files:        %d (and %d padding files, not shown)\n", len(in.Files)-pads, pads)
	} else {
		fmt.Fprintf(stdout, "files:        %d\n", len(in.Files))
	}
	for _, f := range in.Files {
		if f.Padding {
			continue
		}
		p := path.Join(f.Path...)
		if in.MultiFile {
			p = path.Join(in.Name, p)
		}
		fmt.Fprintf(stdout, "  %12d  %s\n", f.Length, p)
	}
	return nil
}

// unwrapPathError drops the *PathError wrapper: the path is already said.
func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
