package braid

import "github.com/braid-bt/braid/persist"

// SetBeforeStorage makes every start call f as it opens the torrent's
// storage (tests make that slow).
func SetBeforeStorage(c *Client, f func(InfoHash)) { c.beforeStorage = f }

// WrapState puts f's store in front of the client's state store (tests
// count its loads).
func WrapState(c *Client, f func(persist.StateStore) persist.StateStore) { c.state = f(c.state) }
