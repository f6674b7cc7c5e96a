package braid

// SetRates changes the caps on upload and download to all peers, in bytes
// per second (0: none), while the client runs; Config.UploadRate and
// Config.DownloadRate are the caps it starts with.
func (c *Client) SetRates(upload, download int64) { c.eng.SetRates(upload, download) }

// Rates are the caps on upload and download in force, in bytes per
// second (0: none).
func (c *Client) Rates() (upload, download int64) { return c.eng.Rates() }
