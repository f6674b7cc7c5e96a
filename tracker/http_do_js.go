//go:build js

package tracker

import (
	"net/http"

	"github.com/braid-bt/braid/transport/fetch"
)

// do sends hreq with the browser's fetch: http.Client.Do would link
// net/http's whole Transport into the wasm. The browser follows redirects
// by its own rules (up to 20, not maxRedirects), and
// ClientOptions.HTTPClient is not used. The body is bounded as get reads it.
func (c *httpClient) do(hreq *http.Request) (*http.Response, error) {
	return fetch.Do(hreq, maxHTTPBody+1)
}
