package braid

// ReloadBlocklist reads Config.Blocklist again (the file, or the URL
// fetched anew) and puts it in place of the current list at once;
// connections to peers the new list blocks are closed, and candidates it
// blocks are never dialled. If the list cannot be read the current one
// stays and the error wraps ErrBlocklist, as it does without a
// Config.Blocklist. It reads or downloads without holding the client's
// lock.
func (c *Client) ReloadBlocklist() error { return c.node.ReloadBlocklist() }

// Blocked counts, for the whole client, the connections and candidate
// addresses the blocklist refused: incoming connections (refused before
// their handshake names a torrent), dials, addresses from trackers, the
// DHT, PEX and WithPeers, and connections closed by ReloadBlocklist.
func (c *Client) Blocked() int64 { return c.node.Blocked() }

// BlocklistLen is the number of address ranges in the current blocklist
// after overlapping ones are merged (0 without one).
func (c *Client) BlocklistLen() int { return c.node.BlocklistLen() }
