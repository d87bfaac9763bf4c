package store

import (
	"context"
	"time"
)

// Revocation announces a revoked session to every instance sharing the
// database, until ExpiresAt (when the last access token issued for it has
// expired and nothing is left to refuse).
type Revocation struct {
	Handle    string
	RevokedAt time.Time
	ExpiresAt time.Time
}

// RevocationLog is the log through which instances sharing a database tell
// each other of revoked sessions: each writes what it revokes, and reads
// (polls) what the others wrote.
type RevocationLog interface {
	// AddRevocations records revocations, all or none; a handle already
	// recorded is updated to the new times. Handles must be non-empty valid
	// UTF-8 without NUL bytes.
	AddRevocations(ctx context.Context, revs []Revocation) error

	// RevocationsSince returns the revocations with RevokedAt at or after
	// since whose ExpiresAt is after now, ordered by RevokedAt. ginsession
	// polls it so a revoked session's access tokens stop working on every
	// instance within about a second, without a database read per request.
	RevocationsSince(ctx context.Context, since, now time.Time) ([]Revocation, error)
}
