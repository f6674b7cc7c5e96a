//go:build !js

package tracker

import "net/http"

// do sends hreq with the client's net/http stack.
func (c *httpClient) do(hreq *http.Request) (*http.Response, error) {
	return c.http.Do(hreq)
}
