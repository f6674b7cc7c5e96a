package fetch

import "errors"

var (
	// ErrFetch: the browser rejected the request or a body read (network
	// failure, CORS refusal, bad URL).
	ErrFetch = errors.New("fetch: request failed")
	// ErrBodyTooLarge: the body holds more bytes than the limit given to Do.
	ErrBodyTooLarge = errors.New("fetch: body over limit")
	// ErrMethod: only GET and HEAD requests without a body are sent.
	ErrMethod = errors.New("fetch: only GET and HEAD are supported")
)
