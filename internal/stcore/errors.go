package stcore

import "errors"

// The errors of this package. Callers match them with errors.Is; each
// returned error wraps exactly one, with detail added.
var (
	// ErrMalformed: the text is not in the core's format at all.
	ErrMalformed = errors.New("stcore: malformed")
	// ErrUnauthentic: the text has the format, but its signature or its
	// encryption does not check out under the keys given (tampered, or
	// made with another key).
	ErrUnauthentic = errors.New("stcore: not authentic")
	// ErrUnknownKey: an access token names a key id that is not among
	// the keys given.
	ErrUnknownKey = errors.New("stcore: unknown key")
	// ErrExpired: an authentic access token whose expiry has passed.
	ErrExpired = errors.New("stcore: expired")
)
