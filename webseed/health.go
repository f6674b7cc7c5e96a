package webseed

import (
	"errors"
	"fmt"
	"time"
)

// minRetryAfter keeps a server that says "Retry-After: 0" from being
// polled in a busy loop.
const minRetryAfter = time.Second

// Usable reports whether the engine should fetch from this web seed now:
// false while backing off after a failure, and for good once disabled.
func (c *Client) Usable(now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.disabled == nil && !now.Before(c.retryAt)
}

// Disabled reports whether the Client is out for good (404/410, or
// MaxBadPieces bad pieces): the engine can drop it.
func (c *Client) Disabled() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.disabled != nil
}

// RetryAt is when the current back-off ends (zero before any failure), so
// the engine can set a timer instead of polling Usable.
func (c *Client) RetryAt() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.retryAt
}

// ReportBadPiece tells the Client that a piece it fetched failed its hash:
// the server's content differs from the torrent's. It counts as a failure
// (back-off), and MaxBadPieces reports disable the Client.
func (c *Client) ReportBadPiece(piece int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.badPieces++
	c.lastErr = fmt.Errorf("piece %d failed its hash", piece)
	if c.badPieces >= MaxBadPieces && c.disabled == nil {
		c.disabled = fmt.Errorf("%d pieces failed their hash, the last %d", c.badPieces, piece)
	}
	c.failLocked(0, false)
}

// ready fails when FetchPiece should not contact the server.
func (c *Client) ready() error {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.disabled != nil {
		return fmt.Errorf("webseed %s: %w: %w", clip(c.raw), ErrDisabled, c.disabled)
	}
	if now.Before(c.retryAt) {
		return fmt.Errorf("webseed %s: %w until %s", clip(c.raw), ErrBackingOff, c.retryAt.Format(time.RFC3339))
	}
	return nil
}

// failed records a failed fetch: 404/410 and length lies disable,
// anything else backs off.
func (c *Client) failed(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lastErr = err
	if c.disabled == nil && (errors.Is(err, ErrNotFound) || errors.Is(err, ErrShortBody) ||
		errors.Is(err, ErrLongBody) || errors.Is(err, ErrWrongLength)) {
		c.disabled = err
	}
	var se *statusError
	if errors.As(err, &se) && se.hasRetry {
		c.failLocked(max(se.retryAfter, minRetryAfter), true)
		return
	}
	c.failLocked(0, false)
}

// failLocked counts a consecutive failure and sets the back-off: the
// server's own delay when it gave one, else MinBackoff doubling per
// failure, MaxBackoff from MaxFailures failures on.
func (c *Client) failLocked(delay time.Duration, fromServer bool) {
	c.failures++
	if !fromServer {
		delay = MaxBackoff
		if c.failures < c.maxFailures {
			delay = min(MinBackoff<<min(c.failures-1, 20), MaxBackoff)
		}
	}
	c.retryAt = c.now().Add(delay)
}

// succeeded resets the failure count after a fetch that got its bytes.
func (c *Client) succeeded() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failures = 0
	c.lastErr = nil
}

// Status is a Client's state for stats.
type Status struct {
	URL string
	// State is "ok", "backing off" or "disabled".
	State string
	// Reason says why the Client is disabled or backing off: the error
	// that disabled it, or the last failure.
	Reason string
	// RetryAt is when the back-off ends (zero when none).
	RetryAt time.Time
	// IgnoresRange: the server answered a Range request with the whole file.
	IgnoresRange bool
}

// Status reports the Client's state at now.
func (c *Client) Status(now time.Time) Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := Status{URL: c.raw, State: "ok", IgnoresRange: c.ignoresRange.Load()}
	switch {
	case c.disabled != nil:
		st.State, st.Reason = "disabled", c.disabled.Error()
	case now.Before(c.retryAt):
		st.State, st.RetryAt = "backing off", c.retryAt
		if c.lastErr != nil {
			st.Reason = c.lastErr.Error()
		}
	}
	return st
}
