package store

import "errors"

// ErrNotFound reports that the session (or key) does not exist or has expired.
var ErrNotFound = errors.New("store: not found")

// ErrConflict reports that a guarded write matched no row: the session is
// gone, has expired, or its refresh token is no longer the one the caller
// gave (someone rotated it first). The caller reads the row and decides.
// AddSigningKey returns it when another key already starts the same turn.
var ErrConflict = errors.New("store: conflict: session changed concurrently")

// ErrClosed is returned by every method after Close.
var ErrClosed = errors.New("store: closed")

// ErrLimit reports that CreateSessionLimited refused a session because the user already has the most allowed.
var ErrLimit = errors.New("store: session limit reached")
