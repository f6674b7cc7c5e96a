//go:build js

package webseed

import (
	"net/http"

	"github.com/braid-bt/braid/transport/fetch"
)

// do sends req with the browser's fetch: http.Client.Do would link
// net/http's whole Transport into the wasm. The browser follows redirects
// by its own rules (up to 20, not MaxRedirects), and Options.HTTPClient is
// not used. limit bounds the body as a second guard behind readSegment.
func (c *Client) do(req *http.Request, limit int64) (*http.Response, error) {
	return fetch.Do(req, limit)
}
