package webseed

import (
	"net/url"
	"strings"
)

// fileURL maps file f of the torrent to its URL on the web seed (BEP 19):
// a single-file torrent's URL names the file itself, unless it ends in '/'
// (then the torrent name is appended); a multi-file torrent's URL is the
// directory holding the torrent's top directory. Every component is
// percent-escaped, so names with spaces, '#', '%', '?' or non-ASCII reach
// the server intact; the base URL's own query string is kept.
func (c *Client) fileURL(f int) string {
	p := c.base.EscapedPath()
	if c.info.MultiFile {
		if !strings.HasSuffix(p, "/") {
			p += "/"
		}
		p += url.PathEscape(c.info.Name)
		for _, comp := range c.info.Files[f].Path {
			p += "/" + url.PathEscape(comp)
		}
	} else if strings.HasSuffix(p, "/") {
		p += url.PathEscape(c.info.Name)
	}
	u := *c.base
	u.RawPath = p
	if unescaped, err := url.PathUnescape(p); err == nil {
		u.Path = unescaped
	}
	// Path and RawPath agree, so String keeps RawPath's escaping.
	return u.String()
}
