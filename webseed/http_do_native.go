//go:build !js

package webseed

import "net/http"

// do sends req with the client's net/http stack. limit is not needed here:
// readSegment never reads more than limit bytes of the body.
func (c *Client) do(req *http.Request, _ int64) (*http.Response, error) {
	return c.http.Do(req)
}
