package rpc

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/braid-bt/braid/core/metainfo"
)

// fetchTimeout bounds fetching a .torrent named by URL in torrent-add.
const fetchTimeout = 30 * time.Second

// fetchTorrent downloads a .torrent file from an http:// or https:// URL,
// as Transmission does for torrent-add's filename: bounded in time and
// size; any status but 200 is an error.
func fetchTorrent(ctx context.Context, url string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: HTTP %s", url, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, metainfo.MaxTorrentSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", url, err)
	}
	if len(data) > metainfo.MaxTorrentSize {
		return nil, fmt.Errorf("%s: %w", url, metainfo.ErrTooLarge)
	}
	return data, nil
}
