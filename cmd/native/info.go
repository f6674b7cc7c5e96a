//go:build !js

package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"strings"

	"github.com/braid-bt/braid"
	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/internal/socks5"
	"github.com/braid-bt/braid/tracker"
)

func semverString() string { return braid.Release() }
func peerPrefix() string   { return braid.Version() }

func runInfo(args []string, stdout io.Writer) error {
	fs := newFlagSet("info")
	scrape := fs.Bool("scrape", false, "also ask each tracker for the torrent's seeders, leechers and completed downloads")
	scrapeTimeout := fs.Duration("scrape-timeout", defaultScrapeTimeout, "how long to wait for each tracker's scrape reply")
	proxyURL := fs.String("proxy", "", "scrape through this SOCKS5 proxy `socks5://[USER:PASS@]HOST:PORT` (HTTP and UDP trackers; never directly)")
	pos, err := parseArgs(fs, args, stdout, "braid info [--scrape [--proxy URL]] TORRENT|MAGNET")
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("info: want exactly one torrent")
	}
	if *scrapeTimeout <= 0 {
		return usagef("info: --scrape-timeout must be positive")
	}
	var sc *scrapeTarget
	if *scrape {
		sc = &scrapeTarget{timeout: *scrapeTimeout}
	}
	if *proxyURL != "" {
		px, err := socks5.ParseURL(*proxyURL)
		if err != nil {
			return usagef("info: --proxy: %v", err)
		}
		if sc == nil {
			return usagef("info: --proxy needs --scrape")
		}
		sc.opts = tracker.ClientOptions{HTTPClient: &http.Client{Transport: &http.Transport{DialContext: px.DialContext}},
			DialUDP: px.DialUDP}
	}
	if strings.HasPrefix(strings.ToLower(pos[0]), "magnet:") {
		return magnetInfo(pos[0], stdout, sc)
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
	if in.HasV1() {
		fmt.Fprintf(stdout, "info hash:    %x\n", mi.InfoHash)
	}
	if in.HasV2() {
		fmt.Fprintf(stdout, "info hash v2: %x\n", mi.InfoHashV2)
	}
	switch {
	case !in.HasV1():
		fmt.Fprintf(stdout, "version:      BitTorrent v2 only (BEP 52; swarm %x, the v2 hash's first 20 bytes)\n", mi.ShortInfoHashV2())
	case in.HasV2():
		fmt.Fprintf(stdout, "version:      hybrid v1 + v2 (Braid joins both swarms)\n")
	}
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
	if sc != nil {
		var urls []string
		for _, tier := range mi.Tiers() {
			urls = append(urls, tier...)
		}
		sc.urls, sc.hash = urls, swarmHash(mi.InfoHash, mi.InfoHashV2, in.HasV1())
		return sc.run(stdout)
	}
	return nil
}

// magnetInfo shows what a magnet link holds. Its file list (and size) is
// in the info dictionary, which only peers can give.
func magnetInfo(uri string, stdout io.Writer, sc *scrapeTarget) error {
	m, err := metainfo.ParseMagnet(uri)
	if err != nil {
		return usagef("info: %s", strings.TrimPrefix(err.Error(), "metainfo: "))
	}
	name := m.Name
	if name == "" {
		name = "(none given)"
	}
	fmt.Fprintf(stdout, "magnet link\n")
	fmt.Fprintf(stdout, "name:         %s\n", name)
	if m.HasV1() {
		fmt.Fprintf(stdout, "info hash:    %x\n", m.InfoHash)
	}
	if m.HasV2() {
		fmt.Fprintf(stdout, "info hash v2: %x\n", m.InfoHashV2)
	}
	for _, tr := range m.Trackers {
		fmt.Fprintf(stdout, "tracker:      %s\n", tr)
	}
	for _, p := range m.Peers {
		fmt.Fprintf(stdout, "peer:         %s\n", p)
	}
	for _, u := range m.WebSeeds {
		fmt.Fprintf(stdout, "web seed:     %s\n", u)
	}
	if m.SelectOnly != nil {
		fmt.Fprintf(stdout, "selected:     files %s only\n", formatIndices(m.SelectOnly))
	}
	fmt.Fprintf(stdout, "files:        known only once the metadata is fetched from peers ('braid download' fetches it)\n")
	if sc != nil {
		sc.urls, sc.hash = m.Trackers, swarmHash(m.InfoHash, m.InfoHashV2, m.HasV1())
		return sc.run(stdout)
	}
	return nil
}

// formatIndices writes sorted file indices as a list with ranges: 0,2,4-6.
func formatIndices(idx []int) string {
	var parts []string
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && idx[j+1] == idx[j]+1 {
			j++
		}
		if j > i {
			parts = append(parts, fmt.Sprintf("%d-%d", idx[i], idx[j]))
		} else {
			parts = append(parts, fmt.Sprint(idx[i]))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

// unwrapPathError drops the *PathError wrapper: the path is already said.
func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
