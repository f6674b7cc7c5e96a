package braid

// SetBeforeStorage makes every start call f as it opens the torrent's
// storage (tests make that slow).
func SetBeforeStorage(c *Client, f func(InfoHash)) { c.beforeStorage = f }
